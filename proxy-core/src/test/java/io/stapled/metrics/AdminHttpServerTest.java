package io.stapled.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.stapled.config.AdminHttpConfig;
import io.stapled.config.CertificateSource;
import io.stapled.config.FrontendConfig;
import io.stapled.config.GlobalConfig;
import io.stapled.config.HostPort;
import io.stapled.config.HttpConfig;
import io.stapled.config.TlsConfig;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.MutableClock;
import io.stapled.testkit.TestPki;
import io.stapled.tls.TlsFrontend;
import io.stapled.tls.TlsFrontendFactory;
import io.stapled.testing.EventLoopGroupExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(20)
class AdminHttpServerTest {
    @RegisterExtension
    static final EventLoopGroupExtension loops = new EventLoopGroupExtension(1);
    private StapledMetrics metrics;
    private AdminHttpServer admin;
    private AdminClient client;
    @TempDir
    Path dir;

    @BeforeEach
    void start() {
        metrics = new StapledMetrics(Clock.systemUTC());
        admin = metrics.startAdmin(config(0), loops.group(), NioServerSocketChannel.class);
        client = new AdminClient(admin.localAddress());
    }

    @AfterEach
    void stop() {
        admin.close();
        metrics.close();
    }

    static AdminHttpConfig config(int port) {
        return new AdminHttpConfig(new HostPort("127.0.0.1", port), true, Duration.ofMinutes(10));
    }

    @Test
    void healthzIsOkWhileTheProcessRuns() {
        HttpResponse<String> r = client.get("/healthz");
        assertEquals(200, r.statusCode());
        assertEquals("ok\n", r.body());
    }

    @Test
    void readyzWaitsForTheListenersAndForEveryCheck() {
        HttpResponse<String> before = client.get("/readyz");
        assertEquals(503, before.statusCode());
        assertEquals("listeners are not open\n", before.body());

        metrics.readiness().listenersOpen(true);
        HttpResponse<String> open = client.get("/readyz");
        assertEquals(200, open.statusCode(), open.body());

        AtomicReference<String> problem = new AtomicReference<>();
        metrics.readiness().addCheck((now, problems) -> {
            String p = problem.get();
            if (p != null) {
                problems.add(p);
            }
        });
        assertEquals(200, client.get("/readyz").statusCode());
        problem.set("first\nsecond line of the same problem");
        metrics.readiness().addCheck((now, problems) -> problems.add("another problem"));
        HttpResponse<String> failing = client.get("/readyz");
        assertEquals(503, failing.statusCode());
        assertEquals("first second line of the same problem\nanother problem\n", failing.body(),
                "one line per problem");

        metrics.readiness().listenersOpen(false);
        assertTrue(client.get("/readyz").body().startsWith("listeners are not open\n"));
    }

