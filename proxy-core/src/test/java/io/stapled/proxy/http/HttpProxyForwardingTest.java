package io.stapled.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import io.stapled.config.HttpConfig;
import io.stapled.testkit.Poll;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class HttpProxyForwardingTest {
    private TestBackend backend;
    private TestBackend backend2;
    private ProxyHarness proxy;

    @BeforeEach
    void start() throws Exception {
        backend = new TestBackend();
        backend2 = new TestBackend();
    }

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        backend.close();
        backend2.close();
    }

    @Test
    void keepAliveIsReusedOnBothSides() throws Exception {
        proxy = ProxyHarness.start(ProxyHarness.backend(backend.port()));
        HttpClient client = proxy.httpClient();
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(proxy.url("/hello?i=" + i))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertTrue(r.body().startsWith("hello from connection"));
        }
        assertEquals(10, backend.requests.get());
        assertEquals(1, proxy.clientConnections.get(), "the client's connection was not kept alive");
        assertEquals(1, backend.connections.get(), "backend connections were not reused");
    }

    @Test
    void backendConnectionsUseTheClientsNativeTransport() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.netty.channel.epoll.Epoll.isAvailable(), "no epoll here");
        // An NIO backend channel cannot be registered on an epoll event loop: this only works when the
        // backend connection takes the client's transport.
        proxy = ProxyHarness.startEpoll(ProxyHarness.backend(backend.port()));
        try (RawClient c = proxy.raw()) {
            for (int i = 0; i < 3; i++) {
                c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
                assertEquals(200, c.read().status());
            }
        }
        assertEquals(1, backend.connections.get());
    }

    @Test
    void idlePooledConnectionsAreClosedAfterIdleTimeout() throws Exception {
        proxy = ProxyHarness.start(ProxyHarness.backend(backend.port()).withMaxIdlePerServer(4)
                .withIdleTimeout(Duration.ofMillis(300)));
        try (RawClient c = proxy.raw()) {
            c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, c.read().status());
            assertEquals(1, proxy.proxy.idleBackendConnections());
            Poll.within(Duration.ofSeconds(5), () -> proxy.proxy.idleBackendConnections() == 0);
            assertEquals(0, proxy.proxy.idleBackendConnections(), "idle connection outlived idleTimeout");
            c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, c.read().status());
        }
        assertEquals(2, backend.connections.get());
    }

    @Test
    void maxIdlePerServerZeroDisablesPooling() throws Exception {
        proxy = ProxyHarness.start(ProxyHarness.backend(backend.port()).withMaxIdlePerServer(0));
        try (RawClient c = proxy.raw()) {
            for (int i = 0; i < 3; i++) {
                c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
                assertEquals(200, c.read().status());
            }
        }
        assertEquals(3, backend.connections.get());
        assertEquals(0, proxy.proxy.idleBackendConnections());
    }

    @Test
    void serverIsPickedPerRequestAndLeastConnCountsAreReturned() throws Exception {
        proxy = ProxyHarness.start(ProxyHarness.backend(backend.port(), backend2.port()));
        try (RawClient c = proxy.raw()) {
            for (int i = 0; i < 4; i++) {
                c.send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n");
                assertEquals(200, c.read().status());
            }
        }
        assertEquals(2, backend.requests.get(), "round robin per request, not per client connection");
        assertEquals(2, backend2.requests.get());
        for (var s : proxy.pool.servers()) {
            assertEquals(0, s.activeConnections(), s + " still counted as busy");
            assertEquals(2, s.totalConnections());
        }
    }

    @Test
    void hostIsPreservedAndHopByHopHeadersAreRemoved() throws Exception {
        proxy = ProxyHarness.start(ProxyHarness.backend(backend.port()));
        try (RawClient c = proxy.raw()) {
            c.send("GET /hello HTTP/1.1\r\nHost: app.example:8443\r\nConnection: keep-alive, x-private\r\n"
                    + "X-Private: secret\r\nKeep-Alive: timeout=9\r\nProxy-Connection: keep-alive\r\n"
                    + "TE: trailers\r\nUpgrade: h2c\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\n"
                    + "X-End-To-End: kept\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals(200, r.status());
            assertNull(r.header("x-hop-response"), "a header named by the backend's Connection leaked");
            assertNull(r.header("keep-alive"));
            assertNull(r.header("connection"));
        }
        io.netty.handler.codec.http.HttpRequest seen = backend.nextRequest();
        assertEquals("app.example:8443", seen.headers().get("host"));
        assertEquals("kept", seen.headers().get("x-end-to-end"));
        for (String hop : List.of("connection", "x-private", "keep-alive", "proxy-connection", "te", "upgrade",
                "proxy-authorization")) {
            assertFalse(seen.headers().contains(hop), hop + " was forwarded");
        }
        assertEquals("HTTP/1.1", seen.protocolVersion().text());
    }

    @Test
    void forwardedHeadersReplaceWhatAnUntrustedPeerSent() throws Exception {
        proxy = ProxyHarness.start(ProxyHarness.backend(backend.port()));
        try (RawClient c = proxy.raw()) {
            c.send("GET /hello HTTP/1.1\r\nHost: shop.example\r\nX-Forwarded-For: 6.6.6.6\r\n"
                    + "X-Forwarded-Proto: http\r\nX-Forwarded-Host: evil.example\r\n\r\n");
            assertEquals(200, c.read().status());
        }
        io.netty.handler.codec.http.HttpRequest seen = backend.nextRequest();
        assertEquals("127.0.0.1", seen.headers().get("x-forwarded-for"));
        assertEquals("https", seen.headers().get("x-forwarded-proto"));
        assertEquals("shop.example", seen.headers().get("x-forwarded-host"));
    }

    @Test
    void forwardedForIsAppendedForATrustedUpstream() throws Exception {
        HttpConfig http = ProxyHarness.http(Duration.ofSeconds(10), 16384, 8192, List.of("10.0.0.0/8", "127.0.0.0/8"));
        proxy = ProxyHarness.start(ProxyHarness.backend(backend.port()), f -> f.withHttp(http));
        try (RawClient c = proxy.raw()) {
            c.send("GET /hello HTTP/1.1\r\nHost: shop.example\r\nX-Forwarded-For: 203.0.113.7\r\n"
                    + "X-Forwarded-Host: original.example\r\n\r\n");
            assertEquals(200, c.read().status());
            c.send("GET /hello HTTP/1.1\r\nHost: shop.example\r\n\r\n");
            assertEquals(200, c.read().status());
        }
        io.netty.handler.codec.http.HttpRequest first = backend.nextRequest();
        assertEquals("203.0.113.7, 127.0.0.1", first.headers().get("x-forwarded-for"));
        assertEquals("original.example", first.headers().get("x-forwarded-host"));
        assertEquals("https", first.headers().get("x-forwarded-proto"));
        io.netty.handler.codec.http.HttpRequest second = backend.nextRequest();
        assertEquals("127.0.0.1", second.headers().get("x-forwarded-for"));
    }

    @Test
    void chunkedRequestAndChunkedResponseWithTrailers() throws Exception {
        proxy = ProxyHarness.start(ProxyHarness.backend(backend.port()));
        try (RawClient c = proxy.raw()) {
            c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals(200, r.status());
            assertEquals("chunked", r.header("transfer-encoding"));
            assertEquals("hello, world", r.body());
            c.send("GET /chunks HTTP/1.1\r\nHost: x\r\n\r\n");
            RawClient.Response chunks = c.read();
            assertEquals("alpha-beta-gamma", chunks.body());
            // still usable afterwards
            c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, c.read().status());
        }
        assertEquals("chunked", backend.nextRequest().headers().get("transfer-encoding"));
    }

    @Test
    void expectContinueIsRelayedFromTheBackend() throws Exception {
        proxy = ProxyHarness.start(ProxyHarness.backend(backend.port()));
        try (RawClient c = proxy.raw()) {
            c.send("POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n");
            RawClient.Response interim = c.read();
            assertEquals(100, interim.status(), "the backend's 100 Continue was not relayed");
            c.send("0123456789");
            RawClient.Response r = c.read();
            assertEquals(200, r.status());
            assertEquals("10", r.body());
            c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, c.read().status());
        }
        assertEquals("100-continue", backend.nextRequest().headers().get("expect"));
    }

    @Test
    void expectContinueRefusedByTheBackendClosesTheClientConnection() throws Exception {
        proxy = ProxyHarness.start(ProxyHarness.backend(backend.port()));
        try (RawClient c = proxy.raw()) {
            c.send("POST /reject HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals(417, r.status());
            assertTrue(c.closedByPeer(), "the unsent body leaves the request stream unknown: must close");
        }
    }

    @Test
    void jdkClientExpectContinue() throws Exception {
        proxy = ProxyHarness.start(ProxyHarness.backend(backend.port()));
        HttpResponse<String> r = proxy.httpClient().send(HttpRequest.newBuilder(URI.create(proxy.url("/count")))
                .expectContinue(true).POST(HttpRequest.BodyPublishers.ofString("abcdef")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals("6", r.body());
    }

    @Test
    void http10ClientGetsNoInterimResponse() throws Exception {
        proxy = ProxyHarness.start(ProxyHarness.backend(backend.port()));
        try (RawClient c = proxy.raw()) {
            c.send("POST /count HTTP/1.0\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nok");
            RawClient.Response r = c.read();
            assertEquals(200, r.status());
            assertEquals("2", r.body());
        }
    }

    @Test
    void headResponseHasNoBodyAndKeepsTheConnectionInSync() throws Exception {
        proxy = ProxyHarness.start(ProxyHarness.backend(backend.port()));
        try (RawClient c = proxy.raw()) {
            c.send("HEAD /chunks HTTP/1.1\r\nHost: x\r\n\r\n");
            RawClient.Response head = c.readHead();
            assertEquals(200, head.status());
            c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            RawClient.Response next = c.read();
            assertEquals(200, next.status());
            assertTrue(next.body().startsWith("hello"));
        }
    }

    @Test
    void closeDelimitedBackendResponseIsChunkedToTheClient() throws Exception {
        proxy = ProxyHarness.start(ProxyHarness.backend(backend.port()));
        try (RawClient c = proxy.raw()) {
            c.send("GET /until-close HTTP/1.1\r\nHost: x\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals("chunked", r.header("transfer-encoding"));
            assertEquals("until-close-body", r.body());
            c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, c.read().status());
        }
        assertEquals(2, backend.connections.get(), "a close-delimited connection cannot be reused");
    }

    @Test
    void http10ClientGetsAnUnchunkedBodyAndAClose() throws Exception {
        proxy = ProxyHarness.start(ProxyHarness.backend(backend.port()));
        try (RawClient c = proxy.raw()) {
            c.send("GET /chunks HTTP/1.0\r\nHost: x\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals(200, r.status());
            assertNull(r.header("transfer-encoding"));
            assertEquals("alpha-beta-gamma", r.body());
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        proxy = ProxyHarness.start(ProxyHarness.backend(backend.port()));
        try (RawClient c = proxy.raw()) {
            c.send("GET /hello?a HTTP/1.1\r\nHost: x\r\n\r\nPOST /count HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Length: 3\r\n\r\nabcGET /hello?c HTTP/1.1\r\nHost: x\r\n\r\n");
            assertTrue(c.read().body().startsWith("hello"));
            assertEquals("3", c.read().body());
            assertTrue(c.read().body().startsWith("hello"));
        }
        assertEquals("/hello?a", backend.nextRequest().uri());
        assertEquals("/count", backend.nextRequest().uri());
        assertEquals("/hello?c", backend.nextRequest().uri());
    }

    @Test
    void accessLogWritesOneLinePerRequest() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(AccessLog.LOGGER_NAME);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            proxy = ProxyHarness.start(ProxyHarness.backend(backend.port()), f -> f.withAccessLog(true));
            try (RawClient c = proxy.raw()) {
                c.send("POST /count HTTP/1.1\r\nHost: x\r\nUser-Agent: t\"est\r\nContent-Length: 4\r\n\r\nbody");
                assertEquals(200, c.read().status());
            }
            Poll.within(Duration.ofSeconds(5), () -> !appender.list.isEmpty());
            assertEquals(1, appender.list.size());
            String line = appender.list.get(0).getFormattedMessage();
            assertTrue(line.matches("127\\.0\\.0\\.1 - - \\[[^]]+] \"POST /count HTTP/1\\.1\" 200 1 \"-\" "
                    + "\"t\\\\x22est\" fe be/s1 \\d+ms"), line);
            assertFalse(line.contains("body"));
        } finally {
            logger.detachAppender(appender);
        }
    }
}
