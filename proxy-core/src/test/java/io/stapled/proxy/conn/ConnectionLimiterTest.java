package io.stapled.proxy.conn;

import static io.stapled.proxy.conn.PlainFront.assertClosedByServer;
import static io.stapled.proxy.conn.PlainFront.assertServed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.stapled.testkit.Poll;
import io.stapled.testing.EventLoopGroupExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class ConnectionLimiterTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    @RegisterExtension
    static final EventLoopGroupExtension loops = new EventLoopGroupExtension(2);

    @Test
    void overTheCapTheConnectionWaitsInTheBacklogAndIsServedOnceOneCloses() throws Exception {
        ConnectionLimiter limiter = new ConnectionLimiter("front", 2);
        ConnectionTracker tracker = new ConnectionTracker("front");
        try (PlainFront front = new PlainFront(loops.group(), limiter, tracker);
                Socket a = front.connect(); Socket b = front.connect()) {
            assertServed(a);
            assertServed(b);
            assertEquals(2, limiter.active());
            Poll.until(WAIT, "accepting paused at the cap", limiter::paused);

            try (Socket c = front.connect()) {
                c.getOutputStream().write('x');
                c.setSoTimeout(500);
                assertThrows(SocketTimeoutException.class, () -> c.getInputStream().read(),
                        "over the cap: neither served nor closed, it waits");
                assertEquals(2, tracker.total(), "the third connection is not accepted yet");
                assertEquals(0, limiter.rejected());

                a.close();
                c.setSoTimeout(5_000);
                assertEquals('x', c.getInputStream().read(), "accepted and served once a slot is free");
                assertServed(b);
                assertEquals(2, limiter.active());
                assertEquals(3, tracker.total());
            }
        }
        Poll.until(WAIT, "all slots freed", () -> limiter.active() == 0);
        assertFalse(limiter.paused());
        assertTrue(limiter.pauses() >= 1);
    }

    @Test
    void zeroMeansNoCap() throws Exception {
        ConnectionLimiter limiter = new ConnectionLimiter("front", 0);
        List<Socket> sockets = new ArrayList<>();
        try (PlainFront front = new PlainFront(loops.group(), limiter, null)) {
            for (int i = 0; i < 20; i++) {
                Socket s = front.connect();
                sockets.add(s);
                assertServed(s);
            }
            assertEquals(20, limiter.active());
            assertEquals(0, limiter.rejected());
            assertFalse(limiter.paused());
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    @Test
    void oneSourceIsLimitedInHandshakeWhileOthersAreNot() throws Exception {
        ConnectionLimiter limiter = new ConnectionLimiter("front", 0, 3);
        HandshakeLimiter handshakes = limiter.handshakes();
        InetAddress flooder = InetAddress.getByName("127.0.0.2");
        List<Socket> held = new ArrayList<>();
        try (PlainFront front = new PlainFront(loops.group(), limiter, null)) {
            for (int i = 0; i < 3; i++) {
                held.add(front.connectFrom("127.0.0.2"));
            }
            Poll.until(WAIT, "three in handshake", () -> handshakes.inHandshake(flooder) == 3);
            try (Socket fourth = front.connectFrom("127.0.0.2")) {
                assertClosedByServer(fourth);
            }
            assertEquals(1, limiter.rejected());
            try (Socket other = front.connectFrom("127.0.0.1")) {
                other.getOutputStream().write(PlainFront.HANDSHAKE);
                assertEquals(PlainFront.HANDSHAKE, other.getInputStream().read(), "another address is served");
            }

            held.get(0).getOutputStream().write(PlainFront.HANDSHAKE);
            assertEquals(PlainFront.HANDSHAKE, held.get(0).getInputStream().read());
            Poll.until(WAIT, "a finished handshake no longer counts", () -> handshakes.inHandshake(flooder) == 2);
            held.get(1).close();
            Poll.until(WAIT, "a closed connection no longer counts", () -> handshakes.inHandshake(flooder) == 1);
            try (Socket again = front.connectFrom("127.0.0.2"); Socket andAgain = front.connectFrom("127.0.0.2")) {
                assertServed(again);
                assertServed(andAgain);
            }
            assertServed(held.get(0));
            assertEquals(1, limiter.rejected());
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
        Poll.until(WAIT, "no entries left once every connection is gone", () -> handshakes.sources() == 0);
    }

    @Test
    void closesRacingWithThePauseNeverLeaveTheListenerStuck() throws Exception {
        ConnectionLimiter limiter = new ConnectionLimiter("front", 4);
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try (PlainFront front = new PlainFront(loops.group(), limiter, null)) {
            List<Future<Integer>> runs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                runs.add(clients.submit(() -> {
                    int served = 0;
                    for (int i = 0; i < 150; i++) {
                        try (Socket s = front.connect()) {
                            assertServed(s);
                            served++;
                        }
                    }
                    return served;
                }));
            }
            for (Future<Integer> run : runs) {
                assertEquals(150, run.get(50, TimeUnit.SECONDS), "every connection was served, none closed");
            }
            Poll.until(WAIT, "all slots freed", () -> limiter.active() == 0);
            Poll.until(WAIT, "accepting again", () -> !limiter.paused());
            assertTrue(limiter.pauses() > 0, "the cap was reached along the way");
            try (Socket last = front.connect()) {
                assertServed(last);
            }
            assertEquals(0, limiter.rejected());
        } finally {
            clients.shutdownNow();
        }
    }

}
