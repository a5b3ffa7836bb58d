package io.stapled.proxy.conn;

import static io.stapled.proxy.conn.PlainFront.assertClosedByServer;
import static io.stapled.proxy.conn.PlainFront.assertServed;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.stapled.testkit.Poll;
import io.stapled.testing.EventLoopGroupExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class ConnectionLimiterTest {
    @RegisterExtension
    static final EventLoopGroupExtension loops = new EventLoopGroupExtension(2);

    @Test
    void closesTheConnectionOverTheCapAndAcceptsAgainAfterOneCloses() throws Exception {
        ConnectionLimiter limiter = new ConnectionLimiter("front", 2);
        ConnectionTracker tracker = new ConnectionTracker("front");
        try (PlainFront front = new PlainFront(loops.group(), limiter, tracker);
                Socket a = front.connect(); Socket b = front.connect()) {
            assertServed(a);
            assertServed(b);
            assertEquals(2, limiter.active());

            try (Socket c = front.connect()) {
                assertClosedByServer(c);
            }
            assertEquals(1, limiter.rejected());
            assertEquals(2, limiter.active());
            assertEquals(2, tracker.total(), "a rejected connection never reaches the rest of the pipeline");

            a.close();
            Poll.until(Duration.ofSeconds(5), "slot freed", () -> limiter.active() == 1);
            try (Socket d = front.connect()) {
                assertServed(d);
                assertServed(b);
                assertEquals(2, limiter.active());
            }
        }
        Poll.until(Duration.ofSeconds(5), "all slots freed", () -> limiter.active() == 0);
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
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
