package io.stapled.proxy.backend;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A server's {@code max_connections} and the queue of requests waiting for one of its slots
 * ({@code max_queue}), shared by every event loop without a lock: the slots are an atomic count and
 * the waiters a concurrent queue. A released slot goes to the oldest live waiter, whose wake-up runs on
 * the waiter's own executor (its client's event loop); a waiter that gave up (timed out, client gone)
 * is skipped.
 *
 * <p>Why no slot is lost between a failed {@link #tryAcquire} and {@link #enqueue}: both
 * {@link #release} and {@link #enqueue} end with {@link #handOver}, which grants slots while there are
 * waiters and free slots, so whichever of the two happens last sees both.
 */
public final class ServerQueue {
    private final int maxConnections;
    private final int maxQueue;
    private final AtomicInteger inUse = new AtomicInteger();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger maxQueued = new AtomicInteger();
    private final AtomicLong timedOut = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final ConcurrentLinkedQueue<Waiter> waiters = new ConcurrentLinkedQueue<>();

    /** {@code maxQueue}: waiters beyond which a request is refused ({@link Integer#MAX_VALUE}: no limit). */
    public ServerQueue(int maxConnections, int maxQueue) {
        this.maxConnections = maxConnections;
        this.maxQueue = maxQueue;
    }

    public int maxConnections() {
        return maxConnections;
    }

    /** The waiters allowed, {@link Integer#MAX_VALUE} for no limit. */
    public int maxQueue() {
        return maxQueue;
    }

    /** Slots held now (requests between their pick of this server and their end). */
    public int inUse() {
        return inUse.get();
    }

    /** Requests waiting now ({@code show stat} {@code qcur}). */
    public int queued() {
        return queued.get();
    }

    /** The most requests waiting at once since start ({@code qmax}). */
    public int maxQueued() {
        return maxQueued.get();
    }

    /** Requests that waited longer than {@code queue_timeout}. */
    public long timedOut() {
        return timedOut.get();
    }

    /** Requests refused at once because the queue was full. */
    public long refused() {
        return refused.get();
    }

    /** Takes a slot if one is free; pair a true with {@link #release}. */
    public boolean tryAcquire() {
        for (int now = inUse.get(); now < maxConnections; now = inUse.get()) {
            if (inUse.compareAndSet(now, now + 1)) {
                return true;
            }
        }
        return false;
    }

    /** True when a slot is free now (another request may take it first). */
    boolean hasRoom() {
        return inUse.get() < maxConnections;
    }

    /** Gives a slot back: to the oldest waiter if there is one. */
    public void release() {
        inUse.decrementAndGet();
        handOver();
    }

    /**
     * Queues a request for a slot: {@code granted} runs on {@code executor} once it holds one (then pair
     * with {@link #release}). Null when the queue is full (counted as refused).
     */
    public Waiter enqueue(Executor executor, Runnable granted) {
        int n = queued.incrementAndGet();
        if (n > maxQueue) {
            queued.decrementAndGet();
            refused.incrementAndGet();
            return null;
        }
        if (n > maxQueued.get()) {
            maxQueued.accumulateAndGet(n, Math::max);
        }
        Waiter w = new Waiter(executor, granted);
        waiters.add(w);
        handOver();
        return w;
    }

    private void handOver() {
        while (!waiters.isEmpty() && tryAcquire()) {
            Waiter w;
            do {
                w = waiters.poll();
            } while (w != null && !w.grant());
            if (w == null) {
                inUse.decrementAndGet(); // nobody left to take it; loop in case one queued meanwhile
            }
        }
    }

    /** One request waiting for a slot. */
    public final class Waiter {
        private static final int WAITING = 0;
        private static final int GRANTED = 1;
        private static final int GONE = 2;
        private final AtomicInteger state = new AtomicInteger(WAITING);
        private final Executor executor;
        private final Runnable granted;

        private Waiter(Executor executor, Runnable granted) {
            this.executor = executor;
            this.granted = granted;
        }

        private boolean grant() {
            if (!state.compareAndSet(WAITING, GRANTED)) {
                return false;
            }
            queued.decrementAndGet();
            try {
                executor.execute(granted);
            } catch (RejectedExecutionException e) {
                release(); // its event loop is shutting down: the slot goes to the next one
            }
            return true;
        }

        /**
         * Stops waiting ({@code timedOut}: the queue timeout passed, else the client went away). False when
         * a slot was granted first: the wake-up is on its way and must release it.
         */
        public boolean cancel(boolean timedOut) {
            if (!state.compareAndSet(WAITING, GONE)) {
                return false;
            }
            queued.decrementAndGet();
            if (timedOut) {
                ServerQueue.this.timedOut.incrementAndGet();
            }
            waiters.remove(this);
            return true;
        }
    }
}
