package io.stapled.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.config.ClientAuthConfig;
import io.stapled.config.TlsConfig;
import io.stapled.testing.ExternalTool;
import io.stapled.testkit.Poll;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.responder.OcspResponderServer;

/**
 * Client certificates checked by OCSP ({@code client_auth.ocsp}) against the in-process responder, with
 * openssl s_client as the client: {@code hard} refuses until a good answer is cached and refuses a
 * revoked certificate; {@code soft} lets a certificate in while its status is not known or its
 * responder is down, and refuses it once the responder said revoked.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClientCertificateOcspTest {
    private static final IssuedCertificate CA = CertificateBuilder.subject("CN=ocsp client ca").ca().build();
    private static final OcspResponderServer RESPONDER = OcspResponderServer.builder(CA).start();
    private static final String DEAD = "http://127.0.0.1:" + deadPort() + "/";
    private static final IssuedCertificate GOOD = client("CN=good", RESPONDER.url());
    private static final IssuedCertificate REVOKED = client("CN=revoked", RESPONDER.url());
    private static final IssuedCertificate UNREACHABLE = client("CN=unreachable", DEAD);

    static {
        RESPONDER.behaviour(REVOKED.certificate().getSerialNumber(), OcspResponderServer.Behaviour.REVOKED);
    }

    private static IssuedCertificate client(String subject, String ocspUrl) {
        return CertificateBuilder.subject(subject).issuer(CA).clientAuth().ocspUrl(ocspUrl).build();
    }

    private static int deadPort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort(); // closed again: connections are refused
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void stopResponder() {
        RESPONDER.close();
    }

    @TempDir
    Path dir;

    private TlsFrontend frontend(ClientAuthConfig.OcspMode ocsp) {
        Path crt = TestPki.ecLeaf("ocsp.test", "ocsp.test").writeBundle(dir.resolve("server.pem"));
        Path ca = TestPki.write(dir.resolve("ca.pem"), CA.certificatePem());
        TlsConfig tls = TlsConfig.defaults().withClientAuth(new ClientAuthConfig(ClientAuthConfig.Mode.REQUIRED, ca,
                null, Duration.ofSeconds(10), ocsp));
        return Frontends.create(tls, Frontends.file(crt));
    }

    /** True when the handshake with {@code client}'s certificate succeeded on the server. */
    private boolean accepted(TlsTestServer server, IssuedCertificate client) throws Exception {
        String name = client.certificate().getSerialNumber().toString(16);
        Path crt = TestPki.write(dir.resolve(name + ".crt"), client.certificatePem());
        Path key = TestPki.write(dir.resolve(name + ".key"), client.privateKeyPem());
        server.handshakes.clear();
        String out = OpenSslCli.sClient(server.port(), "-servername", "ocsp.test", "-cert", crt.toString(),
                "-key", key.toString());
        TlsTestServer.Seen seen = server.handshakes.poll(1, TimeUnit.SECONDS);
        if (seen == null) {
            assertTrue(out.toLowerCase().contains("alert"), "a refused client gets an alert: " + out);
            return false;
        }
        assertTrue(seen.clientCertificate().verified());
        return true;
    }

    private static boolean eventually(java.util.concurrent.Callable<Boolean> condition) {
        return Poll.within(Duration.ofSeconds(10), () -> {
            try {
                return condition.call();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void hardRefusesUntilAGoodAnswerIsCachedAndRefusesRevoked() throws Exception {
        ExternalTool.assumeInstalled("openssl");
        try (TlsFrontend f = frontend(ClientAuthConfig.OcspMode.HARD); TlsTestServer server = new TlsTestServer(f)) {
            int asked = RESPONDER.requestCount(GOOD.certificate().getSerialNumber());
            assertFalse(accepted(server, GOOD), "no answer yet: hard refuses and asks the responder");
            assertTrue(eventually(() -> accepted(server, GOOD)), "accepted once the good answer is cached");
            assertEquals(asked + 1, RESPONDER.requestCount(GOOD.certificate().getSerialNumber()),
                    "one fetch, then the cached answer");

            assertFalse(accepted(server, REVOKED));
            Poll.until(Duration.ofSeconds(10), "responder asked about the revoked certificate",
                    () -> RESPONDER.requestCount(REVOKED.certificate().getSerialNumber()) > 0);
            for (int i = 0; i < 3; i++) {
                assertFalse(accepted(server, REVOKED), "revoked stays refused, attempt " + i);
            }
            for (int i = 0; i < 3; i++) {
                assertFalse(accepted(server, UNREACHABLE), "hard: a responder that cannot be reached refuses, "
                        + "attempt " + i);
            }
        }
    }

    @Test
    void softLetsInUntilTheResponderSaysRevoked() throws Exception {
        ExternalTool.assumeInstalled("openssl");
        try (TlsFrontend f = frontend(ClientAuthConfig.OcspMode.SOFT); TlsTestServer server = new TlsTestServer(f)) {
            for (int i = 0; i < 3; i++) {
                assertTrue(accepted(server, UNREACHABLE), "soft: an unreachable responder lets in, attempt " + i);
            }
            assertTrue(accepted(server, GOOD));
            assertTrue(eventually(() -> !accepted(server, REVOKED)), "refused once the revoked answer is cached");
            assertTrue(accepted(server, GOOD));
        }
    }
}
