package io.stapled.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.testing.ExternalTool;
import io.stapled.testkit.TlsTestClient;

/** {@code stapled demo} with nothing installed: it serves HTTPS and staples from the first client. */
class DemoTest {
    @TempDir
    Path dir;

    @Test
    void demoServesAndStaplesOnLoopback() throws Exception {
        try (Demo demo = Demo.start(new Demo.Options(dir, 0, 0, 0));
             TlsTestClient client = new TlsTestClient()) {
            int port = demo.server().frontend("https").address().getPort();
            X509Certificate root = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("ca.pem"))));
            try (TlsTestClient.Connection c = client.open(port, "localhost", true, root)) {
                assertNotNull(c.ocspResponse(), "the demo staples from the first handshake");
                TlsTestClient.Response r = c.get("/");
                assertEquals(200, r.status());
                assertTrue(r.body().startsWith("Hello from the stapled demo backend"), r.body());
            }
            assertTrue(demo.instructions().contains("curl --cacert " + dir.resolve("ca.pem") + " --cert-status"),
                    demo.instructions());
            assertTrue(Files.exists(dir.resolve("stapled-admin.sock")), "the demo opens its runtime API socket");

            if (ExternalTool.usable("curl")) {
                ExternalTool.Result curl = ExternalTool.run(20, List.of("curl", "-sS", "--cert-status",
                        "--cacert", dir.resolve("ca.pem").toString(), "https://localhost:" + port + "/"));
                assertEquals(0, curl.exitCode(), curl.output());
                assertTrue(curl.output().contains("x-forwarded-proto: https"), curl.output());
            }
        }
    }
}
