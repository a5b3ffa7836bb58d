package io.stapled.proxy.headers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.netty.channel.nio.NioEventLoopGroup;
import io.stapled.testing.Curl;
import io.stapled.testing.NamedBackends;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.pki.IssuedCertificate;

/**
 * {@code after_response_headers} on every response a frontend sends: a proxied one (after
 * {@code response_headers}), a redirect, a {@code return}, the 503 of a request no route took and of a
 * backend that cannot be reached, over HTTP/1.1 and HTTP/2 with the real curl; and the 408 of a
 * connection that sent no request.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class AfterResponseHeadersTest {
    private static final NioEventLoopGroup GROUP = new NioEventLoopGroup(1);
    private static final NamedBackends BACKENDS = NamedBackends.http(GROUP, List.of("app"));

    @RegisterExtension
    static final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            ocsp: { startup_wait: 5s, persist: false }
            frontends:
              - name: web
                bind: 127.0.0.1:0
                certificates: [ { crt: ${cert:site.test} } ]
                response_headers:
                  - { set: X-Order, value: response_headers }
                after_response_headers:
                  - { set: X-Order, value: after }
                  - { set: X-Served-By, value: "stapled for %[req.hdr(host)]" }
                  - { add: X-Seen, value: "1" }
                routes:
                  - path_prefix: /app/
                    backend: app
                  - path_prefix: /old/
                    redirect: { prefix: /new }
                  - path: /ping
                    return: { status: 200, content_type: text/plain, body: pong }
                  - path_prefix: /down/
                    backend: down
              - name: plain
                bind: 127.0.0.1:0
                tls: false
                http: { request_timeout: 1s }
                backend: app
                after_response_headers: [ { set: X-After, value: "yes" } ]
            backends:
              - name: app
                servers: [ { name: app1, address: "127.0.0.1:${port:app}" } ]
              - name: down
                servers: [ { name: gone, address: "127.0.0.1:${port:closed}" } ]
            """)
            .port("app", () -> BACKENDS.port("app"))
            .port("closed", AfterResponseHeadersTest::closedPort)
            .beforeServer(x -> TestPki.write(x.dir().resolve("root.pem"), IssuedCertificate.pem(x.root())));

    private static int closedPort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @AfterAll
    static void stopBackends() {
        BACKENDS.close();
        GROUP.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static Curl.Response get(String path, String proto) throws Exception {
        return new Curl(stapled.dir().resolve("root.pem")).get("https", "site.test", stapled.port("web"), path, proto);
    }

    private static void assertAfterRules(Curl.Response r) {
        assertEquals("after", r.header("x-order"), "after response_headers: " + r.headers());
        assertEquals("stapled for site.test:" + stapled.port("web"), r.header("x-served-by"));
        assertEquals("1", r.header("x-seen"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"--http1.1", "--http2"})
    void aProxiedResponse(String proto) throws Exception {
        Curl.Response r = get("/app/x", proto);
        assertEquals(200, r.status());
        assertTrue(r.body().startsWith("backend=app "), r.body());
        assertAfterRules(r);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--http1.1", "--http2"})
    void aRedirect(String proto) throws Exception {
        Curl.Response r = get("/old/page", proto);
        assertEquals(302, r.status());
        assertEquals("/new/old/page", r.header("location"));
        assertAfterRules(r);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--http1.1", "--http2"})
    void aReturn(String proto) throws Exception {
        Curl.Response r = get("/ping", proto);
        assertEquals(200, r.status());
        assertEquals("pong", r.body());
        assertAfterRules(r);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--http1.1", "--http2"})
    void the503OfNoRouteAndOfAnUnreachableBackend(String proto) throws Exception {
        Curl.Response none = get("/nowhere", proto);
        assertEquals(503, none.status());
        assertAfterRules(none);
        Curl.Response down = get("/down/x", proto);
        assertEquals(503, down.status());
        assertAfterRules(down);
    }

    @Test
    void the408OfAConnectionThatSentNothing() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", stapled.port("plain")), 5000);
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(response.startsWith("HTTP/1.1 408 "), response);
            assertTrue(response.toLowerCase(Locale.ROOT).contains("\r\nx-after: yes\r\n"), response);
        }
    }
}
