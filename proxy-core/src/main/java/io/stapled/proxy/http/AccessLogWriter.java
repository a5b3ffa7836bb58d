package io.stapled.proxy.http;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one frontend's access log lines on a thread of its own, so that an appender that blocks (a
 * full pipe, a slow disk) never stalls an event loop. The event loops {@link #offer} lines into a
 * bounded lock-free queue; when {@code capacity} lines are waiting, a line is dropped and counted
 * ({@code stapled_access_log_dropped_total}) rather than waited for.
 */
public final class AccessLogWriter implements AutoCloseable {
    static final String LOGGER_NAME = "stapled.access";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER_NAME);
    private static final Logger SELF = LoggerFactory.getLogger(AccessLogWriter.class);

    private final Queue<String> lines = new ConcurrentLinkedQueue<>();
    private final AtomicInteger waitingLines = new AtomicInteger();
    private final LongAdder dropped = new LongAdder();
    private final int capacity;
    private final Thread thread;
    /** The writer is parked, or about to: an offer must wake it. */
    private volatile boolean idle;
    private volatile boolean closed;

    public AccessLogWriter(String frontend, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        this.capacity = capacity;
        this.thread = new Thread(this::run, "stapled-access-log-" + frontend);
        thread.setDaemon(true);
        thread.start();
    }

    /** Whether lines are written at all (the {@code stapled.access} logger's level): else skip making them. */
    boolean enabled() {
        return LOG.isInfoEnabled();
    }

    /** Queues {@code line} for writing; false (and counted) when the queue is full. Never blocks. */
    boolean offer(String line) {
        if (waitingLines.incrementAndGet() > capacity) {
            waitingLines.decrementAndGet();
            dropped.increment();
            return false;
        }
        lines.offer(line);
        if (idle) {
            LockSupport.unpark(thread);
        }
        return true;
    }

    /** Lines dropped because the queue was full, since start. */
    public long dropped() {
        return dropped.sum();
    }

    private void run() {
        while (true) {
            String line = lines.poll();
            if (line != null) {
                waitingLines.decrementAndGet();
                write(line);
                continue;
            }
            if (closed) {
                return;
            }
            idle = true;
            // An appender may leave the interrupt flag set; park would then return at once, in a spin.
            Thread.interrupted();
            // Checked again after idle is set: an offer made before it saw idle false, so its line is here.
            if (lines.isEmpty() && !closed) {
                LockSupport.park(this);
            }
            idle = false;
        }
    }

    private static void write(String line) {
        try {
            LOG.info(line);
        } catch (RuntimeException e) {
            // An appender's failure costs this line, not the writer.
            SELF.warn("access log line not written: {}", e.toString());
        }
    }

    /** Writes what is queued (for up to a second) and stops the thread. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
