package io.stapled.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.metrics.PrometheusText;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.TlsTestClient;

/** The running server's admin listener: metrics reflect real traffic, health and readiness answer. */
class MetricsEndToEndTest {
    @TempDir
    Path dir;

    @Test
    void metricsCountRealHandshakesStaplesAndRequests() throws Exception {
        try (Deployment d = Deployment.create(dir); TlsTestClient client = new TlsTestClient()) {
            d.extraYaml = "admin_http: { bind: 127.0.0.1:0 }";
            d.start("");
            for (boolean status : new boolean[] {true, true, false}) {
                try (TlsTestClient.Connection c = client.open(d.port(), "a.test", status, d.root.certificate())) {
                    assertEquals(200, c.get("/").status());
                }
            }
            String base = "http://127.0.0.1:" + d.server.admin().localAddress().getPort();
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            assertEquals(200, get(http, base + "/healthz").statusCode());
            assertEquals(200, get(http, base + "/readyz").statusCode(), get(http, base + "/readyz").body());

            PrometheusText m = PrometheusText.parse(get(http, base + "/metrics").body());
            assertEquals(2.0, m.value("stapled_tls_handshakes_total", "frontend", "https", "result", "ok", "stapled", "yes", "tls_version", "TLSv1.3"));
            assertEquals(1.0, m.value("stapled_tls_handshakes_total", "frontend", "https", "result", "ok", "stapled", "not_requested", "tls_version", "TLSv1.3"));
            assertEquals(2.0, m.value("stapled_tls_staples_served_total", "certificate", d.ecdsaFile.toString()));
            assertEquals(1.0, m.value("stapled_ocsp_staple_valid", "certificate", d.rsaFile.toString()));
            double expiresIn = m.value("stapled_ocsp_staple_expires_in_seconds", "certificate", d.ecdsaFile.toString());
            assertTrue(expiresIn > 3000 && expiresIn <= 3600, "responder default validity is one hour: " + expiresIn);
            assertEquals(1.0, m.value("stapled_backend_server_up", "backend", "app", "server", "app1"));
            assertEquals(3.0, m.value("stapled_frontend_connections_total", "frontend", "https"));
        }
    }

    @Test
    void readyzOfTheRunningServerNamesAnExpiringCertificateAndStaysReady() throws Exception {
        try (Deployment d = Deployment.create(dir)) {
            Instant now = Instant.now();
            IssuedCertificate soon = CertificateBuilder.subject("CN=soon.test").issuer(d.intermediate)
                    .dnsNames("soon.test").ocspUrl(d.responder.url())
                    .validity(now.minus(Duration.ofDays(80)), now.plus(Duration.ofDays(3))).build();
            Path soonFile = soon.writeBundle(dir.resolve("certs/soon.pem"));
            d.extraYaml = "admin_http: { bind: 127.0.0.1:0 }";
            d.start("");
            String base = "http://127.0.0.1:" + d.server.admin().localAddress().getPort();
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> r = get(http, base + "/readyz");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("ready\ncertificate " + soonFile + " expires at " + soon.certificate().getNotAfter().toInstant()
                    + " (in 2d 23h)\n", r.body());
        }
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
