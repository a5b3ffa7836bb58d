package io.stapled.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.netty.channel.EventLoopGroup;
import io.stapled.config.ConfigLoader;
import io.stapled.demo.DemoBackend;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.server.StapledServer;
import io.stapled.net.Transport;
import io.stapled.testing.ExternalTool;
import io.stapled.testing.OpenSslOcspResponder;

/**
 * Independent implementations on both sides of stapled: {@code openssl ocsp} as the responder it
 * fetches from, {@code openssl s_client -status} and {@code curl --cert-status} as the clients.
 */
class OpenSslInteropTest {
    @TempDir
    Path dir;

    private OpenSslOcspResponder responder;
    private EventLoopGroup backendGroup;
    private DemoBackend backend;
    private StapledServer server;
    private IssuedCertificate root;

    @BeforeEach
    void setUp() throws Exception {
        int ocspPort = OpenSslOcspResponder.freePort();
        root = CertificateBuilder.subject("CN=interop root").ca().build();
        IssuedCertificate ca = CertificateBuilder.subject("CN=interop intermediate").issuer(root).ca().build();
        IssuedCertificate leaf = CertificateBuilder.subject("CN=interop.test").issuer(ca).dnsNames("interop.test")
                .ocspUrl(OpenSslOcspResponder.url(ocspPort)).build();
        Files.writeString(dir.resolve("root.pem"), root.certificatePem());
        Files.writeString(dir.resolve("ca.pem"), ca.certificatePem());
        leaf.writeBundle(dir.resolve("certs/interop.pem"));
        responder = OpenSslOcspResponder.start(dir.resolve("responder"), ocspPort, ca, List.of(leaf.certificate()));

        Transport transport = Transport.best();
        backendGroup = transport.newGroup(1, "interop-backend");
        backend = DemoBackend.start(backendGroup, transport, new java.net.InetSocketAddress("127.0.0.1", 0));
        String yaml = """
                ocsp: { startup_wait: 10s }
                frontends:
                  - name: https
                    bind: 127.0.0.1:0
                    mode: http
                    backend: app
                    certificates:
                      - dir: certs/
                backends:
                  - name: app
                    servers:
                      - { name: app1, address: 127.0.0.1:%d }
                """.formatted(backend.address().getPort());
        server = StapledServer.start(ConfigLoader.parse(yaml, dir.resolve("stapled.yaml")));
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.stop(java.time.Duration.ofSeconds(1));
        }
        if (backend != null) {
            backend.close();
            backendGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (responder != null) {
            responder.close();
        }
    }

    @Test
    void opensslClientSeesAGoodStapleFetchedFromAnOpensslResponder() throws Exception {
        int port = server.frontend("https").address().getPort();
        ExternalTool.Result r = ExternalTool.run(20, List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                "-servername", "interop.test", "-status", "-CAfile", dir.resolve("root.pem").toString()));
        assertTrue(r.output().contains("OCSP Response Status: successful"), r.output());
        assertTrue(r.output().contains("Cert Status: good"), r.output());
        assertTrue(r.output().contains("Verify return code: 0 (ok)"), r.output());
        assertTrue(Files.exists(dir.resolve("certs/interop.pem.ocsp")), "the staple is persisted for HAProxy to share");
        ExternalTool.Result verify = ExternalTool.run(20, List.of("openssl", "ocsp", "-respin",
                dir.resolve("certs/interop.pem.ocsp").toString(), "-CAfile", dir.resolve("root.pem").toString(),
                "-verify_other", dir.resolve("ca.pem").toString(), "-resp_text"));
        assertTrue(verify.output().contains("Response verify OK"), verify.output());
        assertTrue(verify.output().contains("Cert Status: good"), verify.output());
    }

    @Test
    void curlCertStatusSucceeds() throws Exception {
        ExternalTool.assumeInstalled("curl");
        int port = server.frontend("https").address().getPort();
        ExternalTool.Result r = ExternalTool.run(20, List.of("curl", "-sS", "--cert-status",
                "--cacert", dir.resolve("root.pem").toString(),
                "--resolve", "interop.test:" + port + ":127.0.0.1", "https://interop.test:" + port + "/curl"));
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("uri: /curl"), r.output());
    }

    @Test
    void curlWithoutAStapleFailsCertStatus() throws Exception {
        ExternalTool.assumeInstalled("curl");
        // Proves the previous test can fail: a certificate with no staple makes --cert-status fail.
        server.ocsp().certificates().forEach(c -> c.slot().set(null));
        int port = server.frontend("https").address().getPort();
        ExternalTool.Result r = ExternalTool.run(20, List.of("curl", "-sS", "--cert-status",
                "--cacert", dir.resolve("root.pem").toString(),
                "--resolve", "interop.test:" + port + ":127.0.0.1", "https://interop.test:" + port + "/"));
        assertTrue(r.exitCode() != 0, "curl --cert-status must fail without a staple: " + r.output());
    }
}
