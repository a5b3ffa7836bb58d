package io.stapled.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for a condition with a deadline instead of sleeping a fixed time. */
public final class Poll {
    private Poll() {
    }

    /** Returns once {@code condition} holds; fails the test when it does not within {@code timeout}. */
    public static void until(Duration timeout, String what, BooleanSupplier condition) {
        if (!within(timeout, condition)) {
            throw new AssertionError("timed out after " + timeout.toMillis() + "ms waiting for " + what);
        }
    }

    /**
     * Waits until {@code condition} holds or {@code timeout} has passed, and says which: for a test that
     * asserts the outcome itself.
     */
    public static boolean within(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting");
            }
        }
        return true;
    }
}
