package io.stapled.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import io.stapled.config.CertificateSource;
import io.stapled.config.GlobalConfig;
import io.stapled.config.TlsConfig;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.TlsTestClient;
import io.stapled.testkit.pki.IssuedCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A crt-list line's options at the context level (issue 11): what only the frontend can judge (its
 * protocols, its provider), and a runtime certificate swap keeping the line's options.
 */
class CrtListContextsTest {
    @TempDir
    Path dir;

    private static TlsConfig tls(List<String> protocols) {
        return new TlsConfig(protocols, null, null, List.of("http/1.1"), true,
                Duration.ofHours(1), 1000, Duration.ofMinutes(5), Duration.ofSeconds(5));
    }

    private CertificateSource.CrtList list(String text) {
        return new CertificateSource.CrtList(PemFiles.writeFile(dir.resolve("certs.list"), text),
                CertificateSource.OcspOptions.DEFAULT);
    }

    @Test
    void aVersionRangeThatLeavesNothingOfTheFrontendsProtocolsStopsTheFrontendAtTheLine() {
        TestPki.ecLeaf("a.test", "a.test").writeBundle(dir.resolve("a.pem"));
        CertificateSource.CrtList source = list("a.pem\na.pem [ssl-max-ver TLSv1.2] b.test\n");
        String m = assertThrows(TlsSetupException.class,
                () -> Frontends.create(tls(List.of("TLSv1.3")), source)).getMessage();
        assertEquals("frontend test: " + source.file() + ":2: ssl-min-ver/ssl-max-ver leave no protocol enabled "
                + "(the frontend's tls.protocols are [TLSv1.3])", m);
    }

    @Test
    void curvesNeedBoringSsl() {
        TestPki.ecLeaf("a.test", "a.test").writeBundle(dir.resolve("a.pem"));
        CertificateSource.CrtList source = list("a.pem [curves P-384]\n");
        GlobalConfig jdk = new GlobalConfig(0, GlobalConfig.TlsProvider.JDK, Duration.ofSeconds(1), "INFO");
        String m = assertThrows(TlsSetupException.class, () -> TlsFrontendFactory.create(
                Frontends.config(tls(List.of("TLSv1.2", "TLSv1.3")), null, source), jdk)).getMessage();
        assertEquals("frontend test: " + source.file() + ":1: curves/ecdhe need BoringSSL; the JDK provider "
                + "(global.tls_provider: jdk) cannot set groups per certificate", m);
    }

    @Test
    void aVersionCapAlsoHoldsWithTheJdkProvider() throws Exception {
        TestPki.ecLeaf("capped.test", "capped.test").writeBundle(dir.resolve("capped.pem"));
        TestPki.ecLeaf("open.test", "open.test").writeBundle(dir.resolve("open.pem"));
        GlobalConfig jdk = new GlobalConfig(0, GlobalConfig.TlsProvider.JDK, Duration.ofSeconds(1), "INFO");
        SslContext client = TlsTestClient.builder(SslProvider.OPENSSL).protocols("TLSv1.2", "TLSv1.3").build();
        try (TlsFrontend f = TlsFrontendFactory.create(Frontends.config(tls(List.of("TLSv1.2", "TLSv1.3")), null,
                     list("open.pem\ncapped.pem [ssl-max-ver TLSv1.2]\n")), jdk);
             TlsTestServer server = new TlsTestServer(f); TlsTestClient c = new TlsTestClient()) {
            assertEquals("TLSv1.2", c.connect(client, "capped.test", server.port()).protocol());
            assertEquals("TLSv1.3", c.connect(client, "open.test", server.port()).protocol());
        } finally {
            ReferenceCountUtil.release(client);
        }
    }

    @Test
    void aTls12CipherStringLeavesTls13OnForTheFrontendAndForALine() throws Exception {
        TestPki.ecLeaf("line.test", "line.test").writeBundle(dir.resolve("line.pem"));
        TestPki.ecLeaf("frontend.test", "frontend.test").writeBundle(dir.resolve("frontend.pem"));
        TlsConfig frontendCiphers = new TlsConfig(List.of("TLSv1.2", "TLSv1.3"), "ECDHE+AESGCM", null,
                List.of("http/1.1"), true, Duration.ofHours(1), 1000, Duration.ofMinutes(5), Duration.ofSeconds(5));
        SslContext client = TlsTestClient.builder(SslProvider.OPENSSL).protocols("TLSv1.2", "TLSv1.3").build();
        try (TlsFrontend f = Frontends.create(frontendCiphers,
                     list("frontend.pem\nline.pem [ciphers ECDHE-ECDSA-AES128-GCM-SHA256]\n"));
             TlsTestServer server = new TlsTestServer(f); TlsTestClient c = new TlsTestClient()) {
            assertEquals("TLSv1.3", c.connect(client, "frontend.test", server.port()).protocol());
            assertEquals("TLSv1.3", c.connect(client, "line.test", server.port()).protocol());
        } finally {
            ReferenceCountUtil.release(client);
        }
    }

    @Test
    void aRuntimeSwapKeepsTheLinesOptions() throws Exception {
        TestPki.ecLeaf("capped.test", "capped.test").writeBundle(dir.resolve("capped.pem"));
        IssuedCertificate next = TestPki.ecLeaf("capped.test", "capped.test");
        SslContext client = TlsTestClient.builder(SslProvider.OPENSSL).protocols("TLSv1.2", "TLSv1.3").build();
        try (TlsFrontend f = Frontends.create(tls(List.of("TLSv1.2", "TLSv1.3")),
                     list("capped.pem [ssl-max-ver TLSv1.2 curves P-384]\n"));
             TlsTestServer server = new TlsTestServer(f); TlsTestClient c = new TlsTestClient()) {
            ServingCertificate old = f.store().current().certificates().get(0);
            LoadedCertificate replaced = old.certificate().replacedBy(
                    List.of(next.certificate(), TestPki.INTERMEDIATE.certificate()), next.keyPair().getPrivate(), null);
            assertEquals(old.certificate().tls(), replaced.tls());
            f.replace(old, f.prepare(replaced));
            TlsTestClient.Result r = c.connect(client, "capped.test", server.port());
            assertEquals(next.certificate(), r.leaf());
            assertEquals("TLSv1.2", r.protocol(), "the new certificate is still capped at TLS 1.2");
        } finally {
            ReferenceCountUtil.release(client);
        }
    }
}
