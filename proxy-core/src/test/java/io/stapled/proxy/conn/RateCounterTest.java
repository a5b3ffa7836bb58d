package io.stapled.proxy.conn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** HAProxy's frequency-counter arithmetic over a clock the test moves. */
class RateCounterTest {
    private static final long MS = 1_000_000L;

    @Test
    void countsTheLastSecondWeightingThePreviousOne() {
        AtomicLong clock = new AtomicLong(10_000 * MS);
        RateCounter rate = new RateCounter(clock::get);
        assertEquals(0, rate.rate());
        for (int i = 0; i < 10; i++) {
            rate.increment();
        }
        assertEquals(10, rate.rate());
        assertEquals(10, rate.max());
        clock.addAndGet(1_250 * MS); // a quarter into the next second: 3/4 of the previous ten count
        assertEquals(7, rate.rate());
        rate.increment();
        rate.increment();
        assertEquals(2 + 7, rate.rate());
        assertEquals(10, rate.max(), "the highest rate stays");
        clock.addAndGet(1_000 * MS); // the second after: only the two, weighted
        assertEquals(1, rate.rate());
        clock.addAndGet(5_000 * MS);
        assertEquals(0, rate.rate(), "idle seconds forget everything");
        for (int i = 0; i < 30; i++) {
            rate.increment();
        }
        assertEquals(30, rate.rate(), "an idle gap leaves no previous second");
        assertEquals(30, rate.max());
    }

    @Test
    void countsFromManyThreadsWithoutLosingEventsWithinASecond() throws InterruptedException {
        AtomicLong clock = new AtomicLong(3 * MS);
        RateCounter rate = new RateCounter(clock::get);
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 10_000; i++) {
                    rate.increment();
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(40_000, rate.rate());
        assertEquals(40_000, rate.max());
    }
}
