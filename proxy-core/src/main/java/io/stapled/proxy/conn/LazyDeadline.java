package io.stapled.proxy.conn;

import java.util.concurrent.TimeUnit;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;

/**
 * A timeout that is re-armed by moving a deadline, not by scheduling: arming only writes two fields,
 * and the one pending check, when it fires early, schedules itself again for what is left (as
 * Netty's IdleStateHandler does). Scheduling and cancelling a task per request cost more than the
 * whole header parse on a keep-alive connection. Event-loop confined; time comes from the executor's
 * {@link Ticker}, so tests drive it with a mock ticker.
 */
public final class LazyDeadline {
    private final EventExecutor executor;
    private final Ticker ticker;
    private long timeoutNanos;
    private final Runnable onExpiry;
    private final Runnable checkTask = this::onCheck;
    private ScheduledFuture<?> check;
    private boolean armed;
    private long deadlineNanos;
    /** When the pending check runs, if there is one. */
    private long checkAtNanos;

    /** A {@code timeoutNanos} of 0 or less is no timeout: arming does nothing. */
    public LazyDeadline(EventExecutor executor, long timeoutNanos, Runnable onExpiry) {
        this.executor = executor;
        this.ticker = executor.ticker();
        this.timeoutNanos = timeoutNanos;
        this.onExpiry = onExpiry;
    }

    /** Expires {@code timeout} from now unless re-armed, touched or disarmed first. */
    public void arm() {
        if (timeoutNanos > 0) {
            armed = true;
            deadlineNanos = ticker.nanoTime() + timeoutNanos;
            if (check == null) {
                schedule(timeoutNanos);
            } else if (checkAtNanos - deadlineNanos > 0) {
                // A shorter timeout than the one the pending check was scheduled for.
                check.cancel(false);
                schedule(timeoutNanos);
            }
        }
    }

    /**
     * The timeout of the next {@link #arm()} (0 or less: none); a connection lends one deadline to
     * requests that go to backends with different server timeouts.
     */
    public void timeout(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    /** Activity: if armed, the deadline moves to {@code timeout} from now. */
    public void touch() {
        if (armed) {
            deadlineNanos = ticker.nanoTime() + timeoutNanos;
        }
    }

    /** Without touching the scheduler: the pending check, if any, finds nothing to do. */
    public void disarm() {
        armed = false;
    }

    public boolean isArmed() {
        return armed;
    }

    /** For good (the connection is done): the pending check goes too, so nothing holds on to the owner. */
    public void stop() {
        armed = false;
        if (check != null) {
            check.cancel(false);
            check = null;
        }
    }

    private void schedule(long delayNanos) {
        checkAtNanos = ticker.nanoTime() + delayNanos;
        check = executor.schedule(checkTask, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void onCheck() {
        check = null;
        if (!armed) {
            return;
        }
        long left = deadlineNanos - ticker.nanoTime();
        if (left > 0) {
            schedule(left); // re-armed or touched since this check was scheduled
            return;
        }
        armed = false;
        onExpiry.run();
    }
}
