package io.stapled.admin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.netty.channel.EventLoopGroup;
import io.stapled.config.ConfigLoader;
import io.stapled.config.StapledConfig;
import io.stapled.demo.DemoBackend;
import io.stapled.ocsp.ManagedCertificate;
import io.stapled.ocsp.Staple;
import io.stapled.ocsp.StapleFiles;
import io.stapled.testkit.TlsTestClient;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.pki.KeyPairs;
import io.stapled.testkit.responder.OcspResponderServer;
import io.stapled.testkit.responder.OcspResponderServer.Behaviour;
import io.stapled.server.StapledServer;
import io.stapled.net.Transport;
import io.stapled.testing.ExternalTool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code set ssl ocsp-response} against the whole proxy with persistence on, as deployed: a verified
 * push is written to {@code <cert>.ocsp} and is what a restarted proxy staples; a refused one (a
 * SHA-256 CertID among them) writes nothing; and the accepted staple passes {@code curl --cert-status},
 * which a SHA-256-CertID staple would not.
 */
@Timeout(60)
class StapledServerPushedStapleTest {
    private static final IssuedCertificate ROOT = CertificateBuilder.subject("CN=push root").ca().build();
    private static final IssuedCertificate INTER = CertificateBuilder.subject("CN=push intermediate")
            .issuer(ROOT).ca().build();
    private static final BigInteger SERIAL = BigInteger.valueOf(0x9009);

    @TempDir
    Path dir;
    private OcspResponderServer responder;
    private EventLoopGroup group;
    private DemoBackend backend;
    private StapledConfig config;
    private StapledServer server;
    private TlsTestClient probe;
    private Path socket;
    private String crt;
    private Path ocspFile;

    @BeforeEach
    void start() throws Exception {
        responder = OcspResponderServer.builder(INTER).start();
        IssuedCertificate leaf = CertificateBuilder.subject("CN=push.test").issuer(INTER).keyPair(KeyPairs.ecP256())
                .dnsNames("push.test").ocspUrl(responder.url()).serial(SERIAL).build();
        Files.createDirectories(dir.resolve("certs"));
        Path pem = leaf.writeBundle(dir.resolve("certs/site.pem"));
        crt = pem.toString();
        ocspFile = StapleFiles.ocspFile(pem);
        Files.writeString(dir.resolve("root.pem"), ROOT.certificatePem());
        Transport t = Transport.best();
        group = t.newGroup(1, "push-backend");
        backend = DemoBackend.start(group, t, new InetSocketAddress("127.0.0.1", 0));
        socket = dir.resolve("admin.sock");
        String yaml = """
                ocsp:
                  startup_wait: 5s
                  persist: true
                frontends:
                  - name: https
                    bind: 127.0.0.1:0
                    mode: http
                    backend: app
                    certificates:
                      - crt: %s
                backends:
                  - name: app
                    servers:
                      - { name: app1, address: 127.0.0.1:%d }
                runtime_api: { socket: admin.sock, mode: "0600", level: admin }
                """.formatted(crt, backend.address().getPort());
        config = ConfigLoader.parse(yaml, dir.resolve("stapled.yaml"));
        server = StapledServer.start(config);
        probe = new TlsTestClient();
    }

