package io.stapled.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;

import io.stapled.config.HttpConfig;
import io.stapled.config.HttpConfig.UnderscoreHeaders;
import io.stapled.testkit.Poll;

/**
 * Request heads that HAProxy refuses and the proxy must refuse too (docs/HTTP-PROXY.md, "What is
 * refused and why"), each sent byte-exact over real TLS to the real proxy: every one gets a 400 and the
 * connection closed, and the backend never sees a connection. And the requests next to them that must
 * still pass, with what the backend receives.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class HttpRequestValidationTest {
    private TestBackend backend;
    private ProxyHarness proxy;

    @BeforeEach
    void start() throws Exception {
        backend = new TestBackend();
    }

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        backend.close();
    }

    private void startProxy(HttpConfig http) throws Exception {
        proxy = ProxyHarness.start(ProxyHarness.backend(backend.port()), f -> f.withHttp(http));
    }

    private static HttpConfig http(boolean acceptInvalid, UnderscoreHeaders underscores, String clientIpHeader,
                                   List<String> trusted) {
        return HttpConfig.defaults().withAcceptInvalidRequests(acceptInvalid).withUnderscoreHeaders(underscores)
                .withClientIpHeader(clientIpHeader).withTrustedUpstreams(trusted);
    }

    /** 400, Connection: close, the connection closed, and nothing of it at the backend. */
    private void expect400(String request) throws Exception {
        try (RawClient c = proxy.raw()) {
            c.send(request);
            RawClient.Response r = c.read();
            assertEquals(400, r.status(), printable(request));
            assertEquals("close", r.header("connection"));
            assertTrue(c.closedByPeer(), "connection left open after 400");
        }
        assertEquals(0, backend.requests.get(), "refused request reached the backend: " + printable(request));
        assertEquals(0, backend.connections.get(), "a backend connection was opened for " + printable(request));
    }

    /** 200 from the backend; returns what the backend received. */
    private HttpRequest expectForwarded(String request) throws Exception {
        try (RawClient c = proxy.raw()) {
            c.send(request);
            RawClient.Response r = c.read();
            assertEquals(200, r.status(), printable(request) + " -> " + r.body());
        }
        return backend.nextRequest();
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(c < 0x20 || c >= 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return b.toString();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // Host (RFC 9110 section 7.2): one plain host[:port]
        "GET /hello HTTP/1.1\r\nHost: localhost\r\nHost: localhost\r\n\r\n",
        "GET /hello HTTP/1.0\r\nHost: localhost\r\nHost: evil\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: localhost, evil\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: localhost,evil\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: local host\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: evil@localhost\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: localhost/admin\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: localhost?x\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: localhost#x\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: local%68ost\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: localhost:abc\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: localhost:\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: localhost:99999\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: localhost:443:443\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: :443\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: l\u00f3calhost\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: ::1\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: [::1\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: [::g]\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: [::1]x\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: [fe80::1%25eth0]\r\n\r\n",
        // absolute-form (RFC 9112 section 3.2.2)
        "GET http://other.example/hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET http://localhost:8443/hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET https://localhost/hello HTTP/1.1\r\nHost: localhost:80\r\n\r\n",
        "GET http://evil@localhost/hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET http://user:pw@localhost/hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET http:///hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET http://localhost//hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET http://local,host/hello HTTP/1.1\r\nHost: local,host\r\n\r\n",
        "GET ftp://localhost/hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET http:/localhost/hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET http://localhost/hello HTTP/1.1\r\n\r\n",
        "GET //evil.example/hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        // request-target bytes and forms
        "GET /a\u0000b HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /a\u0001b HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /a\u001fb HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /a\u007fb HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /a\u0080b HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /caf\u00e9 HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /hello#fragment HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /a{b} HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /a|b HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /a\"b HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /<script> HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /a\\b HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /a^b HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /a`b HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET * HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "POST * HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n",
        "OPTIONS *x HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n",
        "OPTIONS localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n",
        "GET hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET ?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n",
        // request line (RFC 9112 sections 2.2 and 3)
        "get /hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "Get /hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /hello http/1.1\r\nHost: localhost\r\n\r\n",
        "GET /hello Http/1.1\r\nHost: localhost\r\n\r\n",
        "GET /hello http/1.1\r\n\r\n",
        " GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "   GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "\tGET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "\r\n GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "\rGET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "\u0000GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /hello\rHTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET\r/hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: localhost\r\nX-A: a\rb\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\r\n",
        "GET  /hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /hello  HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET\t/hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /hello\tHTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /hello\u000bHTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /hello\u000cHTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /hello HTTP/1.1x\r\nHost: localhost\r\n\r\n",
        "GET /hello HTTP/1.1\r\r\nHost: localhost\r\n\r\n",
    })
    void refusedRequestHeadsGet400AndNeverReachTheBackend(String request) throws Exception {
        startProxy(HttpConfig.defaults());
        expect400(request);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GET /a\u0000b HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /a\u0001b HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /a\u007fb HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "get /hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /hello http/1.1\r\nHost: localhost\r\n\r\n",
        " GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /hello\tHTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET //evil.example/hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET * HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: evil@localhost\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: l\u00f3calhost\r\n\r\n",
        "GET http://other.example/hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
    })
    void acceptInvalidRequestsDoesNotRelaxTheRest(String request) throws Exception {
        startProxy(http(true, UnderscoreHeaders.DROP, null, List.of()));
        expect400(request);
    }

    @Test
    void acceptInvalidRequestsLetsRfc3986ExclusionsNonAsciiAndFragmentsThrough() throws Exception {
        startProxy(http(true, UnderscoreHeaders.DROP, null, List.of()));
        // Raw UTF-8 (the bytes C3 A9 for an e-acute): the backend gets the very same bytes.
        String target = "/hello/a|b{c}\"d\"<e>\\f^g`h/caf\u00c3\u00a9#frag";
        HttpRequest seen = expectForwarded("GET " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertEquals(target, seen.uri(), "forwarded as received");
        // A byte from 0x80 that is not UTF-8 cannot be sent as itself by the encoder: %-encoded.
        seen = expectForwarded("GET /caf\u00e9 HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertEquals("/caf%E9", seen.uri());
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "LocalHost", "localhost:8443", "127.0.0.1", "127.0.0.1:443", "[::1]",
        "[::1]:443", "[2001:db8::7]:8443", "[::ffff:192.0.2.1]", "my_service.internal", "a-b.example.", ""})
    void validHostsAreForwardedAsSent(String host) throws Exception {
        startProxy(HttpConfig.defaults());
        HttpRequest seen = expectForwarded("GET /hello HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
        assertEquals(host, seen.headers().get("host"));
        assertEquals(List.of(host), seen.headers().getAll("host"));
    }

    @Test
    void http10WithoutHostIsStillAccepted() throws Exception {
        startProxy(HttpConfig.defaults());
        HttpRequest seen = expectForwarded("GET /hello HTTP/1.0\r\n\r\n");
        assertNull(seen.headers().get("host"));
    }

    @Test
    void optionsAsteriskIsForwarded() throws Exception {
        startProxy(HttpConfig.defaults());
        HttpRequest seen = expectForwarded("OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertEquals("*", seen.uri());
        assertEquals("OPTIONS", seen.method().name());
    }

    @Test
    void absoluteFormIsForwardedAsOriginFormWithHostFromTheAuthority() throws Exception {
        startProxy(HttpConfig.defaults());
        HttpRequest seen = expectForwarded(
                "GET http://shop.example/hello?q=1 HTTP/1.1\r\nHost: shop.example\r\n\r\n");
        assertEquals("/hello?q=1", seen.uri());
        assertEquals("shop.example", seen.headers().get("host"));
        assertEquals("shop.example", seen.headers().get("x-forwarded-host"));

        // Case and the scheme's default port do not make a mismatch; the authority is what is sent on.
        seen = expectForwarded("GET HTTPS://Shop.Example:443/hello HTTP/1.1\r\nHost: shop.example\r\n\r\n");
        assertEquals("/hello", seen.uri());
        assertEquals("Shop.Example:443", seen.headers().get("host"));
        assertEquals("Shop.Example:443", seen.headers().get("x-forwarded-host"));

        seen = expectForwarded("GET http://[::1]:8080?x HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
        assertEquals("/?x", seen.uri());
        assertEquals("[::1]:8080", seen.headers().get("host"));

        // HTTP/1.0 needs no Host: the authority becomes it (X-Forwarded-Host too).
        seen = expectForwarded("GET http://shop.example/hello HTTP/1.0\r\n\r\n");
        assertEquals("/hello", seen.uri());
        assertEquals("shop.example", seen.headers().get("host"));
        assertEquals("shop.example", seen.headers().get("x-forwarded-host"));

        // A server-wide OPTIONS in absolute-form is sent on as "*" (RFC 9112 section 3.2.4).
        seen = expectForwarded("OPTIONS http://shop.example HTTP/1.1\r\nHost: shop.example\r\n\r\n");
        assertEquals("*", seen.uri());
    }

    @Test
    void emptyLinesBeforeTheRequestLineAreSkipped() throws Exception {
        startProxy(HttpConfig.defaults());
        HttpRequest seen = expectForwarded("\r\n\r\nGET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertEquals("/hello", seen.uri());
        // ...also between keep-alive requests, as after a POST body some clients add a CRLF.
        try (RawClient c = proxy.raw()) {
            c.send("POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab\r\n"
                    + "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals("2", c.read().body());
            assertEquals(200, c.read().status());
        }
    }

    @Test
    void contentLengthWithLeadingZerosIsNormalised() throws Exception {
        startProxy(HttpConfig.defaults());
        try (RawClient c = proxy.raw()) {
            c.send("POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 0005\r\n\r\nabcde");
            RawClient.Response r = c.read();
            assertEquals(200, r.status());
            assertEquals("5", r.body());
            c.send("POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 000\r\n\r\n");
            assertEquals("0", c.read().body());
        }
        assertEquals("5", backend.nextRequest().headers().get("content-length"));
        assertEquals("0", backend.nextRequest().headers().get("content-length"));
    }

    @Test
    void underscoreHeadersAreDroppedByDefault() throws Exception {
        startProxy(HttpConfig.defaults());
        HttpRequest seen = expectForwarded("GET /hello HTTP/1.1\r\nHost: localhost\r\nX_Forwarded_For: 6.6.6.6\r\n"
                + "Transfer_Encoding: chunked\r\nX-Kept: yes\r\nx_lower: 1\r\n\r\n");
        for (String name : seen.headers().names()) {
            assertFalse(name.contains("_"), name + " reached the backend");
        }
        assertEquals("yes", seen.headers().get("x-kept"));
        assertEquals("127.0.0.1", seen.headers().get("x-forwarded-for"));
        assertNull(seen.headers().get("transfer-encoding"));
    }

    @Test
    void underscoreHeadersAreRefusedWhenConfigured() throws Exception {
        startProxy(http(false, UnderscoreHeaders.REJECT, null, List.of()));
        expect400("GET /hello HTTP/1.1\r\nHost: localhost\r\nX_Forwarded_For: 6.6.6.6\r\n\r\n");
    }

    private static final String CHUNKED_WITH_TRAILERS = "POST /count HTTP/1.1\r\nHost: localhost\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\nX_Forwarded_For: 6.6.6.6\r\n"
            + "X-Real-IP: 6.6.6.6\r\nForwarded: for=6.6.6.6\r\nX-Forwarded-For: 6.6.6.6\r\nX-Checksum: abc\r\n\r\n";

    @Test
    void trailersLoseUnderscoreNamesAndClientAddressHeaders() throws Exception {
        startProxy(HttpConfig.defaults());
        expectForwarded(CHUNKED_WITH_TRAILERS);
        HttpHeaders trailers = backend.receivedTrailers.poll(5, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(List.of("X-Checksum"), List.copyOf(trailers.names()), "trailers at the backend: " + trailers);
    }

    @Test
    void trailersWithUnderscoreNamesAreRefusedWhenConfigured() throws Exception {
        startProxy(http(false, UnderscoreHeaders.REJECT, null, List.of()));
        try (RawClient c = proxy.raw()) {
            c.send(CHUNKED_WITH_TRAILERS);
            RawClient.Response r = c.read();
            assertEquals(400, r.status());
            assertTrue(c.closedByPeer(), "the request stream is not trusted after a refused trailer");
        }
        assertNull(backend.receivedTrailers.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS));
    }

    @Test
    void underscoreHeadersAreForwardedWhenAllowed() throws Exception {
        startProxy(http(false, UnderscoreHeaders.ALLOW, null, List.of()));
        HttpRequest seen = expectForwarded("GET /hello HTTP/1.1\r\nHost: localhost\r\nX_Custom_Id: 42\r\n\r\n");
        assertEquals("42", seen.headers().get("X_Custom_Id"));
    }

    @Test
    void clientAddressHeadersFromAnUntrustedPeerAreRemovedOrReplaced() throws Exception {
        startProxy(http(false, UnderscoreHeaders.DROP, "X-Client-IP", List.of()));
        HttpRequest seen = expectForwarded("GET /hello HTTP/1.1\r\nHost: localhost\r\n"
                + "Forwarded: for=6.6.6.6;proto=https\r\nX-Real-IP: 6.6.6.6\r\nX-Client-IP: 6.6.6.6\r\n\r\n");
        assertNull(seen.headers().get("forwarded"));
        assertNull(seen.headers().get("x-real-ip"));
        assertEquals(List.of("127.0.0.1"), seen.headers().getAll("x-client-ip"));
    }

    @Test
    void clientIpHeaderCanBeXRealIp() throws Exception {
        startProxy(http(false, UnderscoreHeaders.DROP, "X-Real-IP", List.of()));
        HttpRequest seen = expectForwarded("GET /hello HTTP/1.1\r\nHost: localhost\r\nX-Real-IP: 6.6.6.6\r\n\r\n");
        assertEquals(List.of("127.0.0.1"), seen.headers().getAll("x-real-ip"));
        seen = expectForwarded("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertEquals("127.0.0.1", seen.headers().get("x-real-ip"));
    }

    @Test
    void clientAddressHeadersFromATrustedUpstreamAreKept() throws Exception {
        startProxy(http(false, UnderscoreHeaders.DROP, "X-Client-IP", List.of("127.0.0.0/8")));
        HttpRequest seen = expectForwarded("GET /hello HTTP/1.1\r\nHost: localhost\r\n"
                + "Forwarded: for=203.0.113.7\r\nX-Real-IP: 203.0.113.7\r\nX-Client-IP: 203.0.113.7\r\n\r\n");
        assertEquals("for=203.0.113.7", seen.headers().get("forwarded"));
        assertEquals("203.0.113.7", seen.headers().get("x-real-ip"));
        assertEquals("203.0.113.7", seen.headers().get("x-client-ip"));
        // A trusted upstream that sent none: the peer is the client.
        seen = expectForwarded("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertEquals("127.0.0.1", seen.headers().get("x-client-ip"));
    }

    @Test
    void clientAddressHeadersAreRemovedEvenWithoutForwardedHeaders() throws Exception {
        startProxy(HttpConfig.defaults().withForwardedHeaders(false));
        HttpRequest seen = expectForwarded("GET /hello HTTP/1.1\r\nHost: localhost\r\n"
                + "Forwarded: for=6.6.6.6\r\nX-Real-IP: 6.6.6.6\r\n\r\n");
        assertNull(seen.headers().get("forwarded"));
        assertNull(seen.headers().get("x-real-ip"));
    }

    @Test
    void refusedPipelinedRequestIsLoggedWithoutTheServerOfThePreviousOne() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(AccessLog.LOGGER_NAME);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            proxy = ProxyHarness.start(ProxyHarness.backend(backend.port()), f -> f.withAccessLog(true));
            try (RawClient c = proxy.raw()) {
                c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /x HTTP/1.1\r\nHost: evil@x\r\n\r\n");
                assertEquals(200, c.read().status());
                assertEquals(400, c.read().status());
            }
            Poll.within(Duration.ofSeconds(5), () -> appender.list.size() >= 2);
            assertEquals(2, appender.list.size());
            assertTrue(appender.list.get(0).getFormattedMessage().contains(" fe be/s1 "),
                    appender.list.get(0).getFormattedMessage());
            String refused = appender.list.get(1).getFormattedMessage();
            assertTrue(refused.contains("\"GET /x HTTP/1.1\" 400 "), refused);
            assertTrue(refused.contains(" fe be/<NOSRV> "), refused);
        } finally {
            logger.detachAppender(appender);
        }
        assertEquals(1, backend.requests.get());
    }
}
