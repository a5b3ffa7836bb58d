package io.stapled.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpServer;

import io.stapled.config.ConfigLoader;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.proxy.conn.ConnectionLimiter;
import io.stapled.server.RunningFrontend;
import io.stapled.server.StapledServer;
import io.stapled.testkit.TlsTestClient;
import io.stapled.testkit.Poll;

/**
 * The {@code max_connections} lock-out: one address opening connections and never sending a
 * ClientHello must not keep other clients out, and a client over the cap waits for a free slot
 * instead of being closed.
 */
@Timeout(90)
class ConnectionFloodTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private HttpServer backend;
    private StapledServer server;
    private IssuedCertificate root;
    private final TlsTestClient client = new TlsTestClient();
    private final List<Socket> flood = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        backend.setExecutor(Executors.newCachedThreadPool());
        backend.createContext("/", exchange -> {
            byte[] body = "hello\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        backend.start();
        root = CertificateBuilder.subject("CN=root").ca().build();
        CertificateBuilder.subject("CN=a.test").issuer(root).dnsNames("a.test").build()
                .writeBundle(dir.resolve("certs/a.pem"));
    }

    private RunningFrontend start(int maxConnections, int maxHandshakesPerSource) {
        server = StapledServer.start(ConfigLoader.parse("""
                frontends:
                  - name: https
                    bind: 127.0.0.1:0
                    backend: app
                    max_connections: %d
                    max_handshakes_per_source: %d
                    certificates:
                      - dir: certs/
                backends:
                  - name: app
                    servers:
                      - { name: a, address: 127.0.0.1:%d }
                """.formatted(maxConnections, maxHandshakesPerSource, backend.getAddress().getPort()),
                dir.resolve("stapled.yaml")));
        return server.frontend("https");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Socket s : flood) {
            s.close();
        }
        if (server != null) {
            server.stop(Duration.ZERO);
        }
        backend.stop(0);
        client.close();
    }

    @Test
    void aFloodFromOneAddressDoesNotLockOutAnother() throws Exception {
        RunningFrontend fe = start(100, 16);
        ConnectionLimiter limiter = fe.limiter();
        int port = fe.address().getPort();
        // TCP connects that never send a ClientHello, each held until the handshake timeout (10 s):
        // without the per-source limit the first 100 fill max_connections and the rest, and every
        // other client, wait in the backlog.
        for (int i = 0; i < 400; i++) {
            Socket s = new Socket();
            s.bind(new InetSocketAddress("127.0.0.2", 0));
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            flood.add(s);
        }
        Poll.until(WAIT, "the flood was accepted and all but 16 closed (rejected " + limiter.rejected() + ")",
                () -> limiter.rejected() == 400 - 16);
        assertEquals(16, limiter.handshakes().inHandshake(InetAddress.getByName("127.0.0.2")));
        assertFalse(limiter.paused(), "the flood does not reach max_connections");

        for (int i = 0; i < 20; i++) {
            long start = System.nanoTime();
            try (TlsTestClient.Connection c = client.open(port, "a.test", false, root.certificate())) {
                TlsTestClient.Response r = c.get("/from-127.0.0.1");
                assertEquals(200, r.status());
                assertEquals("hello\n", r.body());
                assertEquals(0, limiter.handshakes().inHandshake(InetAddress.getByName("127.0.0.1")),
                        "a finished handshake no longer counts against its address");
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ms < 3000, "served promptly during the flood: " + ms + " ms");
        }
        assertEquals(16, limiter.handshakes().inHandshake(InetAddress.getByName("127.0.0.2")),
                "the held flood connections are still there");
        for (Socket s : flood) {
            s.close();
        }
        Poll.until(WAIT, "every connection gone", () -> limiter.active() == 0);
        // the per-address entry goes in the handshake limiter's own close handling, which may run
        // after the connection count dropped: wait for it rather than race it
        Poll.until(WAIT, "no per-address entry left behind", () -> limiter.handshakes().sources() == 0);
    }

    @Test
    void overMaxConnectionsAClientWaitsAndIsServedWhenASlotFrees() throws Exception {
        RunningFrontend fe = start(2, 16);
        ConnectionLimiter limiter = fe.limiter();
        int port = fe.address().getPort();
        TlsTestClient.Connection first = client.open(port, "a.test", false, root.certificate());
        TlsTestClient.Connection second = client.open(port, "a.test", false, root.certificate());
        assertEquals(200, first.get("/1").status());
        assertEquals(200, second.get("/2").status());
        Poll.until(WAIT, "accepting paused at max_connections", limiter::paused);

        CompletableFuture<TlsTestClient.Response> third = CompletableFuture.supplyAsync(() -> {
            try (TlsTestClient.Connection c = client.open(port, "a.test", false, root.certificate())) {
                return c.get("/3");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(1000);
        assertFalse(third.isDone(), "the third client waits in the listen backlog, neither served nor closed");
        assertEquals(0, limiter.rejected());
        assertEquals(2, fe.connections().total());

        first.close();
        TlsTestClient.Response r = third.get(10, TimeUnit.SECONDS);
        assertEquals(200, r.status(), "served once a slot is free");
        assertEquals(200, second.get("/2-again").status());
        second.close();
        Poll.until(WAIT, "every connection gone", () -> limiter.active() == 0 && !limiter.paused());
        assertEquals(0, limiter.rejected());
    }
}
