package io.stapled.proxy.conn;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * Events per second, as HAProxy's frequency counters ({@code freq_ctr}) count them for {@code show stat}'s
 * {@code rate} columns: the events of the current second plus the previous second's, weighted by the
 * part of it still inside the last second; and the highest rate seen. {@link #increment()} is an atomic
 * add and a compare; once a second one caller swaps in a new window. No lock: any event loop may count.
 * Approximate by design: an event counted while the window turns may miss the previous second's figure.
 */
public final class RateCounter {
    private static final long SECOND = 1_000_000_000L;

    /** One second's count, and the count of the second before it. */
    private record Window(long second, AtomicLong count, long previous) { }

    private final LongSupplier nanoClock;
    private final AtomicReference<Window> window;
    private final AtomicLong max = new AtomicLong();

    public RateCounter() {
        this(System::nanoTime);
    }

    /** Over {@code nanoClock} (nanoseconds, as {@link System#nanoTime()}). */
    public RateCounter(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        this.window = new AtomicReference<>(new Window(Math.floorDiv(nanoClock.getAsLong(), SECOND), new AtomicLong(), 0));
    }

    public void increment() {
        long now = nanoClock.getAsLong();
        Window w = windowAt(Math.floorDiv(now, SECOND));
        long count = w.count.incrementAndGet();
        long rate = estimate(count, w.previous, now);
        if (rate > max.get()) {
            max.accumulateAndGet(rate, Math::max);
        }
    }

    private Window windowAt(long second) {
        while (true) {
            Window w = window.get();
            if (w.second == second) {
                return w;
            }
            long previous = w.second == second - 1 ? w.count.get() : 0;
            Window next = new Window(second, new AtomicLong(), previous);
            if (window.compareAndSet(w, next)) {
                return next;
            }
        }
    }

    private static long estimate(long current, long previous, long now) {
        long intoSecond = Math.floorMod(now, SECOND);
        return current + previous * (SECOND - intoSecond) / SECOND;
    }

    /** Events over the last second. */
    public long rate() {
        long now = nanoClock.getAsLong();
        long second = Math.floorDiv(now, SECOND);
        Window w = window.get();
        if (w.second == second) {
            return estimate(w.count.get(), w.previous, now);
        }
        if (w.second == second - 1) {
            return estimate(0, w.count.get(), now);
        }
        return 0;
    }

    /** The highest {@link #rate()} an event has seen. */
    public long max() {
        return max.get();
    }
}
