package io.stapled.proxy.http2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.netty.handler.codec.http2.Http2Error;
import io.stapled.config.ConfigLoader;
import io.stapled.server.StapledServer;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;

/**
 * Graceful shutdown of HTTP/2 connections: GOAWAY(NO_ERROR) with the last stream id the client opened,
 * the open stream answered in full, then the close; a stream still open after the grace period is cut.
 */
@Timeout(60)
class Http2DrainTest {
    @TempDir
    Path dir;

    private H2TestBackend backend;
    private StapledServer server;

    @BeforeEach
    void setUp() {
        backend = new H2TestBackend();
        IssuedCertificate root = CertificateBuilder.subject("CN=root").ca().build();
        CertificateBuilder.subject("CN=a.test").issuer(root).dnsNames("a.test").build()
                .writeBundle(dir.resolve("certs/a.pem"));
        server = StapledServer.start(ConfigLoader.parse("""
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
                """.formatted(backend.port()), dir.resolve("stapled.yaml")));
    }

    @AfterEach
    void tearDown() {
        server.stop(Duration.ZERO);
        backend.close();
    }

    private int port() {
        return server.frontend("https").address().getPort();
    }

    @Test
    void drainSendsGoAwayWithTheLastStreamAndLetsItFinish() throws Exception {
        try (H2FrameClient c = H2FrameClient.connect(port(), "a.test")) {
            c.headers(1, H2FrameClient.get("/ok"), true);
            assertEquals("200", c.awaitHeaders(1).status());
            c.awaitBody(1);
            c.headers(3, H2FrameClient.get("/stall"), true);
            assertTrue(backend.awaitStalled(), "the request reached the backend");

            long start = System.nanoTime();
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> server.stop(Duration.ofSeconds(10)));
            H2FrameClient.Frame goAway = c.awaitGoAway();
            assertEquals(Http2Error.NO_ERROR.code(), goAway.errorCode());
            assertEquals(3, goAway.lastStreamId(), "the last stream the client opened");
            assertTrue(c.isOpen(), "the open stream keeps its connection");
            assertFalse(stopping.isDone());

            backend.release();
            assertEquals("200", c.awaitHeaders(3).status());
            assertTrue(c.awaitBody(3).contains("path=/stall"));
            assertTrue(c.awaitClosed(Duration.ofSeconds(10)), "closed once its last stream is done");
            stopping.get(10, TimeUnit.SECONDS);
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(tookMillis < 8000, "stop waits for the stream, not the whole grace period: " + tookMillis);
        }
        assertEquals(1, backend.received().stream().filter(r -> r.path().equals("/stall")).count());
    }

    @Test
    void aStreamStillOpenAfterTheGracePeriodIsCut() throws Exception {
        try (H2FrameClient c = H2FrameClient.connect(port(), "a.test")) {
            c.headers(1, H2FrameClient.get("/stall"), true);
            assertTrue(backend.awaitStalled());
            long start = System.nanoTime();
            server.stop(Duration.ofSeconds(1));
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(Http2Error.NO_ERROR.code(), c.awaitGoAway().errorCode());
            assertTrue(c.awaitClosed(Duration.ofSeconds(5)), "cut at the end of the grace period");
            assertTrue(tookMillis < 5000, "stop took " + tookMillis + " ms");
        }
    }

    @Test
    void idleConnectionIsClosedAtOnceOnDrain() throws Exception {
        try (H2FrameClient c = H2FrameClient.connect(port(), "a.test")) {
            c.headers(1, H2FrameClient.get("/ok"), true);
            assertEquals("200", c.awaitHeaders(1).status());
            c.awaitBody(1);
            long start = System.nanoTime();
            server.stop(Duration.ofSeconds(10));
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(tookMillis < 5000, "an idle connection does not wait for the grace period: " + tookMillis);
            H2FrameClient.Frame goAway = c.awaitGoAway();
            assertEquals(1, goAway.lastStreamId());
            assertTrue(c.awaitClosed(Duration.ofSeconds(5)));
        }
    }
}
