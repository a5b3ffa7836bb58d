package io.stapled.proxy.conn;

import static io.stapled.proxy.conn.PlainFront.assertClosedByServer;
import static io.stapled.proxy.conn.PlainFront.assertServed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.stapled.testkit.Poll;
import io.stapled.testing.EventLoopGroupExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class ConnectionTrackerTest {
    @RegisterExtension
    static final EventLoopGroupExtension loops = new EventLoopGroupExtension(2);

    @Test
    void countsOpenAndTotalConnections() throws Exception {
        ConnectionTracker tracker = new ConnectionTracker("front");
        try (PlainFront front = new PlainFront(loops.group(), null, tracker)) {
            try (Socket a = front.connect(); Socket b = front.connect()) {
                assertServed(a);
                assertServed(b);
                assertEquals(2, tracker.active());
                assertEquals(2, tracker.total());
            }
            Poll.until(Duration.ofSeconds(5), "closed connections leave", () -> tracker.active() == 0);
            try (Socket c = front.connect()) {
                assertServed(c);
                assertEquals(1, tracker.active());
                assertEquals(3, tracker.total());
            }
        }
    }

    @Test
    void drainWaitsForOpenConnectionsToClose() throws Exception {
        ConnectionTracker tracker = new ConnectionTracker("front");
        AtomicBoolean prepared = new AtomicBoolean();
        try (PlainFront front = new PlainFront(loops.group(), null, tracker);
                Socket a = front.connect(); Socket b = front.connect()) {
            assertServed(a);
            assertServed(b);
            long start = System.nanoTime();
            CompletableFuture<Void> drained = tracker.drain(Duration.ofSeconds(10), () -> prepared.set(true));
            assertTrue(prepared.get(), "beforeWait runs before waiting");
            assertSame(drained, tracker.drain(Duration.ofSeconds(1), null), "drain is idempotent");

            a.close();
            Poll.until(Duration.ofSeconds(5), "one left", () -> tracker.active() == 1);
            assertFalse(drained.isDone(), "still one connection open");
            assertServed(b);

            b.close();
            drained.get(5, TimeUnit.SECONDS);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ms < 5_000, "completed when the last connection closed, not at the grace: " + ms + "ms");
        }
    }

    @Test
    void drainForceClosesWhatIsLeftAfterTheGrace() throws Exception {
        ConnectionTracker tracker = new ConnectionTracker("front");
        try (PlainFront front = new PlainFront(loops.group(), null, tracker); Socket stubborn = front.connect()) {
            assertServed(stubborn);
            long start = System.nanoTime();
            CompletableFuture<Void> drained = tracker.drain(Duration.ofMillis(300), null);
            drained.get(5, TimeUnit.SECONDS);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ms >= 250, "waited for the grace before closing: " + ms + "ms");
            assertEquals(0, tracker.active());
            assertClosedByServer(stubborn);
        }
    }

    @Test
    void drainWithNothingOpenCompletesAtOnce() throws Exception {
        ConnectionTracker tracker = new ConnectionTracker("front");
        tracker.drain(Duration.ofSeconds(30), null).get(1, TimeUnit.SECONDS);
    }
}
