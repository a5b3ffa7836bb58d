package io.stapled.proxy.http2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testing.TlsBackend;
import io.stapled.testkit.Poll;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.TlsTestClient;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;

/**
 * {@code proto: h2} with {@code tls:}: HTTP/2 over TLS to real BoringSSL servers ({@link H2cTestServer}
 * over TLS), verified against a CA file. The server sees {@code :scheme https}, the SNI name and ALPN h2,
 * and concurrent streams on one TLS connection; a wrong CA, a server selecting no ALPN (though it would
 * speak HTTP/2) and an HTTP/1.1-only TLS server are each a failed connect, a 503.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Http2BackendTlsTest {
    private static final IssuedCertificate BACKEND_CA = CertificateBuilder.subject("CN=backend ca").ca().build();
    private static final IssuedCertificate OTHER_CA = CertificateBuilder.subject("CN=other ca").ca().build();
    private static final IssuedCertificate BACKEND = CertificateBuilder.subject("CN=h2.internal")
            .issuer(BACKEND_CA).dnsNames("h2.internal").build();

    static final H2cTestServer H2 = new H2cTestServer(100, serverContext("h2"));
    /** Speaks HTTP/2 but offers ALPN http/1.1 only, so selects nothing for stapled's h2. */
    static final H2cTestServer H11_ALPN = new H2cTestServer(100, serverContext("http/1.1"));
    /** HTTPS with HTTP/1.1 only. */
    static final TlsBackend HTTP11 = http11();

    private static SslContext serverContext(String alpn) {
        try {
            return SslContextBuilder.forServer(BACKEND.keyPair().getPrivate(),
                            BACKEND.chain().toArray(X509Certificate[]::new))
                    .sslProvider(SslProvider.OPENSSL)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn))
                    .build();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static TlsBackend http11() {
        try {
            return new TlsBackend(BACKEND, null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @RegisterExtension
    static final StapledServerExtension STAPLED = StapledServerExtension.fromYaml("""
            frontends:
              - { name: h2, bind: 127.0.0.1:0, backend: h2, certificates: [ { crt: ${cert:a.test} } ] }
              - { name: fresh, bind: 127.0.0.1:0, backend: fresh, certificates: [ { crt: ${cert:a.test} } ] }
              - { name: wrongca, bind: 127.0.0.1:0, backend: wrongca, certificates: [ { crt: ${cert:a.test} } ] }
              - { name: noalpn, bind: 127.0.0.1:0, backend: noalpn, certificates: [ { crt: ${cert:a.test} } ] }
              - { name: http11, bind: 127.0.0.1:0, backend: http11, certificates: [ { crt: ${cert:a.test} } ] }
            backends:
              - name: h2
                tls: { ca_file: backend-ca.pem, sni: h2.internal }
                servers: [ { name: t1, address: 127.0.0.1:${port:h2}, proto: h2 } ]
                health_check: { type: tcp, interval: 100ms, timeout: 1s, rise: 1, fall: 1 }
              - name: fresh
                # No idle connection kept: every exchange opens a new TLS connection, which resumes.
                max_idle_per_server: 0
                servers:
                  - { name: f1, address: 127.0.0.1:${port:h2}, proto: h2, tls: { ca_file: backend-ca.pem, sni: h2.internal } }
              - name: wrongca
                connect_timeout: 2s
                servers:
                  - { name: w1, address: 127.0.0.1:${port:h2}, proto: h2, tls: { ca_file: other-ca.pem, sni: h2.internal } }
              - name: noalpn
                connect_timeout: 2s
                servers:
                  - { name: n1, address: 127.0.0.1:${port:h11alpn}, proto: h2, tls: { ca_file: backend-ca.pem, sni: h2.internal } }
              - name: http11
                connect_timeout: 2s
                servers:
                  - { name: h1, address: 127.0.0.1:${port:http11}, proto: h2, tls: { ca_file: backend-ca.pem, sni: h2.internal } }
            """)
            .port("h2", H2::port)
            .port("h11alpn", H11_ALPN::port)
            .port("http11", HTTP11::port)
            .beforeServer(x -> {
                TestPki.write(x.dir().resolve("backend-ca.pem"), BACKEND_CA.certificatePem());
                TestPki.write(x.dir().resolve("other-ca.pem"), OTHER_CA.certificatePem());
            });

    @AfterAll
    static void stopBackends() {
        H2.close();
        H11_ALPN.close();
        HTTP11.close();
    }

    private static TlsTestClient.Response get(String frontend, String path) throws Exception {
        try (TlsTestClient.Connection c = STAPLED.client().open(STAPLED.port(frontend), "a.test", false,
                STAPLED.root())) {
            return c.get(path);
        }
    }

    private static H2cTestServer.Received received(H2cTestServer server, String path) {
        return server.received().stream().filter(r -> path.equals(r.path())).findFirst().orElse(null);
    }

    @Test
    void theServerSeesSchemeHttpsSniAndAlpnH2() throws Exception {
        TlsTestClient.Response r = get("h2", "/over-tls");
        assertEquals(200, r.status(), r.body());
        assertTrue(r.body().contains(":scheme: https\n"), r.body());
        assertTrue(r.body().contains(":path: /over-tls\n"), r.body());
        assertTrue(H2.serverNames().contains("h2.internal"), H2.serverNames().toString());
        assertTrue(!H2.selectedAlpn().isEmpty() && H2.selectedAlpn().stream().allMatch("h2"::equals),
                H2.selectedAlpn().toString());
    }

    /** Streams in flight at once over TLS, all on one TLS connection. */
    @Test
    void concurrentStreamsShareOneTlsConnection() throws Exception {
        int before = H2.stalledCount();
        try (H2FrameClient c = H2FrameClient.connect(STAPLED.port("h2"), "a.test")) {
            c.batch(() -> {
                for (int i = 0; i < 5; i++) {
                    c.headers(1 + 2 * i, H2FrameClient.get("/stall/tls/" + i), true);
                }
            });
            Poll.until(Duration.ofSeconds(10), "5 stalled streams at the server", () -> H2.stalledCount() == before + 5);
            Set<String> connections = H2.received().stream().filter(x -> x.path().startsWith("/stall/tls/"))
                    .map(H2cTestServer.Received::connection).collect(Collectors.toSet());
            assertEquals(1, connections.size(), "5 concurrent streams on one TLS connection");
            H2.release();
            for (int i = 0; i < 5; i++) {
                assertEquals("200", c.awaitHeaders(1 + 2 * i).status());
                assertTrue(c.awaitBody(1 + 2 * i).contains(":scheme: https\n"));
            }
        }
    }

    @Test
    void aNewConnectionResumesTheSession() throws Exception {
        int resumedBefore = H2.resumed();
        for (int i = 0; i < 3; i++) {
            assertEquals(200, get("fresh", "/fresh/" + i).status());
        }
        List<String> connections = H2.received().stream().filter(x -> x.path().startsWith("/fresh/"))
                .map(H2cTestServer.Received::connection).distinct().toList();
        assertEquals(3, connections.size(), "max_idle_per_server 0: a connection per exchange");
        Poll.until(Duration.ofSeconds(5), "resumed handshakes", () -> H2.resumed() - resumedBefore >= 2);
    }

    @Test
    void aServerCertificateFromAnotherCaIsA503AndLogged() throws Exception {
        try (Captured log = new Captured()) {
            assertEquals(503, get("wrongca", "/wrong-ca").status());
            assertTrue(log.contains("backend wrongca server w1", "TLS handshake failed"), log.toString());
        }
        assertEquals(null, received(H2, "/wrong-ca"));
    }

    /** The server would speak HTTP/2, but selected no ALPN protocol: refused, not used. */
    @Test
    void aServerSelectingNoAlpnIsA503AndLogged() throws Exception {
        try (Captured log = new Captured()) {
            assertEquals(503, get("noalpn", "/no-alpn").status());
            assertTrue(log.contains("backend noalpn server n1", "selected ALPN none"), log.toString());
        }
        assertEquals(List.of(), H11_ALPN.received());
    }

    /** The tcp check of an h2 server over TLS is a connect plus a handshake (offering ALPN h2). */
    @Test
    void aTcpHealthCheckHandshakesWithTheH2Server() {
        io.stapled.proxy.backend.BackendServer t1 = STAPLED.server().backends().get("h2").server("t1");
        Poll.until(Duration.ofSeconds(10), "t1 L6OK", () -> t1.lastCheck() != null
                && t1.lastCheck().status() == io.stapled.proxy.backend.CheckStatus.L6OK);
        assertTrue(t1.isHealthy());
    }

    @Test
    void anHttp11OnlyTlsServerIsA503() throws Exception {
        assertEquals(503, get("http11", "/").status());
    }

    /** The connection's log lines while open. */
    private static final class Captured implements AutoCloseable {
        private final Logger logger = (Logger) LoggerFactory.getLogger("io.stapled.proxy.http.Http2BackendConnection");
        private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

        Captured() {
            appender.start();
            logger.addAppender(appender);
        }

        boolean contains(String... parts) {
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage)
                    .anyMatch(m -> java.util.Arrays.stream(parts).allMatch(m::contains));
        }

        @Override
        public String toString() {
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList().toString();
        }

        @Override
        public void close() {
            logger.detachAppender(appender);
        }
    }
}
