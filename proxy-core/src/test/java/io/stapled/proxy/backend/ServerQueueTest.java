package io.stapled.proxy.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The slots and queue of {@code max_connections} / {@code max_queue}, from several threads at once. */
@Timeout(30)
class ServerQueueTest {

    @Test
    void aFullQueueRefusesAndAReleasedSlotGoesToTheOldestLiveWaiter() {
        ServerQueue q = new ServerQueue(1, 2);
        assertTrue(q.tryAcquire());
        assertFalse(q.tryAcquire());
        StringBuilder woken = new StringBuilder();
        ServerQueue.Waiter first = q.enqueue(Runnable::run, () -> woken.append("first "));
        ServerQueue.Waiter second = q.enqueue(Runnable::run, () -> woken.append("second "));
        assertNotNull(first);
        assertNotNull(second);
        assertNull(q.enqueue(Runnable::run, () -> woken.append("third ")), "max_queue 2");
        assertEquals(1, q.refused());
        assertEquals(2, q.queued());
        assertTrue(first.cancel(false), "its client went away");
        assertEquals(1, q.queued());
        q.release();
        assertEquals("second ", woken.toString());
        assertFalse(second.cancel(true), "granted already");
        assertEquals(1, q.inUse(), "the slot passed to the waiter");
        assertEquals(0, q.queued());
        assertEquals(2, q.maxQueued());
        q.release();
        assertEquals(0, q.inUse());
    }

    @Test
    void underContentionTheCapHoldsAndEveryWaiterIsServed() throws Exception {
        int max = 3;
        ServerQueue q = new ServerQueue(max, Integer.MAX_VALUE);
        AtomicInteger holding = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        int requests = 20_000;
        CountDownLatch done = new CountDownLatch(requests);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        Runnable work = () -> {
            most.accumulateAndGet(holding.incrementAndGet(), Math::max);
            holding.decrementAndGet();
            q.release();
            done.countDown(); // after the release, so that inUse is 0 once every request is done
        };
        try {
            for (int i = 0; i < requests; i++) {
                pool.execute(() -> {
                    if (q.tryAcquire()) {
                        work.run();
                    } else {
                        q.enqueue(pool, work);
                    }
                });
            }
            assertTrue(done.await(20, TimeUnit.SECONDS), done.getCount() + " requests never got a slot");
        } finally {
            pool.shutdownNow();
        }
        assertTrue(most.get() <= max, "at most " + max + " at once, saw " + most.get());
        assertEquals(0, q.inUse());
        assertEquals(0, q.queued());
    }
}
