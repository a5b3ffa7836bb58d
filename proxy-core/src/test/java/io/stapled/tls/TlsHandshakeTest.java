package io.stapled.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import io.stapled.config.TlsConfig;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testing.ExternalTool;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.TlsTestClient;
import io.stapled.testing.Staples;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real handshakes against a frontend on a loopback port. */
class TlsHandshakeTest {
    @TempDir
    static Path dir;

    static IssuedCertificate siteEc;
    static IssuedCertificate siteRsa;
    static IssuedCertificate wildEc;
    static IssuedCertificate wildRsa;
    static IssuedCertificate exactEcUnderWild;
    static IssuedCertificate fallback;
    static TlsFrontend frontend;
    static TlsTestServer server;
    static TlsTestClient client;
    static SslContext openSslClient;
    static SslContext jdkClient;
    static SslContext rsaOnlyTls12Client;

    @BeforeAll
    static void start() throws Exception {
        fallback = TestPki.ecLeaf("fallback.test", "fallback.test");
        siteEc = TestPki.ecLeaf("site.test", "site.test", "www.site.test");
        siteRsa = TestPki.rsaLeaf("site.test rsa", "site.test", "www.site.test");
        wildEc = TestPki.ecLeaf("wild", "*.wild.test");
        fallback.writeBundle(dir.resolve("0-fallback.pem"));
        siteEc.writeBundle(dir.resolve("site-ec.pem"));
        siteRsa.writeWithSiblingKey(dir.resolve("site-rsa.pem"));
        wildEc.writeBundle(dir.resolve("wild.pem"));
        wildRsa = TestPki.rsaLeaf("wild rsa", "*.wild.test");
        wildRsa.writeBundle(dir.resolve("wild-rsa.pem"));
        exactEcUnderWild = TestPki.ecLeaf("exact.wild.test", "exact.wild.test");
        exactEcUnderWild.writeBundle(dir.resolve("exact-wild-ec.pem"));
        TlsConfig tls = new TlsConfig(List.of("TLSv1.2", "TLSv1.3"), null, null, List.of("http/1.1"), true,
                Duration.ofHours(1), 1000, Duration.ofMinutes(5), Duration.ofMillis(1500));
        frontend = Frontends.create(tls, new io.stapled.config.CertificateSource.Directory(dir,
                io.stapled.config.CertificateSource.OcspOptions.DEFAULT));
        server = new TlsTestServer(frontend);
        client = new TlsTestClient();
        openSslClient = TlsTestClient.builder(SslProvider.OPENSSL).build();
        jdkClient = TlsTestClient.builder(SslProvider.JDK).build();
        rsaOnlyTls12Client = TlsTestClient.builder(SslProvider.OPENSSL).protocols("TLSv1.2")
                .ciphers(List.of("ECDHE-RSA-AES128-GCM-SHA256")).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
        frontend.close();
        ReferenceCountUtil.release(openSslClient);
        ReferenceCountUtil.release(rsaOnlyTls12Client);
    }

    @BeforeEach
    void clearStaples() {
        for (LoadedCertificate c : frontend.certificates()) {
            c.stapleSlot().set(null);
        }
        server.handshakes.clear();
    }

    private static LoadedCertificate loaded(IssuedCertificate c) {
        return frontend.certificates().stream().filter(l -> l.leaf().equals(c.certificate())).findFirst().orElseThrow();
    }

    @Test
    void exactNameGetsItsCertificateAndEcdsaWhenTheClientAcceptsIt() throws Exception {
        TlsTestClient.Result r = client.connect(openSslClient, "www.site.test", server.port());
        assertEquals(siteEc.certificate(), r.leaf());
        assertEquals(TlsTestServer.GREETING, r.greeting());
        TlsTestServer.Seen seen = server.nextHandshake();
        assertEquals("www.site.test", seen.serverName());
        assertEquals(loaded(siteEc), seen.certificate());
    }

    @Test
    void sniIsMatchedCaseInsensitivelyWithoutTrailingDot() throws Exception {
        assertEquals(siteEc.certificate(), client.connect(jdkClient, "SITE.Test", server.port()).leaf());
    }

    @Test
    void rsaWhenTheClientCannotUseEcdsa() throws Exception {
        TlsTestClient.Result r = client.connect(rsaOnlyTls12Client, "site.test", server.port());
        assertEquals(siteRsa.certificate(), r.leaf());
        assertEquals("TLSv1.2", r.protocol());
    }

