package io.stapled.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
import io.stapled.testkit.TlsTestClient;

/**
 * The cron script from HAProxy's documentation, run as a shell script against stapled with only the
 * socket path changed: {@code openssl ocsp -respout} from a real {@code openssl ocsp} responder, then
 * {@code set ssl ocsp-response $(base64 -w 10000 ...)} through {@code socat}; the next handshake staples it.
 */
class HaproxyOcspScriptTest {
    @TempDir
    Path dir;

    @Test
    void documentedScriptPushesAStapleThatTheNextHandshakeServes() throws Exception {
        ExternalTool.assumeInstalled("socat");
        IssuedCertificate root = CertificateBuilder.subject("CN=script root").ca().build();
        IssuedCertificate ca = CertificateBuilder.subject("CN=script intermediate").issuer(root).ca().build();
        // The certificate's own responder is down, so only the script can give it a staple.
        IssuedCertificate leaf = CertificateBuilder.subject("CN=script.test").issuer(ca).dnsNames("script.test")
                .ocspUrl(OpenSslOcspResponder.url(OpenSslOcspResponder.freePort())).build();
        leaf.writeBundle(dir.resolve("certs/site.pem"));
        Files.writeString(dir.resolve("ca.pem"), ca.certificatePem());
        Files.writeString(dir.resolve("leaf.pem"), leaf.certificatePem());
        int port = OpenSslOcspResponder.freePort();

        Transport transport = Transport.best();
        EventLoopGroup group = transport.newGroup(1, "script-backend");
        try (OpenSslOcspResponder responder = OpenSslOcspResponder.start(dir.resolve("responder"), port, ca,
                List.of(leaf.certificate()));
             DemoBackend backend = DemoBackend.start(group, transport, new InetSocketAddress("127.0.0.1", 0));
             TlsTestClient client = new TlsTestClient()) {
            StapledServer server = StapledServer.start(ConfigLoader.parse("""
                    ocsp: { startup_wait: 1s }
                    frontends:
                      - name: https
                        bind: 127.0.0.1:0
                        backend: app
                        certificates:
                          - dir: certs/
                    backends:
                      - name: app
                        servers:
                          - { name: a, address: 127.0.0.1:%d }
                    runtime_api: { socket: admin.sock, mode: "0600", level: admin }
                    """.formatted(backend.address().getPort()), dir.resolve("stapled.yaml")));
            try {
                int https = server.frontend("https").address().getPort();
                try (TlsTestClient.Connection c = client.open(https, "script.test", true, root.certificate())) {
                    assertNull(c.ocspResponse(), "no staple before the script runs");
                }

                String script = """
                        set -e
                        openssl ocsp -issuer ca.pem -cert leaf.pem -url %s -respout resp.der -noverify >/dev/null 2>&1
                        echo "set ssl ocsp-response $(base64 -w 10000 resp.der)" | socat stdio unix-connect:admin.sock
                        """.formatted(responder.url());
                ExternalTool.Result r = ExternalTool.run(30, List.of("bash", "-c", "cd " + dir + " && " + script));
                assertEquals(0, r.exitCode(), r.output());
                assertEquals("OCSP Response updated!\n\n", r.output());

                byte[] pushed = Files.readAllBytes(dir.resolve("resp.der"));
                try (TlsTestClient.Connection c = client.open(https, "script.test", true, root.certificate())) {
                    assertArrayEquals(pushed, c.ocspResponse(), "the next handshake staples the pushed response");
                }
                ExternalTool.Result sClient = ExternalTool.run(20, List.of("openssl", "s_client", "-connect",
                        "127.0.0.1:" + https, "-servername", "script.test", "-status"));
                assertTrue(sClient.output().contains("Cert Status: good"), sClient.output());
            } finally {
                server.stop(Duration.ofSeconds(1));
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
