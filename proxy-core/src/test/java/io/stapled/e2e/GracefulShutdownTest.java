package io.stapled.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpServer;

import io.stapled.testkit.Poll;
import io.stapled.config.ConfigLoader;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.server.StapledServer;
import io.stapled.testkit.TlsTestClient;

/** SIGTERM's path: stop accepting, let in-flight requests finish within the grace period, then close. */
class GracefulShutdownTest {
    @TempDir
    Path dir;

    private HttpServer backend;
    private final CountDownLatch requestArrived = new CountDownLatch(1);
    private volatile long backendDelayMillis;
    private StapledServer server;
    private IssuedCertificate root;
    private final TlsTestClient client = new TlsTestClient();

    @BeforeEach
    void setUp() throws Exception {
        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        backend.setExecutor(Executors.newCachedThreadPool());
        backend.createContext("/", exchange -> {
            requestArrived.countDown();
            try {
                Thread.sleep(backendDelayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = "slow answer\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        backend.start();
        root = CertificateBuilder.subject("CN=root").ca().build();
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
                """.formatted(backend.getAddress().getPort()), dir.resolve("stapled.yaml")));
    }

    @AfterEach
    void tearDown() {
        server.stop(Duration.ZERO);
        backend.stop(0);
        client.close();
    }

    @Test
    void inFlightRequestFinishesAndNewConnectionsAreRefused() throws Exception {
        backendDelayMillis = 1500;
        int port = server.frontend("https").address().getPort();
        TlsTestClient.Connection c = client.open(port, "a.test", false, root.certificate());
        CompletableFuture<TlsTestClient.Response> inFlight = CompletableFuture.supplyAsync(() -> {
            try {
                return c.get("/slow");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(requestArrived.await(5, TimeUnit.SECONDS), "the request reached the backend");

        long start = System.nanoTime();
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> server.stop(Duration.ofSeconds(10)));
        // The listener closes while the in-flight request is still being answered (the backend takes 1.5 s):
        // polled rather than asserted after a fixed 200 ms, which a loaded machine could outlast.
        Poll.until(Duration.ofSeconds(5), "the listener to close", () -> {
            try {
                new Socket("127.0.0.1", port).close();
                return false;
            } catch (java.io.IOException refused) {
                return true;
            }
        });
        assertThrows(java.io.IOException.class, () -> new Socket("127.0.0.1", port).close(),
                "the listener stays closed");

        TlsTestClient.Response r = inFlight.get(10, TimeUnit.SECONDS);
        assertEquals(200, r.status());
        assertEquals("slow answer\n", r.body());
        stopping.get(10, TimeUnit.SECONDS);
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(tookMillis < 8000, "stop waits for the request, not the whole grace period: " + tookMillis + " ms");
    }

    @Test
    void requestsStillRunningAfterTheGracePeriodAreCut() throws Exception {
        backendDelayMillis = 8000;
        int port = server.frontend("https").address().getPort();
        TlsTestClient.Connection c = client.open(port, "a.test", false, root.certificate());
        CompletableFuture<TlsTestClient.Response> inFlight = CompletableFuture.supplyAsync(() -> {
            try {
                return c.get("/too-slow");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            } catch (AssertionError e) {
                return null;
            }
        });
        assertTrue(requestArrived.await(5, TimeUnit.SECONDS));
        long start = System.nanoTime();
        server.stop(Duration.ofSeconds(1));
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(tookMillis >= 900 && tookMillis < 5000, "stop honours the grace period: " + tookMillis + " ms");
        assertTrue(!c.isOpen() || inFlight.get(10, TimeUnit.SECONDS) == null, "the connection is closed after the grace period");
    }
}
