package io.stapled.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import io.stapled.testkit.Poll;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class HttpProxyDrainTest {
    private TestBackend backend;
    private ProxyHarness proxy;

    @BeforeEach
    void start() throws Exception {
        backend = new TestBackend();
        proxy = ProxyHarness.start(ProxyHarness.backend(backend.port()));
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        backend.close();
    }

    @Test
    void drainClosesIdleKeepAliveConnections() throws Exception {
        try (RawClient c = proxy.raw()) {
            c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, c.read().status());
            assertTrue(c.staysOpenFor(100));
            proxy.drain();
            assertTrue(c.closedByPeer(), "idle connection not closed by drain");
        }
        Poll.within(Duration.ofSeconds(5), () -> proxy.openClientConnections() == 0);
        assertEquals(0, proxy.openClientConnections());
    }

    @Test
    void inFlightRequestCompletesWithConnectionClose() throws Exception {
        try (RawClient c = proxy.raw()) {
            c.send("POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello");
            backend.firstBodyByte.await(5, TimeUnit.SECONDS);
            proxy.drain();
            assertTrue(proxy.proxy.isDraining());
            c.send("world");
            RawClient.Response r = c.read();
            assertEquals(200, r.status());
            assertEquals("10", r.body());
            assertEquals("close", r.header("connection"));
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void connectionsAcceptedWhileDrainingAreNotKeptAlive() throws Exception {
        proxy.drain();
        try (RawClient c = proxy.raw()) {
            c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals(200, r.status());
            assertEquals("close", r.header("connection"));
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void aConnectionWaitingForItsFirstRequestIsAnsweredOnceThenClosed() throws Exception {
        try (RawClient c = proxy.raw()) {
            proxy.drain();
            assertTrue(c.staysOpenFor(200));
            c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals(200, r.status());
            assertEquals("close", r.header("connection"));
            assertTrue(c.closedByPeer());
        }
    }

    @Test
    void closeShutsPooledBackendConnections() throws Exception {
        try (RawClient c = proxy.raw()) {
            c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, c.read().status());
        }
        assertEquals(1, proxy.proxy.idleBackendConnections());
        proxy.proxy.close();
        Poll.within(Duration.ofSeconds(5), () -> proxy.proxy.idleBackendConnections() == 0);
        assertEquals(0, proxy.proxy.idleBackendConnections());
    }
}
