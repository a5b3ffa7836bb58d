package io.stapled.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.config.ClientAuthConfig;
import io.stapled.config.TlsConfig;
import io.stapled.testing.Crls;
import io.stapled.testing.ExternalTool;
import io.stapled.testkit.Poll;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;

/**
 * What the server keeps of a client certificate ({@link TlsAttributes#CLIENT_CERTIFICATE}), with
 * openssl s_client as the client: subject, issuer, serial, SHA-256 fingerprint and whether it verified;
 * and a resumed session whose certificate was revoked since is closed under {@code required}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClientCertificateFactsTest {
    private static final IssuedCertificate CA = CertificateBuilder.subject("CN=facts ca").ca().build();
    private static final IssuedCertificate OTHER = CertificateBuilder.subject("CN=facts other").ca().build();
    private static final IssuedCertificate ALICE = CertificateBuilder.subject("CN=alice,O=example")
            .issuer(CA).clientAuth().build();
    private static final IssuedCertificate STRANGER = CertificateBuilder.subject("CN=stranger")
            .issuer(OTHER).clientAuth().build();
    private static final IssuedCertificate SERVER_ONLY = CertificateBuilder.subject("CN=server only")
            .issuer(CA).build();

    @TempDir
    Path dir;

    private TlsFrontend frontend(ClientAuthConfig.Mode mode, Path crl) {
        Path crt = TestPki.ecLeaf("facts.test", "facts.test").writeBundle(dir.resolve("facts.pem"));
        Path ca = TestPki.write(dir.resolve("ca.pem"), CA.certificatePem());
        TlsConfig tls = TlsConfig.defaults().withClientAuth(new ClientAuthConfig(mode, ca, crl, Duration.ofMillis(50)));
        return Frontends.create(tls, Frontends.file(crt));
    }

    private String sClient(int port, IssuedCertificate client, String... more) throws Exception {
        return sClientAs(port, "facts.test", client, more);
    }

    private String sClientAs(int port, String sni, IssuedCertificate client, String... more) throws Exception {
        String name = client.certificate().getSerialNumber().toString(16);
        Path crt = TestPki.write(dir.resolve(name + ".crt"), client.certificatePem());
        Path key = TestPki.write(dir.resolve(name + ".key"), client.privateKeyPem());
        List<String> args = new java.util.ArrayList<>(List.of("-servername", sni, "-cert", crt.toString(),
                "-key", key.toString()));
        args.addAll(List.of(more));
        return OpenSslCli.sClient(port, args.toArray(String[]::new));
    }

    @Test
    void theVerifiedCertificatesFactsAreKeptOnTheConnection() throws Exception {
        ExternalTool.assumeInstalled("openssl");
        try (TlsFrontend f = frontend(ClientAuthConfig.Mode.OPTIONAL, null); TlsTestServer server = new TlsTestServer(f)) {
            sClient(server.port(), ALICE);
            ClientCertificate c = server.nextHandshake().clientCertificate();
            assertNotNull(c);
            assertEquals(ALICE.certificate().getSubjectX500Principal().getName(), c.subject(), "RFC 2253");
            assertTrue(c.subject().contains("CN=alice") && c.subject().contains("O=example"), c.subject());
            assertEquals("CN=facts ca", c.issuer());
            assertEquals(ALICE.certificate().getSerialNumber().toString(16).toUpperCase(), c.serial());
            assertEquals(HexFormat.of().withUpperCase().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(ALICE.certificate().getEncoded())), c.sha256());
            assertTrue(c.verified());
            assertNull(c.failure());

            sClient(server.port(), STRANGER);
            ClientCertificate s = server.nextHandshake().clientCertificate();
            assertEquals("CN=stranger", s.subject());
            assertFalse(s.verified(), "optional: another CA's certificate gets through, unverified");
            assertNotNull(s.failure());

            sClient(server.port(), SERVER_ONLY);
            ClientCertificate so = server.nextHandshake().clientCertificate();
            assertFalse(so.verified());
            assertTrue(so.failure().contains("clientAuth"), so.failure());

            OpenSslCli.sClient(server.port(), "-servername", "facts.test");
            assertNull(server.nextHandshake().clientCertificate(), "no certificate sent, none recorded");
        }
    }

    @Test
    void aResumedSessionWhoseCertificateWasRevokedSinceIsClosed() throws Exception {
        ExternalTool.assumeInstalled("openssl");
        Path crl = Crls.write(dir.resolve("ca.crl"), CA, List.of());
        try (TlsFrontend f = frontend(ClientAuthConfig.Mode.REQUIRED, crl); TlsTestServer server = new TlsTestServer(f)) {
            Path session = dir.resolve("alice.session");
            sClient(server.port(), ALICE, "-tls1_3", "-sess_out", session.toString());
            TlsTestServer.Seen first = server.nextHandshake();
            assertFalse(first.reused());
            assertTrue(first.clientCertificate().verified());
            String again = sClient(server.port(), ALICE, "-tls1_3", "-sess_in", session.toString());
            TlsTestServer.Seen second = server.nextHandshake();
            assertTrue(second.reused(), again);
            assertTrue(second.clientCertificate().verified(), "a resumed session keeps its certificate");
            assertTrue(second.open());

            Crls.write(crl, CA, List.of(ALICE.certificate().getSerialNumber()));
            // a full handshake is refused once the new CRL is in force ...
            Poll.until(Duration.ofSeconds(10), "alice refused", () -> {
                try {
                    server.handshakes.clear(); // an attempt before the reload may have been let in
                    String out = sClient(server.port(), ALICE, "-tls1_3");
                    return server.handshakes.isEmpty() && out.toLowerCase().contains("alert");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            server.handshakes.clear();
            // ... and a resumed one is closed as soon as it is done
            sClient(server.port(), ALICE, "-tls1_3", "-sess_in", session.toString());
            TlsTestServer.Seen resumed = server.nextHandshake();
            assertTrue(resumed.reused());
            assertFalse(resumed.clientCertificate().verified());
            assertFalse(resumed.open(), "closed: resumption must not outlive a revocation");
        }
    }

    @Test
    void aSessionFromANameWithoutClientCertificatesDoesNotResumeUnderRequired() throws Exception {
        ExternalTool.assumeInstalled("openssl");
        Path guarded = TestPki.ecLeaf("guarded.test", "guarded.test").writeBundle(dir.resolve("guarded.pem"));
        Path open = TestPki.ecLeaf("open.test", "open.test").writeBundle(dir.resolve("open.pem"));
        TestPki.write(dir.resolve("ca.pem"), CA.certificatePem());
        Path list = TestPki.write(dir.resolve("sites.list"), guarded + " [verify required ca-file ca.pem] guarded.test\n"
                + open + " open.test\n");
        try (TlsFrontend f = Frontends.create(TlsConfig.defaults(), new io.stapled.config.CertificateSource.CrtList(
                list, io.stapled.config.CertificateSource.OcspOptions.DEFAULT));
             TlsTestServer server = new TlsTestServer(f)) {
            Path session = dir.resolve("open.session");
            OpenSslCli.sClient(server.port(), "-servername", "open.test", "-tls1_3", "-sess_out", session.toString());
            assertFalse(server.nextHandshake().reused());
            OpenSslCli.sClient(server.port(), "-servername", "guarded.test", "-tls1_3", "-sess_in", session.toString());
            // Without a session ID context of its own, BoringSSL resumed the open.test session under
            // guarded.test's context, with no client certificate. Now it makes a full handshake, which asks
            // for a certificate, and s_client has none to give.
            assertNull(server.handshakes.poll(2, TimeUnit.SECONDS), "no handshake got through without a certificate");
            sClientAs(server.port(), "guarded.test", ALICE);
            TlsTestServer.Seen alice = server.nextHandshake();
            assertTrue(alice.clientCertificate().verified());
        }
    }
}
