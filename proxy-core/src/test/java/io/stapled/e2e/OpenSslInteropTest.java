package io.stapled.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.netty.channel.EventLoopGroup;
import io.stapled.config.ConfigLoader;
import io.stapled.demo.DemoBackend;
import io.stapled.ocsp.pki.CertificateBuilder;
import io.stapled.ocsp.pki.IssuedCertificate;
import io.stapled.server.StapledServer;
import io.stapled.server.Transport;
import io.stapled.testing.ExternalTool;

/**
 * Independent implementations on both sides of stapled: {@code openssl ocsp} as the responder it
 * fetches from, {@code openssl s_client -status} and {@code curl --cert-status} as the clients.
 */
class OpenSslInteropTest {
    private static final DateTimeFormatter INDEX_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    @TempDir
    Path dir;

    private Process responder;
    private EventLoopGroup backendGroup;
    private DemoBackend backend;
    private StapledServer server;
    private IssuedCertificate root;

    @BeforeEach
    void setUp() throws Exception {
        ExternalTool.assumeInstalled("openssl");
        int ocspPort = freePort();
        root = CertificateBuilder.subject("CN=interop root").ca().build();
        IssuedCertificate ca = CertificateBuilder.subject("CN=interop intermediate").issuer(root).ca().build();
        IssuedCertificate leaf = CertificateBuilder.subject("CN=interop.test").issuer(ca).dnsNames("interop.test")
                .ocspUrl("http://127.0.0.1:" + ocspPort + "/").build();
        Files.writeString(dir.resolve("root.pem"), root.certificatePem());
        Files.writeString(dir.resolve("ca.pem"), ca.certificatePem());
        Files.writeString(dir.resolve("ca.key"), ca.privateKeyPem());
        leaf.writeBundle(dir.resolve("certs/interop.pem"));
        // openssl ocsp's CA database: status, expiry, revocation date, serial (hex), file, subject.
        Files.writeString(dir.resolve("index.txt"), "V\t" + INDEX_TIME.format(leaf.certificate().getNotAfter().toInstant())
                + "\t\t" + leaf.certificate().getSerialNumber().toString(16).toUpperCase() + "\tunknown\t/CN=interop.test\n");
        responder = ExternalTool.start(dir.resolve("ocsp.log"), List.of("openssl", "ocsp",
                "-index", dir.resolve("index.txt").toString(), "-port", String.valueOf(ocspPort),
                "-rsigner", dir.resolve("ca.pem").toString(), "-rkey", dir.resolve("ca.key").toString(),
                "-CA", dir.resolve("ca.pem").toString(), "-nmin", "60", "-ignore_err"));
        awaitListening(dir.resolve("ocsp.log"));

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
            responder.destroyForcibly();
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

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * Waits for the responder's own "waiting for connections" line: probing its port with a connect
     * would not do, since {@code openssl ocsp} serves one connection at a time and blocks on an empty one.
     */
    private static void awaitListening(Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains("waiting for OCSP client connections")) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("openssl ocsp did not start: " + (Files.exists(log) ? Files.readString(log) : "no log"));
    }
}
