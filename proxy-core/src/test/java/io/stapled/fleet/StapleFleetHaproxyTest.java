package io.stapled.fleet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.config.ConfigLoader;
import io.stapled.ocsp.ManagedCertificate;
import io.stapled.ocsp.Staple;
import io.stapled.server.StapleService;
import io.stapled.server.StapledServer;
import io.stapled.testing.ExternalTool;
import io.stapled.testing.HaproxyProcess;
import io.stapled.testing.OpenSslOcspResponder;
import io.stapled.testing.RedisProcess;
import io.stapled.testkit.Poll;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.responder.OcspResponderServer;

/**
 * {@code stapled staple} in a fleet: two staple instances, each keeping its own real HAProxy 2.6 stapled
 * from its own copy of the same certificate directory, joined only by a real Redis. The in-process
 * responder counts requests; what the tests look at is the count, the {@code .ocsp} files, and what
 * {@code openssl s_client -status} gets from each HAProxy.
 */
class StapleFleetHaproxyTest {
    private static final DateTimeFormatter OPENSSL_TIME = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss yyyy zzz",
            Locale.US);
    private static final Pattern THIS_UPDATE = Pattern.compile("This Update: (.+)");
    private static final List<String> NODES = List.of("a", "b");

    @TempDir
    Path dir;

    private final IssuedCertificate root = CertificateBuilder.subject("CN=staple fleet root").ca().build();
    private final IssuedCertificate ca = CertificateBuilder.subject("CN=staple fleet intermediate").issuer(root).ca()
            .build();
    private final HttpClient http = HttpClient.newHttpClient();

    /** One HAProxy node: its certificate directory (the same leaf as every other node's), its HAProxy. */
    private final class Node implements AutoCloseable {
        final String name;
        final Path certs;
        final Path ocspFile;
        final int port;
        final HaproxyProcess haproxy;
        StapleService staple;
        volatile String lastOutput = "";

        Node(String name, IssuedCertificate leaf) throws Exception {
            this.name = name;
            this.certs = dir.resolve(name).resolve("certs");
            leaf.writeBundle(certs.resolve("site.pem"));
            this.ocspFile = certs.resolve("site.pem.ocsp");
            // HAProxy 2.6 takes pushed staples only for certificates it loaded with a .ocsp file (docs/STAPLE.md)
            Files.write(ocspFile, new byte[0]);
            this.port = OpenSslOcspResponder.freePort();
            this.haproxy = HaproxyProcess.start(Files.createDirectories(dir.resolve(name).resolve("haproxy")), """
                    global
                      stats socket ${socket} level admin
                    defaults
                      mode http
                      timeout client 5s
                      timeout connect 5s
                      timeout server 5s
                    frontend https
                      bind 127.0.0.1:%d ssl crt %s
                      http-request return status 200
                    """.formatted(port, certs));
        }

        /**
         * Starts {@code stapled staple --config} for this node, from the file form with a {@code fleet:} section.
         * Refreshed every 6 s by {@code max_refresh}: HAProxy staples nothing within 5 minutes of its nextUpdate
         * (its OCSP_MAX_RESPONSE_TIME_SKEW), so a short validity cannot make the refreshes come quickly here.
         */
        StapleService start(RedisProcess redis) throws IOException {
            Path file = TestPki.write(dir.resolve(name).resolve("staple.yaml"), """
                    staple:
                      certificates: [ { dir: %s } ]
                      haproxy_socket: %s
                      on_change: sh -c 'echo "$STAPLED_OCSP_FILE" >> %s'
                      rescan: 0s
                    ocsp: { min_refresh: 1s, max_refresh: 6s, startup_wait: 5s }
                    admin_http: { bind: 127.0.0.1:0 }
                    fleet:
                      redis: %s
                      node_name: %s
                      lease: 2s
                    """.formatted(certs, haproxy.socket(), hookLog(), redis.url(), name));
            staple = StapleService.start(ConfigLoader.loadStaple(file));
            return staple;
        }

        Path hookLog() {
            return dir.resolve(name).resolve("hook.log");
        }

        Staple held() {
            return managed().staple();
        }

        ManagedCertificate managed() {
            return staple.ocsp().certificates().iterator().next();
        }

        String sClient() throws IOException, InterruptedException {
            ExternalTool.Result r = ExternalTool.run(20, List.of("openssl", "s_client", "-connect",
                    "127.0.0.1:" + port, "-servername", "site.test", "-status"));
            assertTrue(r.output().contains("CONNECTED"), r.output());
            return r.output();
        }

        /** HAProxy staples {@code staple} now: Cert Status good, and its thisUpdate. */
        boolean serves(Staple s) {
            try {
                String out = sClient();
                lastOutput = out + "\nheld: " + s.thisUpdate();
                return out.contains("Cert Status: good")
                        && thisUpdate(out).equals(s.thisUpdate().truncatedTo(ChronoUnit.SECONDS));
            } catch (IOException | InterruptedException | AssertionError e) {
                return false;
            }
        }

        @Override
        public void close() {
            if (staple != null) {
                staple.close();
            }
            haproxy.close();
        }
    }

    @Test
    void twoStapleInstancesForTwoHaproxysMakeOneResponderRequestPerRefresh() throws Exception {
        try (RedisProcess redis = RedisProcess.start(dir);
             OcspResponderServer responder = OcspResponderServer.builder(ca)
                     .validity(Duration.ofSeconds(-1), Duration.ofHours(1)).start()) {
            IssuedCertificate leaf = CertificateBuilder.subject("CN=site.test").issuer(ca).dnsNames("site.test")
                    .ocspUrl(responder.url()).build();
            try (Node a = new Node("a", leaf); Node b = new Node("b", leaf)) {
                List<Node> nodes = List.of(a, b);
                long pidA = a.haproxy.pid();
                long pidB = b.haproxy.pid();
                a.start(redis);
                b.start(redis);
                assertEquals(1, responder.requestCount(), "b must take a's staple from Redis");
                assertEquals(Staple.Origin.FETCHED, a.held().origin());
                assertEquals(Staple.Origin.FLEET, b.held().origin());
                assertStapledEverywhere(nodes, a.held());

                for (int refresh = 2; refresh <= 3; refresh++) {
                    Instant before = a.held().thisUpdate();
                    Poll.until(Duration.ofSeconds(20), "refresh " + refresh + " on both instances",
                            () -> nodes.stream().allMatch(n -> n.held().thisUpdate().isAfter(before)));
                    assertEquals(refresh, responder.requestCount(), "one responder request for refresh " + refresh);
                    assertArrayEquals(a.held().der(), b.held().der());
                    assertStapledEverywhere(nodes, a.held());
                }
                assertEquals(pidA, a.haproxy.pid(), "no reload");
                assertEquals(pidB, b.haproxy.pid(), "no reload");
                // the hook runs for a staple from the fleet as for a fetched one: the file changed either way
                for (Node n : nodes) {
                    Poll.until(Duration.ofSeconds(10), n.name + "'s on-change ran for each of the three staples",
                            () -> readOrEmpty(n.hookLog()).lines().filter(l -> l.equals(n.ocspFile.toString())).count() >= 3);
                }
                String metrics = get(b.staple, "/metrics").body();
                assertTrue(metrics.contains("stapled_fleet_store_up 1.0"), metrics);
                assertTrue(metrics.contains("stapled_fleet_received_total "), metrics);
            }
        }
    }

    @Test
    void redisDownEachInstanceFetchesItsOwnAndKeepsItsHaproxyStapled() throws Exception {
        try (RedisProcess redis = RedisProcess.start(dir);
             OcspResponderServer responder = OcspResponderServer.builder(ca)
                     .validity(Duration.ofSeconds(-1), Duration.ofHours(1)).start()) {
            IssuedCertificate leaf = CertificateBuilder.subject("CN=site.test").issuer(ca).dnsNames("site.test")
                    .ocspUrl(responder.url()).build();
            try (Node a = new Node("a", leaf); Node b = new Node("b", leaf)) {
                List<Node> nodes = List.of(a, b);
                a.start(redis);
                b.start(redis);
                assertEquals(1, responder.requestCount());

                redis.stop();
                Poll.until(Duration.ofSeconds(10), "both notice Redis is away",
                        () -> nodes.stream().allMatch(n -> !n.staple.fleet().status().connected()
                                && n.staple.fleet().status().fallbacks() == 1));
                Instant before = nodes.stream().map(n -> n.held().thisUpdate()).max(Instant::compareTo).orElseThrow();
                long ownBeforeA = a.staple.fleet().status().fetchesOwn();
                long ownBeforeB = b.staple.fleet().status().fetchesOwn();
                Poll.until(Duration.ofSeconds(20), "both refresh on their own",
                        () -> nodes.stream().allMatch(n -> n.held().thisUpdate().isAfter(before)));
                assertTrue(a.staple.fleet().status().fetchesOwn() > ownBeforeA, "a fetched itself");
                assertTrue(b.staple.fleet().status().fetchesOwn() > ownBeforeB, "b fetched itself");
                assertTrue(responder.requestCount() >= 3, "one request each: " + responder.requestCount());
                for (Node n : nodes) {
                    assertEquals(Staple.Origin.FETCHED, n.held().origin(), n.name);
                    Staple held = n.held();
                    Poll.until(Duration.ofSeconds(10), n.name + "'s HAProxy staples its own fetch", () -> n.serves(n.held()));
                    assertTrue(Files.size(n.ocspFile) > 0);
                    HttpResponse<String> ready = get(n.staple, "/readyz");
                    assertEquals(200, ready.statusCode(), "Redis away is no readiness failure: " + ready.body());
                    assertTrue(ready.body().contains("fleet: Redis at " + redis.url() + " unreachable since"), ready.body());
                    assertTrue(held.isValidAt(Instant.now()));
                }
                String metrics = get(a.staple, "/metrics").body();
                assertTrue(metrics.contains("stapled_fleet_store_up 0.0"), metrics);
                assertTrue(metrics.contains("stapled_fleet_fallbacks_total 1.0"), metrics);

                redis.restart();
                Poll.until(Duration.ofSeconds(15), "both rejoin",
                        () -> nodes.stream().allMatch(n -> n.staple.fleet().status().connected()
                                && n.staple.fleet().status().rejoins() == 1));
            }
        }
    }

    @Test
    void aStapleInstanceAndAProxyInstanceShareOneFleet() throws Exception {
        try (Fleet fleet = new Fleet(dir, Duration.ofHours(1))) {
            StapledServer proxy = fleet.start("proxy"); // fetches at start-up: the fleet's first staple
            assertEquals(1, fleet.responder.requestCount());
            try (Node a = new Node("haproxy-a", fleet.leaf)) {
                a.start(fleet.redis);
                assertEquals(1, fleet.responder.requestCount(), "the staple instance takes the proxy's staple");
                assertEquals(Staple.Origin.FLEET, a.held().origin());
                assertArrayEquals(fleet.held("proxy").der(), a.held().der());
                assertStapledEverywhere(List.of(a), a.held());

                // the staple instance's own refresh (max_refresh) feeds the proxy ...
                Instant before = a.held().thisUpdate();
                Poll.until(Duration.ofSeconds(20), "the staple instance's refresh reaches the proxy",
                        () -> a.held().thisUpdate().isAfter(before) && fleet.held("proxy").thisUpdate().isAfter(before));
                assertEquals(2, fleet.responder.requestCount());
                assertEquals(Staple.Origin.FETCHED, a.held().origin());
                assertEquals(Staple.Origin.FLEET, fleet.held("proxy").origin());
                assertArrayEquals(a.held().der(), fleet.handshakeStaple("proxy"), "the proxy staples it");

                // ... and the proxy's fetch (update ssl ocsp-response) feeds HAProxy
                Instant second = a.held().thisUpdate();
                // a response of the next second: thisUpdate is what makes a staple newer
                Poll.until(Duration.ofSeconds(5), "2.5 s on", () -> Instant.now().isAfter(second.plusMillis(2500)));
                String id = proxy.ocsp().certificates().iterator().next().id();
                assertEquals(io.stapled.ocsp.RefreshOutcome.Result.UPDATED, proxy.ocsp().refreshNow(id).get().result());
                Poll.until(Duration.ofSeconds(10), "the proxy's staple reaches the staple instance",
                        () -> a.held().thisUpdate().isAfter(second));
                assertEquals(3, fleet.responder.requestCount());
                assertEquals(Staple.Origin.FLEET, a.held().origin());
                assertStapledEverywhere(List.of(a), fleet.held("proxy"));
            }
        }
    }

    /** Both instances hold {@code staple}, wrote it to their {@code .ocsp} files and pushed it to their HAProxy. */
    private static void assertStapledEverywhere(List<Node> nodes, Staple staple) throws Exception {
        for (Node n : nodes) {
            assertArrayEquals(staple.der(), n.held().der(), n.name + " holds another staple");
            Poll.until(Duration.ofSeconds(10), n.name + "'s .ocsp file holds the staple",
                    () -> java.util.Arrays.equals(staple.der(), readBytes(n.ocspFile)));
            try {
                Poll.until(Duration.ofSeconds(10), n.name + "'s HAProxy staples it", () -> n.serves(staple));
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; last s_client: " + n.lastOutput, e);
            }
            String out = n.sClient();
            assertTrue(out.contains("Cert Status: good"), out);
        }
    }

    private HttpResponse<String> get(StapleService staple, String path) throws IOException, InterruptedException {
        URI uri = URI.create("http://127.0.0.1:" + staple.admin().localAddress().getPort() + path);
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static Instant thisUpdate(String sClientOutput) {
        Matcher m = THIS_UPDATE.matcher(sClientOutput);
        assertTrue(m.find(), sClientOutput);
        return ZonedDateTime.parse(m.group(1).strip(), OPENSSL_TIME).toInstant();
    }

    private static byte[] readBytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private static String readOrEmpty(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
