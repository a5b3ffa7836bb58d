package io.stapled.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCounted;
import io.netty.util.ReferenceCountUtil;
import io.stapled.config.CertificateSource;
import io.stapled.config.GlobalConfig;
import io.stapled.config.TlsConfig;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.TlsTestClient;
import io.stapled.testing.Staples;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Building a frontend from config: provider, default certificate, ciphers, ALPN, errors, release. */
class TlsFrontendFactoryTest {
    @TempDir
    Path dir;

    private static TlsConfig tls(String ciphers, List<String> alpn) {
        return new TlsConfig(List.of("TLSv1.2", "TLSv1.3"), ciphers, null, alpn, true,
                Duration.ofHours(1), 1000, Duration.ofMinutes(5), Duration.ofSeconds(5));
    }

    private static SslContext client(SslProvider provider, List<String> protocols, String... alpn) throws Exception {
        var b = TlsTestClient.builder(provider).protocols(protocols);
        if (alpn.length > 0) {
            b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                    ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                    ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn));
        }
        return b.build();
    }

    @Test
    void jdkProviderServesWithoutStapling() throws Exception {
        IssuedCertificate leaf = TestPki.ecLeaf("jdk.test", "jdk.test");
        Path crt = leaf.writeBundle(dir.resolve("jdk.pem"));
        GlobalConfig jdk = new GlobalConfig(0, GlobalConfig.TlsProvider.JDK, Duration.ofSeconds(1), "INFO");
        SslContext ocspClient = TlsTestClient.builder(SslProvider.OPENSSL).enableOcsp(true).build();
        try (TlsFrontend f = TlsFrontendFactory.create(Frontends.config(tls(null, List.of("http/1.1")), null,
                     Frontends.file(crt)), jdk);
             TlsTestServer server = new TlsTestServer(f); TlsTestClient c = new TlsTestClient()) {
            f.certificates().get(0).stapleSlot().set(Staples.goodStaple(leaf, Duration.ofDays(1)));
            TlsTestClient.Result r = c.connect(ocspClient, "jdk.test", server.port());
            assertEquals(leaf.certificate(), r.leaf());
            assertNull(r.ocspResponse());
            TlsTestServer.Seen seen = server.nextHandshake();
            assertTrue(seen.statusRequested());
            assertFalse(seen.stapled());
        } finally {
            ReferenceCountUtil.release(ocspClient);
        }
    }

    @Test
    void configuredDefaultCertificate() throws Exception {
        IssuedCertificate a = TestPki.ecLeaf("a.test", "a.test");
        IssuedCertificate b = TestPki.ecLeaf("b.test", "b.test");
        Path pa = a.writeBundle(dir.resolve("a.pem"));
        Path pb = b.writeBundle(dir.resolve("b.pem"));
        SslContext client = client(SslProvider.OPENSSL, List.of("TLSv1.3"));
        try (TlsFrontend f = TlsFrontendFactory.create(Frontends.config(tls(null, List.of()), pb.toString(),
                     Frontends.file(pa), Frontends.file(pb)), GlobalConfig.defaults());
             TlsTestServer server = new TlsTestServer(f); TlsTestClient c = new TlsTestClient()) {
            assertEquals(b.certificate(), c.connect(client, "unknown.test", server.port()).leaf());
            assertEquals(a.certificate(), c.connect(client, "a.test", server.port()).leaf());
        } finally {
            ReferenceCountUtil.release(client);
        }
        String m = assertThrows(TlsSetupException.class, () -> TlsFrontendFactory.create(Frontends.config(
                tls(null, List.of()), "/nowhere.pem", Frontends.file(pa)), GlobalConfig.defaults())).getMessage();
        assertTrue(m.startsWith("frontend test: ") && m.contains("/nowhere.pem"), m);
    }

    @Test
    void cipherStringIsExpandedByBoringSsl() throws Exception {
        Path crt = TestPki.ecLeaf("c.test", "c.test").writeBundle(dir.resolve("c.pem"));
        SslContext gcm256 = TlsTestClient.builder(SslProvider.OPENSSL).protocols("TLSv1.2")
                .ciphers(List.of("ECDHE-ECDSA-AES256-GCM-SHA384")).build();
        SslContext chacha = TlsTestClient.builder(SslProvider.OPENSSL).protocols("TLSv1.2")
                .ciphers(List.of("ECDHE-ECDSA-CHACHA20-POLY1305")).build();
        try (TlsFrontend f = Frontends.create(tls("ECDHE+AESGCM", List.of()), Frontends.file(crt));
             TlsTestServer server = new TlsTestServer(f); TlsTestClient c = new TlsTestClient()) {
            assertEquals("TLSv1.2", c.connect(gcm256, "c.test", server.port()).protocol());
            assertThrows(Exception.class, () -> c.connect(chacha, "c.test", server.port()),
                    "a suite outside the configured list must not be negotiated");
        } finally {
            ReferenceCountUtil.release(gcm256);
            ReferenceCountUtil.release(chacha);
        }
        String m = assertThrows(TlsSetupException.class,
                () -> Frontends.create(tls("NOT-A-CIPHER", List.of()), Frontends.file(crt))).getMessage();
        assertTrue(m.startsWith("frontend test: tls.ciphers 'NOT-A-CIPHER'"), m);
    }

    @Test
    void alpnFromFrontendAndFromCrtList() throws Exception {
        TestPki.ecLeaf("h1.test", "h1.test").writeBundle(dir.resolve("h1.pem"));
        TestPki.ecLeaf("h2.test", "h2.test").writeBundle(dir.resolve("h2.pem"));
        Path list = PemFiles.writeFile(dir.resolve("alpn.list"), "h1.pem\nh2.pem [alpn h2,http/1.1]\n");
        SslContext both = client(SslProvider.OPENSSL, List.of("TLSv1.3"), "h2", "http/1.1");
        SslContext onlyH2 = client(SslProvider.OPENSSL, List.of("TLSv1.3"), "h2");
        try (TlsFrontend f = Frontends.create(tls(null, List.of("http/1.1")),
                     new CertificateSource.CrtList(list, CertificateSource.OcspOptions.DEFAULT));
             TlsTestServer server = new TlsTestServer(f); TlsTestClient c = new TlsTestClient()) {
            assertEquals("http/1.1", c.connect(both, "h1.test", server.port()).alpn());
            assertEquals("h2", c.connect(both, "h2.test", server.port()).alpn());
            assertNull(c.connect(onlyH2, "h1.test", server.port()).alpn(), "no common protocol: still served");
        } finally {
            ReferenceCountUtil.release(both);
            ReferenceCountUtil.release(onlyH2);
        }
    }

    @Test
    void errorsNameTheFrontendAndTheFile() {
        Path missing = dir.resolve("missing.pem");
        String m = assertThrows(TlsSetupException.class,
                () -> Frontends.create(tls(null, List.of()), Frontends.file(missing))).getMessage();
        assertEquals("frontend test: " + missing + ": no such file", m);
        TlsConfig badProtocol = new TlsConfig(List.of("SSLv3"), null, null, List.of(), true,
                Duration.ofHours(1), 1000, Duration.ofMinutes(5), Duration.ofSeconds(5));
        Path crt = TestPki.ecLeaf("p.test", "p.test").writeBundle(dir.resolve("p.pem"));
        m = assertThrows(TlsSetupException.class, () -> Frontends.create(badProtocol, Frontends.file(crt))).getMessage();
        assertTrue(m.contains("tls.protocols") && m.contains("SSLv3"), m);
    }

    @Test
    void closeReleasesContextsAndPrepareAddsCertificates() throws Exception {
        Path crt = TestPki.ecLeaf("r.test", "r.test").writeBundle(dir.resolve("r.pem"));
        TlsFrontend f = Frontends.create(tls(null, List.of()), Frontends.file(crt));
        ServingCertificate s = f.store().current().certificates().get(0);
        assertEquals(1, ((ReferenceCounted) s.sslContext()).refCnt());
        IssuedCertificate later = TestPki.ecLeaf("later.test", "later.test");
        ServingCertificate added = f.prepare(CertificateLoader.loadFile(later.writeBundle(dir.resolve("later.pem")),
                null, List.of(), List.of(), CertificateSource.OcspOptions.DEFAULT, List.of()));
        CertificateSnapshot old = f.store().replace(CertificateSnapshot.builder().add(s).add(added).build());
        SslContext client = client(SslProvider.OPENSSL, List.of("TLSv1.3"));
        try (TlsTestServer server = new TlsTestServer(f); TlsTestClient c = new TlsTestClient()) {
            assertEquals(later.certificate(), c.connect(client, "later.test", server.port()).leaf());
        } finally {
            ReferenceCountUtil.release(client);
        }
        assertEquals(1, old.certificates().size());
        f.close();
        assertEquals(0, ((ReferenceCounted) s.sslContext()).refCnt());
        assertEquals(0, ((ReferenceCounted) added.sslContext()).refCnt());
    }
}
