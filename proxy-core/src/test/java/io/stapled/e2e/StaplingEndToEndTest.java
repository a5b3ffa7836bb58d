package io.stapled.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.config.ConfigLoader;
import io.stapled.ocsp.RefreshOutcome;
import io.stapled.testkit.responder.OcspResponderServer.Behaviour;
import io.stapled.server.StapledServer;
import io.stapled.tls.LoadedCertificate;
import io.stapled.testkit.Poll;
import io.stapled.testkit.TlsTestClient;

/** The whole loop, real TLS: fetch at start-up, staple on request, refresh in memory, per-certificate staples. */
class StaplingEndToEndTest {
    @TempDir
    Path dir;

    private Deployment deployment;
    private TlsTestClient client;

    @BeforeEach
    void setUp() throws Exception {
        deployment = Deployment.create(dir);
        client = new TlsTestClient();
    }

    @AfterEach
    void tearDown() {
        client.close();
        deployment.close();
    }

    @Test
    void firstClientAfterStartGetsAGoodStapleAndTheBackendAnswers() throws Exception {
        deployment.start("");
        try (TlsTestClient.Connection c = client.open(deployment.port(), "a.test", true, deployment.root.certificate())) {
            byte[] staple = c.ocspResponse();
            assertNotNull(staple, "the very first handshake after start-up must carry a staple");
            SingleResp single = single(staple);
            assertEquals(c.peerLeaf().getSerialNumber(), single.getCertID().getSerialNumber());
            assertNull(single.getCertStatus(), "status must be good");
            TlsTestClient.Response r = c.get("/hello");
            assertEquals(200, r.status());
            assertTrue(r.body().contains("uri: /hello"), r.body());
            assertTrue(r.body().contains("x-forwarded-proto: https"), r.body());
        }
    }

    @Test
    void clientThatDoesNotAskIsServedWithoutAStaple() throws Exception {
        deployment.start("");
        // Whether the server attached a staple is only visible server-side (io.stapled.tls tests check
        // the channel's STAPLED attribute); here: such a client is served normally.
        try (TlsTestClient.Connection c = client.open(deployment.port(), "a.test", false, deployment.root.certificate())) {
            assertEquals(200, c.get("/").status());
        }
    }

    @Test
    void ecdsaAndRsaCertificatesOfOneNameEachStapleTheirOwnResponse() throws Exception {
        deployment.start("");
        try (TlsTestClient.Connection c = client.open(deployment.port(), "a.test", true, deployment.root.certificate())) {
            assertEquals(deployment.ecdsa.certificate().getSerialNumber(), c.peerLeaf().getSerialNumber());
            assertEquals(deployment.ecdsa.certificate().getSerialNumber(), single(c.ocspResponse()).getCertID().getSerialNumber());
        }
        // A TLS 1.2 client offering only ECDHE-RSA suites cannot take the ECDSA certificate.
        try (TlsTestClient.Connection c = client.openRsaOnly(deployment.port(), "a.test", deployment.root.certificate())) {
            assertEquals(deployment.rsa.certificate().getSerialNumber(), c.peerLeaf().getSerialNumber());
            assertEquals(deployment.rsa.certificate().getSerialNumber(), single(c.ocspResponse()).getCertID().getSerialNumber());
        }
    }

    @Test
    void refreshedStapleIsServedByTheNextHandshakeWhileOpenConnectionsCarryOn() throws Exception {
        deployment.start("");
        try (TlsTestClient.Connection live = client.open(deployment.port(), "a.test", true, deployment.root.certificate())) {
            byte[] before = live.ocspResponse();
            Date thisUpdateBefore = single(before).getThisUpdate();
            Thread.sleep(1100); // OCSP times have one-second resolution

            RefreshOutcome outcome = serverOf().ocsp().refreshNow(deployment.ecdsaFile.toString()).get(10, TimeUnit.SECONDS);
            assertNotNull(outcome);

            try (TlsTestClient.Connection next = client.open(deployment.port(), "a.test", true, deployment.root.certificate())) {
                byte[] after = next.ocspResponse();
                assertNotNull(after);
                assertFalse(Arrays.equals(before, after), "the next handshake must carry the refreshed staple");
                assertTrue(single(after).getThisUpdate().after(thisUpdateBefore));
            }
            assertTrue(live.isOpen(), "a refresh must not touch live connections");
            assertEquals(200, live.get("/still-here").status());
            assertArrayEquals(before, live.ocspResponse(), "an open connection keeps what it was handshaken with");
        }
    }

