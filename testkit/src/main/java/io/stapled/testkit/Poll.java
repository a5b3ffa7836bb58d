package io.stapled.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition with a deadline instead of sleeping a fixed time. The one poll of every module:
 * {@link #until} when a timeout is itself the failure, {@link #within} when the test asserts the outcome.
 */
public final class Poll {
    /**
     * Between checks. 20 ms, the interval the OCSP tests were written against: several of them poll for one
     * event and then assert a side effect logged or notified just after it (follow-up: poll for that instead).
     */
    private static final long INTERVAL_MILLIS = 20;

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
                Thread.sleep(INTERVAL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting");
            }
        }
        return true;
    }
}
