package io.stapled.admin;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

import com.sun.management.UnixOperatingSystemMXBean;

/**
 * Whether the process is close to its descriptor limit, so the runtime API can refuse connections
 * before the frontends run out. Counting open descriptors lists {@code /proc/self/fd}, which is too
 * slow for an event loop: the answer is a sample at most a second old, refreshed on another thread.
 */
final class DescriptorHeadroom {
    private static final long MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final LongSupplier open;
    private final LongSupplier max;
    private final Executor refresher;
    private final AtomicBoolean refreshing = new AtomicBoolean();
    private volatile boolean low;
    private volatile long sampledAt;

    DescriptorHeadroom(LongSupplier open, LongSupplier max, Executor refresher) {
        this.open = open;
        this.max = max;
        this.refresher = refresher;
        sample();
    }

    /** The process's own counts; never low where the JVM does not report them. */
    static DescriptorHeadroom ofProcess(Executor refresher) {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof UnixOperatingSystemMXBean unix) {
            return new DescriptorHeadroom(unix::getOpenFileDescriptorCount, unix::getMaxFileDescriptorCount, refresher);
        }
        return new DescriptorHeadroom(() -> -1, () -> -1, refresher);
    }

    /** Descriptors kept for the frontends: a tenth of the limit, at least 64 and at most 1000. */
    static long reserve(long limit) {
        return Math.max(64, Math.min(1000, limit / 10));
    }

    /** True while fewer than {@link #reserve} descriptors are free, as of the last sample. */
    boolean low() {
        if (System.nanoTime() - sampledAt > MAX_AGE_NANOS && refreshing.compareAndSet(false, true)) {
            try {
                refresher.execute(() -> {
                    try {
                        sample();
                    } finally {
                        refreshing.set(false);
                    }
                });
            } catch (RuntimeException rejected) {
                refreshing.set(false);
            }
        }
        return low;
    }

    private void sample() {
        long limit = max.getAsLong();
        long used = open.getAsLong();
        low = limit > 0 && used >= 0 && limit - used < reserve(limit);
        sampledAt = System.nanoTime();
    }
}