    @Test
    void aFileServedByTwoFrontendsIsOneManagedCertificateWithOneSlot() throws Exception {
        String yaml = withSecondFrontend(deployment.yaml(""), "dir: certs/");
        StapledServer server = StapledServer.builder(ConfigLoader.parse(yaml, dir.resolve("stapled.yaml"))).start();
        try {
            List<LoadedCertificate> first = server.frontend("https").tls().certificates();
            List<LoadedCertificate> second = server.frontend("second").tls().certificates();
            assertEquals(2, first.size());
            assertEquals(2, server.ocsp().certificates().size(), "one managed certificate per file, not per frontend");
            for (int i = 0; i < first.size(); i++) {
                assertSame(first.get(i).stapleSlot(), second.get(i).stapleSlot(), "no copy to keep in step");
                assertSame(server.ocsp().certificate(first.get(i).source().toString()).slot(), first.get(i).stapleSlot());
            }
            server.ocsp().refreshNow(deployment.ecdsaFile.toString()).get(10, TimeUnit.SECONDS);
            byte[] viaFirst;
            try (TlsTestClient.Connection c = client.open(server.frontend("https").address().getPort(), "a.test",
                    true, deployment.root.certificate())) {
                viaFirst = c.ocspResponse();
            }
            try (TlsTestClient.Connection c = client.open(server.frontend("second").address().getPort(), "a.test",
                    true, deployment.root.certificate())) {
                assertArrayEquals(viaFirst, c.ocspResponse(), "both frontends staple the refreshed response");
            }
        } finally {
            server.stop(Duration.ofSeconds(1));
        }
    }