    /** HAProxy tries the exact entry, then the wildcard: an exact ECDSA-only name still serves RSA-only clients. */
    @Test
    void exactEcdsaNameServesAnRsaOnlyClientTheWildcardsRsa() throws Exception {
        assertEquals(exactEcUnderWild.certificate(),
                client.connect(openSslClient, "exact.wild.test", server.port()).leaf());
        TlsTestClient.Result r = client.connect(rsaOnlyTls12Client, "exact.wild.test", server.port());
        assertEquals(wildRsa.certificate(), r.leaf());
        assertEquals("TLSv1.2", r.protocol());
        ExternalTool.assumeInstalled("openssl");
        String out = OpenSslCli.sClient(server.port(), "-servername", "exact.wild.test",
                "-sigalgs", "RSA-PSS+SHA256:RSA+SHA256", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-tls1_2");
        assertTrue(out.contains("CN = wild rsa"), out);
    }

    @Test
    void wildcardCoversOneLabelOnly() throws Exception {
        assertEquals(wildEc.certificate(), client.connect(openSslClient, "a.wild.test", server.port()).leaf());
        assertEquals(fallback.certificate(), client.connect(openSslClient, "a.b.wild.test", server.port()).leaf());
        assertEquals(fallback.certificate(), client.connect(openSslClient, "wild.test", server.port()).leaf());
    }

    @Test
    void unknownNameAndNoSniGetTheDefault() throws Exception {
        assertEquals(fallback.certificate(), client.connect(openSslClient, "nobody.test", server.port()).leaf());
        assertEquals("nobody.test", server.nextHandshake().serverName());
        assertEquals(fallback.certificate(), client.connect(openSslClient, null, server.port()).leaf());
        assertNull(server.nextHandshake().serverName());
    }

    /** A fresh client context per staple check: a resumed session carries no Certificate message, so no staple. */
    private static TlsTestClient.Result connectWithStatusRequest(String sni) throws Exception {
        SslContext ocspClient = TlsTestClient.builder(SslProvider.OPENSSL).enableOcsp(true).build();
        try {
            return client.connect(ocspClient, sni, server.port());
        } finally {
            ReferenceCountUtil.release(ocspClient);
        }
    }

    @Test
    void stapleIsSentWhenRequestedAndPresent() throws Exception {
        loaded(siteEc).stapleSlot().set(Staples.goodStaple(siteEc, Duration.ofDays(1)));
        byte[] der = loaded(siteEc).stapleSlot().current().der();
        TlsTestClient.Result r = connectWithStatusRequest("site.test");
        assertEquals("TLSv1.3", r.protocol());
        assertArrayEquals(der, r.ocspResponse());
        assertTrue(TestPki.isSuccessfulOcsp(r.ocspResponse()));
        TlsTestServer.Seen seen = server.nextHandshake();
        assertTrue(seen.statusRequested());
        assertTrue(seen.stapled());
        assertFalse(seen.reused());
    }

    @Test
    void noStapleWhenNotRequested() throws Exception {
        loaded(siteEc).stapleSlot().set(Staples.goodStaple(siteEc, Duration.ofDays(1)));
        client.connect(openSslClient, "site.test", server.port());
        TlsTestServer.Seen seen = server.nextHandshake();
        assertFalse(seen.statusRequested());
        assertFalse(seen.stapled());
    }

    @Test
    void noStapleWhenTheSlotIsEmptyOrExpired() throws Exception {
        TlsTestClient.Result r = connectWithStatusRequest("site.test");
        assertNull(r.ocspResponse());
        assertFalse(server.nextHandshake().stapled());

        loaded(siteEc).stapleSlot().set(Staples.goodStaple(siteEc, Duration.ofMillis(-1000)));
        r = connectWithStatusRequest("site.test");
        assertNull(r.ocspResponse());
        TlsTestServer.Seen seen = server.nextHandshake();
        assertTrue(seen.statusRequested());
        assertFalse(seen.stapled());
    }

    @Test
    void eachCertificateOfAPairStaplesItsOwnResponse() throws Exception {
        loaded(siteEc).stapleSlot().set(Staples.goodStaple(siteEc, Duration.ofDays(1)));
        loaded(siteRsa).stapleSlot().set(Staples.goodStaple(siteRsa, Duration.ofDays(1)));
        SslContext rsaOcsp = TlsTestClient.builder(SslProvider.OPENSSL).protocols("TLSv1.2")
                .ciphers(List.of("ECDHE-RSA-AES128-GCM-SHA256")).enableOcsp(true).build();
        try {
            TlsTestClient.Result r = client.connect(rsaOcsp, "site.test", server.port());
            assertEquals(siteRsa.certificate(), r.leaf());
            assertArrayEquals(loaded(siteRsa).stapleSlot().current().der(), r.ocspResponse());
        } finally {
            ReferenceCountUtil.release(rsaOcsp);
        }
    }

    @Test
    void opensslSClientSeesTheStaple() throws Exception {
        ExternalTool.assumeInstalled("openssl");
        loaded(siteEc).stapleSlot().set(Staples.goodStaple(siteEc, Duration.ofDays(1)));
        String out = OpenSslCli.sClient(server.port(), "-servername", "site.test", "-status");
        assertTrue(out.contains("OCSP Response Status: successful"), out);
        assertTrue(out.contains("CN = site.test") || out.contains("CN=site.test"), out);
        String none = OpenSslCli.sClient(server.port(), "-servername", "site.test");
        assertFalse(none.contains("OCSP Response Status"), none);
    }

    @Test
    void opensslSignatureAlgorithmsDecideEcdsaOrRsa() throws Exception {
        ExternalTool.assumeInstalled("openssl");
        String rsa = OpenSslCli.sClient(server.port(), "-servername", "site.test",
                "-sigalgs", "RSA-PSS+SHA256:RSA+SHA256");
        assertTrue(rsa.contains("CN = site.test rsa"), rsa);
        String ecdsa = OpenSslCli.sClient(server.port(), "-servername", "site.test");
        assertTrue(ecdsa.contains("CN = site.test\n") || ecdsa.contains("CN = site.test\r"), ecdsa);
    }

    @Test
    void garbageIsClosedWithoutAffectingOthers() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            assertEquals(-1, s.getInputStream().read(), "garbage must be answered by a close");
        }
        // a record header announcing a ClientHello whose body is nonsense
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(5000);
            byte[] body = new byte[40];
            byte[] rec = new byte[5 + 4 + body.length];
            rec[0] = 22; rec[1] = 3; rec[2] = 1; rec[4] = (byte) (4 + body.length);
            rec[5] = 1; rec[8] = (byte) body.length;
            s.getOutputStream().write(rec);
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            assertEquals(-1, in.read(), "a malformed ClientHello must be answered by a close");
        }
        // a ClientHello announcing 1 MiB (over the 64 KiB limit) and an alert instead of a hello
        for (byte[] bytes : new byte[][] {{22, 3, 1, 0, 4, 1, 0x10, 0, 0}, {21, 3, 3, 0, 2, 2, 40}}) {
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                s.setSoTimeout(5000);
                s.getOutputStream().write(bytes);
                s.getOutputStream().flush();
                assertEquals(-1, s.getInputStream().read(), "must be answered by a close");
            }
        }
        assertEquals(siteEc.certificate(), client.connect(openSslClient, "site.test", server.port()).leaf());
    }

    @Test
    void clientStallingAfterItsHelloIsClosedByTheHandshakeTimeout() throws Exception {
        byte[] body = new ClientHelloParserTest.Hello().suites(0xC02B).sni("site.test")
                .sigAlgs(0x0403).ext(10, new byte[] {0, 4, 0, 0x1d, 0, 0x17}).ext(11, new byte[] {1, 0}).bytes();
        byte[] rec = new byte[5 + 4 + body.length];
        rec[0] = 22; rec[1] = 3; rec[2] = 1;
        rec[3] = (byte) ((4 + body.length) >> 8); rec[4] = (byte) (4 + body.length);
        rec[5] = 1; rec[7] = (byte) (body.length >> 8); rec[8] = (byte) body.length;
        System.arraycopy(body, 0, rec, 9, body.length);
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(6000);
            long start = System.nanoTime();
            s.getOutputStream().write(rec);
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            int first = in.read();
            assertEquals(22, first, "the server answers the hello with a handshake record");
            while (in.read() != -1) {
                // ServerHello ... ServerHelloDone, then nothing until the timeout closes us
            }
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(ms >= 1000 && ms < 5000, "closed after " + ms + " ms, timeout is 1500 ms");
        }
    }

    @Test
    void stalledClientIsClosedByTheHandshakeTimeoutWhileOthersWork() throws Exception {
        try (Socket stalled = new Socket("127.0.0.1", server.port());
             Socket partial = new Socket("127.0.0.1", server.port())) {
            stalled.setSoTimeout(6000);
            partial.setSoTimeout(6000);
            partial.getOutputStream().write(new byte[] {22, 3, 1, 0, (byte) 200, 1});
            partial.getOutputStream().flush();
            long start = System.nanoTime();
            assertEquals(siteEc.certificate(), client.connect(openSslClient, "site.test", server.port()).leaf());
            assertEquals(-1, stalled.getInputStream().read(), "stalled client must be closed");
            assertEquals(-1, partial.getInputStream().read(), "half a ClientHello must be closed");
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(ms >= 1000 && ms < 5000, "closed after " + ms + " ms, timeout is 1500 ms");
        }
    }
}