    @Test
    void readyzListsExpiredAndExpiringCertificatesAndStaysReadyWhileOneIsGood() throws Exception {
        Instant now = Instant.now();
        IssuedCertificate expired = leaf("expired.test", now.minus(Duration.ofDays(90)), now.minus(Duration.ofDays(2)));
        IssuedCertificate soon = leaf("soon.test", now.minus(Duration.ofDays(80)), now.plus(Duration.ofDays(5)));
        IssuedCertificate good = leaf("good.test", now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(60)));
        Path mixed = Files.createDirectories(dir.resolve("mixed"));
        Path expiredFile = expired.writeBundle(mixed.resolve("a-expired.pem"));
        Path soonFile = soon.writeBundle(mixed.resolve("b-soon.pem"));
        good.writeBundle(mixed.resolve("c-good.pem"));
        Path onlyExpired = Files.createDirectories(dir.resolve("old"));
        Path oldFile = expired.writeBundle(onlyExpired.resolve("old.pem"));
        try (TlsFrontend web = frontend("web", mixed); TlsFrontend legacy = frontend("legacy", onlyExpired)) {
            metrics.bindCertificates(List.of(web), null);
            metrics.readiness().listenersOpen(true);
            HttpResponse<String> r = client.get("/readyz");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("ready\n"
                    + "certificate " + expiredFile + " expired at " + expired.certificate().getNotAfter().toInstant() + "\n"
                    + "certificate " + soonFile + " expires at " + soon.certificate().getNotAfter().toInstant()
                    + " (in 4d 23h)\n", r.body());

            // a second metrics/readiness over a frontend whose only certificate has expired
            try (StapledMetrics other = new StapledMetrics(Clock.systemUTC())) {
                other.bindCertificates(List.of(legacy), null);
                other.readiness().listenersOpen(true);
                assertEquals(List.of("every certificate served has expired (1)"), other.readiness().problems());
                assertEquals(List.of("certificate " + oldFile + " expired at "
                        + expired.certificate().getNotAfter().toInstant()), other.readiness().details());
            }
        }
    }

    @Test
    void readyzShowsDetailsUnderTheProblemsWhenNotReady() throws Exception {
        Instant now = Instant.now();
        IssuedCertificate expired = leaf("gone.test", now.minus(Duration.ofDays(90)), now.minus(Duration.ofDays(2)));
        Path d = Files.createDirectories(dir.resolve("gone"));
        Path file = expired.writeBundle(d.resolve("gone.pem"));
        try (TlsFrontend web = frontend("web", d)) {
            metrics.bindCertificates(List.of(web), null);
            metrics.readiness().listenersOpen(true);
            HttpResponse<String> r = client.get("/readyz");
            assertEquals(503, r.statusCode(), r.body());
            assertEquals("every certificate served has expired (1)\ncertificate " + file + " expired at "
                    + expired.certificate().getNotAfter().toInstant() + "\n", r.body());
        }
    }

    @Test
    void readyMinCertificateValidityFailsReadinessBeforeAServedCertificateExpires() throws Exception {
        Instant start = Instant.now();
        IssuedCertificate soon = leaf("soon.test", start.minus(Duration.ofDays(80)), start.plus(Duration.ofDays(5)));
        IssuedCertificate good = leaf("good.test", start.minus(Duration.ofDays(1)), start.plus(Duration.ofDays(60)));
        Path d = Files.createDirectories(dir.resolve("renewing"));
        Path soonFile = soon.writeBundle(d.resolve("a-soon.pem"));
        good.writeBundle(d.resolve("b-good.pem"));
        MutableClock clock = new MutableClock(start);
        AdminHttpConfig admin = new AdminHttpConfig(new HostPort("127.0.0.1", 0), true, null).withReadyMinCertificateValidity(Duration.ofDays(3));
        try (TlsFrontend web = frontend("web", d); StapledMetrics m = new StapledMetrics(clock)) {
            m.bindCertificates(List.of(web), admin);
            m.readiness().listenersOpen(true);
            assertEquals(List.of(), m.readiness().problems(), "5 days left, 3 required");

            clock.advance(Duration.ofDays(2).plusHours(1)); // 2d 23h left
            Instant notAfter = soon.certificate().getNotAfter().toInstant();
            assertEquals(List.of("certificate " + soonFile + " of frontend web expires at " + notAfter + " (in "
                    + Duration.between(clock.instant(), notAfter).toSeconds()
                    + "s), less than ready_min_certificate_validity 259200s"), m.readiness().problems());

            clock.set(notAfter.plusSeconds(1));
            assertEquals(List.of("certificate " + soonFile + " of frontend web expired at " + notAfter
                    + ", less than ready_min_certificate_validity 259200s"), m.readiness().problems());
        }
        try (TlsFrontend web = frontend("web", d); StapledMetrics m = new StapledMetrics(clock)) {
            m.bindCertificates(List.of(web), null);
            m.readiness().listenersOpen(true);
            assertEquals(List.of(), m.readiness().problems(), "without the key one good certificate keeps it ready");
        }
    }

    @Test
    void notAfterIsAGaugePerFrontendAndServedCertificate() throws Exception {
        Instant now = Instant.now();
        IssuedCertificate soon = leaf("soon.test", now.minus(Duration.ofDays(80)), now.plus(Duration.ofDays(5)));
        IssuedCertificate good = leaf("good.test", now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(60)));
        Path d = Files.createDirectories(dir.resolve("gauged"));
        Path soonFile = soon.writeBundle(d.resolve("a-soon.pem"));
        Path goodFile = good.writeBundle(d.resolve("b-good.pem"));
        Path other = Files.createDirectories(dir.resolve("other"));
        Path otherFile = good.writeBundle(other.resolve("good.pem"));
        try (TlsFrontend web = frontend("web", d); TlsFrontend api = frontend("api", other)) {
            metrics.bindCertificates(List.of(web, api), null);
            PrometheusText text = client.scrape();
            assertEquals("gauge", text.family("stapled_certificate_not_after_seconds").type());
            assertEquals(soon.certificate().getNotAfter().getTime() / 1000.0, text.value(
                    "stapled_certificate_not_after_seconds", "frontend", "web", "certificate", soonFile.toString()));
            assertEquals(good.certificate().getNotAfter().getTime() / 1000.0, text.value(
                    "stapled_certificate_not_after_seconds", "frontend", "web", "certificate", goodFile.toString()));
            assertEquals(good.certificate().getNotAfter().getTime() / 1000.0, text.value(
                    "stapled_certificate_not_after_seconds", "frontend", "api", "certificate", otherFile.toString()));
            assertEquals(3, text.find("stapled_certificate_not_after_seconds").size());
        }
    }

    private static IssuedCertificate leaf(String name, Instant notBefore, Instant notAfter) {
        return CertificateBuilder.subject("CN=" + name).issuer(TestPki.INTERMEDIATE).dnsNames(name)
                .validity(notBefore, notAfter).build();
    }

    private static TlsFrontend frontend(String name, Path certificates) {
        TlsConfig tls = new TlsConfig(List.of("TLSv1.2", "TLSv1.3"), null, null, List.of("http/1.1"), false,
                Duration.ofHours(1), 0, Duration.ofMinutes(5), Duration.ofSeconds(5));
        return TlsFrontendFactory.create(new FrontendConfig(name, new HostPort("127.0.0.1", 0),
                FrontendConfig.Mode.HTTP, "app", List.of(new CertificateSource.Directory(certificates,
                CertificateSource.OcspOptions.DEFAULT)), null, tls, HttpConfig.defaults(), 100,
                Duration.ofSeconds(30), false), GlobalConfig.defaults());
    }

    @Test
    void aCheckThatThrowsMakesTheProxyNotReadyWithItsReason() {
        metrics.readiness().listenersOpen(true);
        metrics.readiness().addCheck((now, problems) -> {
            throw new IllegalStateException("boom");
        });
        HttpResponse<String> r = client.get("/readyz");
        assertEquals(503, r.statusCode());
        assertEquals("readiness check failed: java.lang.IllegalStateException: boom\n", r.body());
    }

    @Test
    void metricsIsPrometheusTextWithJvmAndNettyAllocatorMeters() {
        HttpResponse<String> r = client.get("/metrics");
        assertEquals(200, r.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().firstValue("content-type").orElseThrow());
        PrometheusText text = PrometheusText.parse(r.body());
        assertEquals("gauge", text.family("jvm_memory_used_bytes").type());
        assertTrue(text.value("jvm_memory_used_bytes", "area", "heap", "id", text.find("jvm_memory_used_bytes",
                "area", "heap").get(0).labels().get("id")) > 0);
        assertTrue(text.value("process_uptime_seconds") > 0);
        assertTrue(text.find("jvm_threads_live_threads").get(0).value() >= 1);
        assertEquals("gauge", text.family("system_cpu_count").type());
        assertFalse(text.find("netty_allocator_memory_used").isEmpty(), "Netty allocator memory is exported");
        assertEquals(1, text.find("netty_allocator_memory_used", "memory.type", "direct").size()
                + text.find("netty_allocator_memory_used", "memory_type", "direct").size());
    }

    @Test
    void eventLoopQueuesAreExportedPerLoop() {
        metrics.bindEventLoops("workers", loops.group());
        PrometheusText text = client.scrape();
        assertEquals(1, text.value("netty_eventexecutor_workers", "group", "workers"));
        assertEquals(1, text.find("netty_eventexecutor_tasks_pending", "group", "workers").size());
        assertTrue(text.find("netty_eventexecutor_tasks_pending", "group", "workers").get(0).labels()
                .containsKey("name"), "one series per event loop thread");
    }

    @Test
    void otherPathsAre404AndOtherMethods405() {
        assertEquals(404, client.get("/").statusCode());
        assertEquals(404, client.get("/metricsx").statusCode());
        assertEquals(404, client.get("/admin/metrics").statusCode());
        HttpResponse<String> post = client.send("POST", "/metrics");
        assertEquals(405, post.statusCode());
        assertEquals("GET", post.headers().firstValue("allow").orElseThrow());
        assertEquals(405, client.send("DELETE", "/readyz").statusCode());
        assertEquals(405, client.send("PUT", "/healthz").statusCode());
        assertEquals(200, client.get("/healthz?verbose=1").statusCode(), "a query string does not change the path");
    }

    @Test
    void keepAliveServesSeveralRequestsOnOneConnectionAndHttp10Closes() throws IOException {
        try (Socket s = new Socket()) {
            s.connect(admin.localAddress(), 5_000);
            s.setSoTimeout(5_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /healthz HTTP/1.0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String all = new String(readToEnd(s.getInputStream()), StandardCharsets.US_ASCII);
            assertEquals(3, all.split("HTTP/1.1 ", -1).length - 1, all);
            assertTrue(all.startsWith("HTTP/1.1 200 OK\r\n"), all);
            assertTrue(all.contains("HTTP/1.1 404 Not Found\r\n"), all);
            assertTrue(all.endsWith("ok\n"), "closed after the HTTP/1.0 answer: " + all);
        }
    }

    @Test
    void aSecondListenerOnTheSamePortFailsWithTheAddressInTheMessage() {
        int port = admin.localAddress().getPort();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> metrics.startAdmin(config(port), loops.group(), NioServerSocketChannel.class));
        assertTrue(e.getMessage().startsWith("admin HTTP listener: cannot bind 127.0.0.1:" + port + ": "), e.getMessage());
    }

    @Test
    void closeStopsListeningAndClosesOpenConnections() throws IOException {
        // A fresh connect after close() could reach whatever else took the freed port on a busy
        // machine, so check what close() owns: its channel and the connections it accepted.
        try (Socket open = new Socket()) {
            open.connect(admin.localAddress(), 2_000);
            open.setSoTimeout(5_000);
            admin.close();
            assertEquals(-1, open.getInputStream().read(), "an open admin connection is closed");
        }
        assertFalse(admin.isListening());
    }

    private static byte[] readToEnd(InputStream in) throws IOException {
        return in.readAllBytes();
    }
}