    @Test
    void oneCertificateWithTwoOcspUpdateModesIsAConfigErrorInCheckAndRun() throws Exception {
        java.nio.file.Files.writeString(dir.resolve("on.list"), deployment.ecdsaFile + "\n");
        java.nio.file.Files.writeString(dir.resolve("off.list"), "# comment\n" + deployment.ecdsaFile + " [ocsp-update off]\n");
        String yaml = withSecondFrontend(deployment.yaml("").replace("      - dir: certs/\n", "      - crt_list: on.list\n"),
                "crt_list: off.list");
        io.stapled.config.StapledConfig config = ConfigLoader.parse(yaml, dir.resolve("stapled.yaml"));
        RuntimeException check = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                () -> io.stapled.server.ConfigCheck.verify(config));
        RuntimeException run = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                () -> StapledServer.builder(config).start().stop(Duration.ZERO));
        for (RuntimeException e : List.of(check, run)) {
            String message = e.getMessage();
            org.junit.jupiter.api.Assertions.assertTrue(message.contains("different parameter 'ocsp-update'")
                    && message.contains("on.list:1") && message.contains("certificates[0].crt_list"), message);
        }
    }

    @Test
    void aGlobalResponderDoesNotRefuseASelfSignedCertificateItIsServedWithoutAStaple() throws Exception {
        io.stapled.testkit.pki.IssuedCertificate self = io.stapled.testkit.pki.CertificateBuilder
                .subject("CN=self.test").dnsNames("self.test").build();
        self.writeBundle(dir.resolve("certs/self.pem"));
        StapledServer server = deployment.start("responder: " + deployment.responder.url() + "\n");
        try (TlsTestClient.Connection c = client.open(deployment.port(), "self.test", true, self.certificate())) {
            assertEquals(self.certificate(), c.peerLeaf());
            assertNull(c.ocspResponse(), "no issuer: no staple, ever");
        }
        try (TlsTestClient.Connection c = client.open(deployment.port(), "a.test", true, deployment.root.certificate())) {
            assertNotNull(c.ocspResponse(), "the others are stapled from the global responder");
        }
        assertEquals(io.stapled.ocsp.ManagedCertificate.NotFetchable.NO_ISSUER,
                server.ocsp().certificate(dir.resolve("certs/self.pem").toString()).notFetchable());
    }

    @Test
    void revokedAnswerNeverReplacesTheGoodStaple() throws Exception {
        deployment.start("");
        byte[] good;
        try (TlsTestClient.Connection c = client.open(deployment.port(), "a.test", true, deployment.root.certificate())) {
            good = c.ocspResponse();
        }
        BigInteger serial = deployment.ecdsa.certificate().getSerialNumber();
        deployment.responder.behaviour(serial, Behaviour.REVOKED);
        serverOf().ocsp().refreshNow(deployment.ecdsaFile.toString()).get(10, TimeUnit.SECONDS);
        try (TlsTestClient.Connection c = client.open(deployment.port(), "a.test", true, deployment.root.certificate())) {
            assertArrayEquals(good, c.ocspResponse(), "a revoked answer is reported, the good staple stays");
        }
    }

    @Test
    void restartStaplesFromTheOcspFileEvenWhenTheResponderIsDown() throws Exception {
        deployment.start("");
        deployment.stopServer();
        deployment.responder.defaultBehaviour(Behaviour.HTTP_500);
        deployment.start("");
        try (TlsTestClient.Connection c = client.open(deployment.port(), "a.test", true, deployment.root.certificate())) {
            assertNotNull(c.ocspResponse(), "the persisted .ocsp file staples at once");
        }
    }

    private byte[] stapleOfANewHandshake() {
        try (TlsTestClient.Connection c = client.open(deployment.port(), "a.test", true, deployment.root.certificate())) {
            return c.ocspResponse();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void scheduledRefreshReplacesTheStapleBeforeItExpiresWithNoRestart() throws Exception {
        // Six-second responses: the engine refreshes around the midpoint on its own.
        deployment.responder.validity(java.time.Duration.ofSeconds(-1), java.time.Duration.ofSeconds(6));
        deployment.start("min_refresh: 1s");
        byte[] first;
        try (TlsTestClient.Connection c = client.open(deployment.port(), "a.test", true, deployment.root.certificate())) {
            first = c.ocspResponse();
            assertNotNull(first);
        }
        int requestsAtStart = deployment.responder.requestCount();
        Poll.until(java.time.Duration.ofSeconds(12), "a scheduled refresh",
                () -> deployment.responder.requestCount() > requestsAtStart);
        byte[][] seen = new byte[1][];
        boolean refreshed = Poll.within(java.time.Duration.ofSeconds(12), () -> {
            seen[0] = stapleOfANewHandshake();
            assertNotNull(seen[0], "a staple is served throughout");
            return !Arrays.equals(first, seen[0]);
        });
        byte[] next = seen[0];
        assertTrue(refreshed, "the next handshakes carry the refreshed staple");
        assertTrue(single(next).getNextUpdate().after(single(first).getNextUpdate()));
    }

    @Test
    void mustStapleCertificateWithoutAStapleRefusesToStartWhenConfiguredTo() throws Exception {
        deployment.addMustStapleCertificate();
        deployment.responder.defaultBehaviour(Behaviour.HTTP_500);
        io.stapled.server.StartupException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.stapled.server.StartupException.class,
                () -> deployment.start("startup_wait: 2s\nmust_staple_required: true"));
        assertTrue(e.getMessage().toLowerCase().contains("must-staple"), e.getMessage());
    }

    @Test
    void mustStapleCertificateWithoutAStapleStartsWhenNotRequired() throws Exception {
        deployment.addMustStapleCertificate();
        deployment.responder.defaultBehaviour(Behaviour.HTTP_500);
        deployment.start("startup_wait: 1s");
        assertTrue(serverOf().ocsp().mustStapleAlarms().size() >= 1, "the missing Must-Staple staple is an alarm");
    }

    private io.stapled.server.StapledServer serverOf() {
        return deployment.server;
    }

    private static SingleResp single(byte[] der) throws Exception {
        BasicOCSPResp basic = (BasicOCSPResp) new OCSPResp(der).getResponseObject();
        return basic.getResponses()[0];
    }

    /** {@code yaml} with a frontend "second" in front of the others, serving {@code certificateSource}. */
    private static String withSecondFrontend(String yaml, String certificateSource) {
        return yaml.replace("frontends:\n", """
                frontends:
                  - name: second
                    bind: 127.0.0.1:0
                    mode: http
                    backend: app
                    certificates:
                      - %s
                """.formatted(certificateSource));
    }
}
