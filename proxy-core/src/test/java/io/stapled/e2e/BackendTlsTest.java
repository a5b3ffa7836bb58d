package io.stapled.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import io.stapled.proxy.backend.BackendServer;
import io.stapled.proxy.backend.CheckStatus;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testing.TlsBackend;
import io.stapled.testkit.Poll;
import io.stapled.testkit.TlsTestClient;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;

/**
 * TLS from stapled to its backends against real BoringSSL servers: verified against a CA file with
 * the SNI name checked, a wrong CA refused (503, logged), {@code verify: none}, a client certificate
 * the server requires, session resumption across backend connections, the TCP relay over TLS, and
 * health checks that need a TLS handshake.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BackendTlsTest {
    private static final IssuedCertificate BACKEND_CA = CertificateBuilder.subject("CN=backend ca").ca().build();
    private static final IssuedCertificate OTHER_CA = CertificateBuilder.subject("CN=other ca").ca().build();
    private static final IssuedCertificate BACKEND = CertificateBuilder.subject("CN=backend.internal")
            .issuer(BACKEND_CA).dnsNames("backend.internal").build();
    private static final IssuedCertificate CLIENT = CertificateBuilder.subject("CN=stapled client")
            .issuer(BACKEND_CA).clientAuth().build();
    private static final IssuedCertificate BY_IP = CertificateBuilder.subject("CN=backend by address")
            .issuer(BACKEND_CA).ipAddresses("127.0.0.1").build();
    private static final TlsBackend TLS = start(null);
    private static final TlsBackend IP = startWith(BY_IP);

    private static TlsBackend startWith(IssuedCertificate cert) {
        try {
            return new TlsBackend(cert, null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
    private static final TlsBackend MTLS = start(BACKEND_CA.certificate());

    private static TlsBackend start(java.security.cert.X509Certificate clientCa) {
        try {
            return new TlsBackend(BACKEND, clientCa);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @RegisterExtension
    static final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            frontends:
              - { name: verified, bind: 127.0.0.1:0, backend: verified, certificates: [ { crt: ${cert:site.test} } ] }
              - { name: wrongca, bind: 127.0.0.1:0, backend: wrongca, certificates: [ { crt: ${cert:site.test} } ] }
              - { name: wrongname, bind: 127.0.0.1:0, backend: wrongname, certificates: [ { crt: ${cert:site.test} } ] }
              - { name: insecure, bind: 127.0.0.1:0, backend: insecure, certificates: [ { crt: ${cert:site.test} } ] }
              - { name: mtls, bind: 127.0.0.1:0, backend: mtls, certificates: [ { crt: ${cert:site.test} } ] }
              - { name: nocert, bind: 127.0.0.1:0, backend: nocert, certificates: [ { crt: ${cert:site.test} } ] }
              - { name: byname, bind: 127.0.0.1:0, backend: byname, certificates: [ { crt: ${cert:site.test} } ] }
              - { name: byip, bind: 127.0.0.1:0, backend: byip, certificates: [ { crt: ${cert:site.test} } ] }
              - { name: relay, bind: 127.0.0.1:0, mode: tcp, backend: verified, certificates: [ { crt: ${cert:site.test} } ] }
            backends:
              - name: verified
                max_idle_per_server: 0
                tls: { ca_file: backend-ca.pem, sni: backend.internal }
                servers: [ { name: b1, address: 127.0.0.1:${port:tls} } ]
                health_check: { type: http, path: /, interval: 100ms, timeout: 1s, rise: 1, fall: 1 }
              - name: wrongca
                servers:
                  - { name: b1, address: 127.0.0.1:${port:tls}, tls: { ca_file: other-ca.pem, sni: backend.internal } }
              - name: wrongname
                servers:
                  - { name: b1, address: 127.0.0.1:${port:tls}, tls: { ca_file: backend-ca.pem, sni: elsewhere.internal } }
              - name: byname
                servers:
                  - { name: b1, address: 127.0.0.1:${port:tls}, tls: { ca_file: backend-ca.pem } }
              - name: byip
                servers:
                  - { name: b1, address: 127.0.0.1:${port:ip}, tls: { ca_file: backend-ca.pem } }
              - name: insecure
                servers:
                  - { name: b1, address: 127.0.0.1:${port:tls}, tls: { verify: none } }
                  - name: plain
                    address: 127.0.0.1:${backend}
                    weight: 0
                    tls: { verify: none }
                health_check: { type: tcp, interval: 100ms, timeout: 1s, rise: 1, fall: 1 }
              - name: mtls
                tls:
                  ca_file: backend-ca.pem
                  sni: backend.internal
                  client_certificate: { crt: client.pem }
                servers: [ { name: b1, address: 127.0.0.1:${port:mtls} } ]
              - name: nocert
                servers:
                  - { name: b1, address: 127.0.0.1:${port:mtls}, tls: { ca_file: backend-ca.pem, sni: backend.internal } }
            """)
            .port("tls", TLS::port)
            .port("mtls", MTLS::port)
            .port("ip", IP::port)
            .beforeServer(x -> {
                TestPki.write(x.dir().resolve("backend-ca.pem"), BACKEND_CA.certificatePem());
                TestPki.write(x.dir().resolve("other-ca.pem"), OTHER_CA.certificatePem());
                TestPki.write(x.dir().resolve("client.pem"), CLIENT.chainPem() + CLIENT.privateKeyPem());
            });

    @AfterAll
    static void stopBackends() {
        TLS.close();
        MTLS.close();
        IP.close();
    }

    private static TlsTestClient.Response get(String frontend, String path) throws Exception {
        try (TlsTestClient.Connection c = stapled.client().open(stapled.port(frontend), "site.test", false,
                stapled.root())) {
            return c.get(path);
        }
    }

    @Test
    void verifiedBackendGetsTheSniNameAndAnswers() throws Exception {
        TLS.serverNames.clear();
        TlsTestClient.Response r = get("verified", "/");
        assertEquals(200, r.status());
        assertEquals("tls-backend", r.body());
        assertTrue(TLS.serverNames.contains("backend.internal"), TLS.serverNames.toString());
    }

    @Test
    void aServerCertificateFromAnotherCaIsA503AndLogged() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger("io.stapled.proxy.http.BackendConnectionPool");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            assertEquals(503, get("wrongca", "/").status());
            assertTrue(appender.list.stream().anyMatch(e -> e.getFormattedMessage().contains(
                    "backend wrongca server b1") && e.getFormattedMessage().contains("TLS handshake failed")),
                    appender.list.toString());
        } finally {
            logger.detachAppender(appender);
        }
    }

    @Test
    void aCertificateForAnotherNameIsA503() throws Exception {
        assertEquals(503, get("wrongname", "/").status());
    }

    @Test
    void withoutSniTheAddressIsWhatTheCertificateMustName() throws Exception {
        TLS.serverNames.clear();
        assertEquals(503, get("byname", "/").status(), "a certificate for backend.internal does not name 127.0.0.1");
        assertTrue(TLS.serverNames.contains(""), "no SNI is sent for an IP address: " + TLS.serverNames);
        assertEquals(200, get("byip", "/").status(), "a certificate with IP address 127.0.0.1 does");
    }

    @Test
    void verifyNoneAcceptsAnyCertificate() throws Exception {
        assertEquals(200, get("insecure", "/").status());
    }

    @Test
    void theClientCertificateIsPresentedWhenTheServerRequiresOne() throws Exception {
        TlsTestClient.Response r = get("mtls", "/who");
        assertEquals(200, r.status());
        assertEquals("CN=stapled client", r.body());
        // In TLS 1.3 the server judges the client certificate after the client's handshake has finished:
        // its refusal arrives as an alert in place of the response, a 502, not a failed connect.
        assertEquals(502, get("nocert", "/").status(), "without a client certificate the server refuses");
    }

    @Test
    void aSecondBackendConnectionResumesTheSession() throws Exception {
        // max_idle_per_server: 0 closes each connection after its exchange: every request opens a new one.
        int handshakesBefore = TLS.handshakes.get();
        int resumedBefore = TLS.resumed.get();
        assertEquals(200, get("verified", "/").status());
        assertEquals(200, get("verified", "/").status());
        assertEquals(200, get("verified", "/").status());
        Poll.until(Duration.ofSeconds(5), "three handshakes", () -> TLS.handshakes.get() - handshakesBefore >= 3);
        assertTrue(TLS.resumed.get() - resumedBefore >= 2, "resumed " + (TLS.resumed.get() - resumedBefore)
                + " of " + (TLS.handshakes.get() - handshakesBefore));
    }

    @Test
    void theTcpRelayConnectsOverTls() throws Exception {
        TlsTestClient.Response r = get("relay", "/");
        assertEquals(200, r.status());
        assertEquals("tls-backend", r.body());
    }

    @Test
    void aTlsHealthCheckMarksAPlainServerDownAndATlsOneUp() throws Exception {
        BackendServer plain = stapled.server().backends().get("insecure").server("plain");
        BackendServer tls = stapled.server().backends().get("insecure").server("b1");
        Poll.until(Duration.ofSeconds(10), "plain server down", () -> !plain.isHealthy());
        assertEquals(CheckStatus.L6RSP, plain.lastCheck().status(), plain.lastCheck().description());
        Poll.until(Duration.ofSeconds(10), "tls server L6OK", () -> tls.lastCheck() != null
                && tls.lastCheck().status() == CheckStatus.L6OK);
        assertTrue(tls.isHealthy());
        BackendServer httpOverTls = stapled.server().backends().get("verified").server("b1");
        Poll.until(Duration.ofSeconds(10), "http check L7OK", () -> httpOverTls.lastCheck() != null
                && httpOverTls.lastCheck().status() == CheckStatus.L7OK);
        assertTrue(httpOverTls.isHealthy());
    }
}
