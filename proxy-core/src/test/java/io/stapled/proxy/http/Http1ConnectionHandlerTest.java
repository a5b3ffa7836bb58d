package io.stapled.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;

import io.stapled.config.BackendConfig;
import io.stapled.config.FrontendConfig;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.backend.BackendServer;

/**
 * The HTTP/1.1 connection handler and its exchanges as a state machine: the real handlers, codecs
 * and backend pipeline on Netty's {@code EmbeddedChannel}s that share one mock clock, so every
 * timeout is reached by moving time, not by waiting for it.
 */
class Http1ConnectionHandlerTest {
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration SERVER_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);

    private final MockTicker ticker = Ticker.newMockTicker();
    private final EmbeddedBackends backends = new EmbeddedBackends();
    private EmbeddedChannel client;

    /** Lends each exchange a new embedded backend connection, on the same clock, with the pool's pipeline. */
    private final class EmbeddedBackends implements BackendConnections {
        final List<EmbeddedChannel> opened = new ArrayList<>();
        final List<Channel> released = new ArrayList<>();
        /** Never connects: it only builds the production pipeline (and would count a discard). */
        BackendConnectionPool pipelines;

        @Override
        public Future<Channel> acquire(BackendServer server, Channel forClient) {
            EmbeddedChannel ch = EmbeddedChannel.builder().ticker(ticker).build();
            pipelines.initPipeline(ch.pipeline());
            opened.add(ch);
            return forClient.eventLoop().newSucceededFuture(ch);
        }

        @Override
        public void release(BackendServer server, Channel channel) {
            released.add(channel);
        }

        @Override
        public void close() {
        }

        @Override
        public int idleCount() {
            return released.size();
        }

        EmbeddedChannel last() {
            return opened.get(opened.size() - 1);
        }
    }

    @BeforeEach
    void start() {
        BackendConfig backend = ProxyHarness.backend(Duration.ofSeconds(1), SERVER_TIMEOUT, 8080);
        FrontendConfig frontend = ProxyHarness.frontend(
                ProxyHarness.http(REQUEST_TIMEOUT, 16 * 1024, 8 * 1024, List.of()), CLIENT_TIMEOUT, false);
        backends.pipelines = new BackendConnectionPool(backend);
        HttpProxyInitializer proxy = new HttpProxyInitializer(frontend, new BackendPool(backend),
                HttpRequestObserver.NOOP, backends);
        client = EmbeddedChannel.builder().ticker(ticker).build();
        proxy.install(client.pipeline());
    }

    @AfterEach
    void release() {
        client.finishAndReleaseAll();
        for (EmbeddedChannel b : backends.opened) {
            b.finishAndReleaseAll();
        }
    }

    private void advance(Duration d) {
        ticker.advance(d.toNanos(), TimeUnit.NANOSECONDS);
        client.runScheduledPendingTasks();
    }

    private void clientSends(String text) {
        client.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
    }

    private static void backendSends(EmbeddedChannel backend, String text) {
        backend.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
    }

    private static String drain(EmbeddedChannel ch) {
        StringBuilder out = new StringBuilder();
        Object msg;
        while ((msg = ch.readOutbound()) != null) {
            ByteBuf buf = (ByteBuf) msg;
            out.append(buf.toString(StandardCharsets.ISO_8859_1));
            buf.release();
        }
        return out.toString();
    }

    private void serveOne(String path) {
        clientSends("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
        EmbeddedChannel backend = backends.last();
        assertTrue(drain(backend).startsWith("GET " + path + " HTTP/1.1\r\n"));
        backendSends(backend, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        String response = drain(client);
        assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n") && response.endsWith("\r\n\r\nok"), response);
    }

    @Test
    void noRequestHeadWithinTheRequestTimeoutIs408ThenClose() {
        clientSends("GET / HTTP/1.1\r\nHo"); // half a head
        advance(REQUEST_TIMEOUT.minusMillis(1));
        assertEquals("", drain(client));
        assertTrue(client.isOpen());
        advance(Duration.ofMillis(1));
        assertTrue(drain(client).startsWith("HTTP/1.1 408 "));
        assertFalse(client.isOpen());
        assertTrue(backends.opened.isEmpty(), "no backend was asked");
    }

    @Test
    void theRequestTimerRestartsWhenAKeepAliveResponseEnds() {
        advance(REQUEST_TIMEOUT.minusSeconds(1));
        serveOne("/a");
        advance(REQUEST_TIMEOUT.minusMillis(1)); // measured from the response's end, not the connection's start
        assertTrue(client.isOpen());
        serveOne("/b");
        assertEquals(2, backends.released.size(), "both backend connections went back to the pool");
        advance(REQUEST_TIMEOUT);
        assertTrue(drain(client).startsWith("HTTP/1.1 408 "));
        assertFalse(client.isOpen());
    }

    @Test
    void aSilentServerIs504AndItsConnectionIsNotReused() {
        clientSends("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
        EmbeddedChannel backend = backends.last();
        drain(backend);
        advance(SERVER_TIMEOUT.minusMillis(1));
        assertEquals("", drain(client));
        advance(Duration.ofMillis(1));
        String response = drain(client);
        assertTrue(response.startsWith("HTTP/1.1 504 "), response);
        assertFalse(backend.isOpen());
        assertTrue(backends.released.isEmpty());
        assertTrue(client.isOpen(), "the request was complete: the client connection is kept");
    }

    @Test
    void aServerThatKeepsSendingIsNotTimedOut() {
        clientSends("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
        EmbeddedChannel backend = backends.last();
        drain(backend);
        backendSends(backend, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int i = 0; i < 4; i++) {
            advance(SERVER_TIMEOUT.minusSeconds(1));
            backendSends(backend, "1\r\nx\r\n");
        }
        backendSends(backend, "0\r\n\r\n");
        String response = drain(client);
        assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n") && response.endsWith("0\r\n\r\n"), response);
        assertEquals(List.of(backend), backends.released);
    }

    @Test
    void aSlowClientDoesNotTriggerTheServerTimeout() {
        clientSends("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
        EmbeddedChannel backend = backends.last();
        drain(backend);
        backendSends(backend, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab");
        // The client stops reading: the proxy stops reading the backend, which then looks silent.
        client.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        client.runPendingTasks(); // the writability event is fired later, as a task
        assertFalse(backend.config().isAutoRead(), "back-pressure reached the backend");
        advance(SERVER_TIMEOUT.multipliedBy(3));
        assertTrue(backend.isOpen(), "a slow client is not a slow server");
        client.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        client.runPendingTasks();
        assertTrue(backend.config().isAutoRead());
        backendSends(backend, "cd");
        String response = drain(client);
        assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n") && response.endsWith("abcd"), response);
        assertEquals(List.of(backend), backends.released);
    }

    @Test
    void anUpgradeBecomesATunnelBothWays() {
        clientSends("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
        EmbeddedChannel backend = backends.last();
        assertTrue(drain(backend).contains("Upgrade: websocket"));
        backendSends(backend, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
        assertTrue(drain(client).startsWith("HTTP/1.1 101 "));
        clientSends("\u0081\u0002hi");
        assertEquals("\u0081\u0002hi", drain(backend));
        backendSends(backend, "\u0081\u0002yo");
        assertEquals("\u0081\u0002yo", drain(client));
        advance(REQUEST_TIMEOUT.plus(SERVER_TIMEOUT));
        assertTrue(client.isOpen() && backend.isOpen(), "HTTP timers do not apply to a tunnel");
    }

    @Test
    void aRequestPipelinedBehindAnUpgradeClosesBothConnections() {
        clientSends("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
                + "GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
        EmbeddedChannel backend = backends.last();
        drain(backend);
        backendSends(backend, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
        drain(client);
        assertFalse(client.isOpen(), "the pipelined request's bytes were decoded as HTTP and cannot be relayed");
        assertFalse(backend.isOpen());
        assertEquals(1, backends.opened.size(), "the pipelined request was not forwarded");
    }
}