    @AfterEach
    void stop() {
        probe.close();
        if (server != null) {
            server.close();
        }
        backend.close();
        responder.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private int port() {
        return server.frontend("https").address().getPort();
    }

    private String cli(String text) throws IOException {
        return CliClient.send(socket, text);
    }

    private String push(byte[] der) throws IOException {
        return cli("set ssl ocsp-response " + Base64.getEncoder().encodeToString(der) + "\n");
    }

    /** A response newer than the one fetched at start-up (other bytes, and not refused as older). */
    private byte[] newer(Behaviour behaviour) {
        responder.validity(Duration.ofSeconds(5), Duration.ofHours(2));
        return responder.responseFor(SERIAL, behaviour);
    }

    @Test
    void pushedStapleIsWrittenToTheOcspFileAndServedAfterARestart() throws Exception {
        byte[] fetched = probe.handshake(port(), "push.test").ocspResponse();
        assertArrayEquals(fetched, Files.readAllBytes(ocspFile), "the start-up fetch is persisted");
        byte[] pushed = newer(Behaviour.DELEGATED);
        assertEquals("OCSP Response updated!\n\n", push(pushed));
        assertArrayEquals(pushed, Files.readAllBytes(ocspFile), "the pushed staple is persisted");
        assertArrayEquals(pushed, probe.handshake(port(), "push.test").ocspResponse());
        try (var files = Files.list(ocspFile.getParent())) {
            assertEquals(List.of("site.pem", "site.pem.ocsp"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "temporary file left behind");
        }

        server.close();
        server = null;
        responder.defaultBehaviour(Behaviour.HTTP_500); // only the file can staple now
        int requests = responder.requestCount();
        server = StapledServer.start(config);
        assertArrayEquals(pushed, probe.handshake(port(), "push.test").ocspResponse(),
                "a restart serves the newest verified staple: the pushed one");
        assertEquals(requests, responder.requestCount(), "the pushed staple was fresh: no fetch at restart");
    }

    @Test
    void refusedPushWritesNothing() throws Exception {
        byte[] held = probe.handshake(port(), "push.test").ocspResponse();
        StapleFiles.Stamp stamp = StapleFiles.stamp(ocspFile);
        String sha256 = push(newer(Behaviour.OTHER_HASH));
        assertTrue(sha256.startsWith("OCSP response for " + crt
                + " refused: response CertID hash algorithm SHA-256, expected SHA-1"), sha256);
        String forged = push(newer(Behaviour.FORGED));
        assertTrue(forged.startsWith("OCSP response for " + crt + " refused: signature"), forged);
        assertArrayEquals(held, Files.readAllBytes(ocspFile));
        assertTrue(stamp.sameAs(StapleFiles.stamp(ocspFile)), "the .ocsp file was rewritten");
        assertArrayEquals(held, probe.handshake(port(), "push.test").ocspResponse(), "the good staple stays");
    }

    @Test
    void acceptedPushPassesCurlCertStatusWhereASha256CertIdStapleFails() throws Exception {
        ExternalTool.assumeInstalled("curl");
        assertEquals("OCSP Response updated!\n\n", push(newer(Behaviour.GOOD)));
        ExternalTool.Result ok = curl();
        assertEquals(0, ok.exitCode(), ok.output());
        assertTrue(ok.output().contains("uri: /status"), ok.output());

        // Why SHA-256 CertIDs are refused: served anyway (put in the slot past the verifier), curl cannot
        // find the SHA-1 CertID it looks for and fails the handshake check.
        byte[] sha256 = newer(Behaviour.OTHER_HASH);
        ManagedCertificate mc = server.ocsp().certificate(crt);
        Instant now = Instant.now();
        mc.slot().set(new Staple(sha256, Staple.CertStatus.GOOD, now, now.plus(Duration.ofHours(1)), now,
                Staple.Origin.RUNTIME_API, now));
        assertArrayEquals(sha256, probe.handshake(port(), "push.test").ocspResponse());
        ExternalTool.Result bad = curl();
        // 91: CURLE_SSL_INVALIDCERTSTATUS ("Could not find certificate ID in OCSP response" with OpenSSL)
        assertEquals(91, bad.exitCode(), "curl --cert-status on a SHA-256 CertID staple: " + bad.output());
    }

    private ExternalTool.Result curl() throws Exception {
        return ExternalTool.run(20, List.of("curl", "-sS", "--cert-status",
                "--cacert", dir.resolve("root.pem").toString(),
                "--resolve", "push.test:" + port() + ":127.0.0.1", "https://push.test:" + port() + "/status"));
    }
}
