package io.stapled.fleet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.ocsp.ManagedCertificate;
import io.stapled.ocsp.Staple;
import io.stapled.server.StartupException;
import io.stapled.testkit.Poll;
import io.stapled.testkit.responder.OcspResponderServer.Behaviour;
import redis.clients.jedis.Jedis;

/** Fleet mode's staples, with a real Redis and three real stapled instances in this JVM. */
class FleetStaplesTest {
    private static final List<String> NODES = List.of("a", "b", "c");

    @TempDir
    Path dir;

    @Test
    void threeInstancesMakeOneResponderRequestPerCertificatePerRefresh() throws Exception {
        try (Fleet fleet = new Fleet(dir, Duration.ofSeconds(6))) {
            for (String n : NODES) {
                fleet.start(n);
                // start-up took the staple from the store (or fetched it, for the first): stapled before listening
                assertNotNull(fleet.handshakeStaple(n), n + " opened its listener without a staple");
            }
            assertEquals(1, fleet.responder.requestCount(), "b and c must take a's staple from Redis");
            assertEquals(Staple.Origin.FETCHED, fleet.held("a").origin());
            assertEquals(Staple.Origin.FLEET, fleet.held("b").origin());
            assertEquals(Staple.Origin.FLEET, fleet.held("c").origin());
            assertEquals(2, fleet.status("b").fetchesAvoided() + fleet.status("c").fetchesAvoided());
            assertTrue(fleet.admin("b", "/metrics").body().contains("stapled_fleet_fetches_avoided_total 1.0"));
            Poll.until(Duration.ofSeconds(5), "every member's heartbeat",
                    () -> fleet.cli("a", "show fleet").contains("members: a b c\n"));
            String show = fleet.cli("b", "show fleet");
            assertTrue(show.startsWith("node: b\nredis: " + fleet.redis.url() + " connected since "), show);
            assertTrue(show.contains("\nfetches_avoided: 1\nfetches_own: 0\n"), show);
            assertTrue(show.contains("\nreceived: 1\n"), show);
            assertTrue(show.contains("# certificate lease_holder last_sync\n" + managed(fleet, "b").id() + " - 20"), show);

            for (int refresh = 2; refresh <= 3; refresh++) {
                Instant before = fleet.held("a").thisUpdate();
                Poll.until(Duration.ofSeconds(15), "refresh " + refresh + " on every instance",
                        () -> NODES.stream().allMatch(n -> fleet.held(n).thisUpdate().isAfter(before)));
                assertEquals(refresh, fleet.responder.requestCount(), "one responder request for refresh " + refresh);
                byte[] der = fleet.held("a").der();
                for (String n : NODES) {
                    assertArrayEquals(der, fleet.held(n).der(), n + " holds another staple");
                    assertArrayEquals(der, fleet.handshakeStaple(n), n + " staples another response");
                }
                // every instance installed the refreshed staple within 1 s of the responder's answer
                Instant answered = fleet.responder.requestTimes().get(refresh - 1);
                for (String n : NODES) {
                    List<Instant> times = fleet.installs.get(n);
                    Instant installed = times.get(times.size() - 1);
                    System.out.println("fleet benchmark: refresh " + refresh + ": " + n + " installed the staple "
                            + Duration.between(answered, installed).toMillis() + " ms after the responder's request");
                    assertTrue(Duration.between(answered, installed).compareTo(Duration.ofSeconds(1)) <= 0,
                            n + " installed it " + Duration.between(answered, installed).toMillis() + " ms after the fetch");
                }
            }
        }
    }

    private static String certId(Fleet fleet) {
        return managed(fleet, "a").certIdentity().derHex();
    }

    private static ManagedCertificate managed(Fleet fleet, String node) {
        return fleet.servers.get(node).ocsp().certificates().iterator().next();
    }

    @Test
    void startUpWaitsForTheMemberFetchingRatherThanFetchingAgain() throws Exception {
        try (Fleet fleet = new Fleet(dir, Duration.ofHours(1))) {
            fleet.lease = "10s";
            fleet.responder.defaultBehaviour(Behaviour.TIMEOUT); // a's fetch hangs 4 s, holding the lease
            fleet.start("a", "0s");
            Poll.until(Duration.ofSeconds(5), "a's request", () -> fleet.responder.requestCount() == 1);
            fleet.start("b", "10s");
            // b's start-up returned once a published: stapled before its listener opened, no request of its own
            assertEquals(Staple.Origin.FLEET, fleet.held("b").origin());
            assertNotNull(fleet.handshakeStaple("b"));
            assertEquals(1, fleet.responder.requestCount());
        }
    }

    @Test
    void leaseHolderStoppedMidRefreshIsReplacedWithinTheLease() throws Exception {
        try (Fleet fleet = new Fleet(dir, Duration.ofSeconds(6))) {
            for (String n : NODES) {
                fleet.start(n);
            }
            Instant before = fleet.held("a").thisUpdate();
            fleet.responder.defaultBehaviour(Behaviour.TIMEOUT); // the refresh's request hangs
            Poll.until(Duration.ofSeconds(15), "the refresh's responder request", () -> fleet.responder.requestCount() == 2);
            String holder;
            try (Jedis redis = fleet.redis.client()) {
                String lease = redis.get("stapled:lease:" + certId(fleet));
                assertNotNull(lease, "the fetching member holds no lease");
                holder = lease.substring(0, lease.indexOf(' '));
            }
            String other = NODES.stream().filter(n -> !n.equals(holder)).findFirst().orElseThrow();
            assertTrue(fleet.cli(other, "show fleet").contains(managed(fleet, other).id() + " " + holder + " "),
                    "show fleet names the lease holder");
            fleet.responder.defaultBehaviour(Behaviour.GOOD);
            fleet.stop(holder);
            Instant stopped = Instant.now();
            List<String> others = NODES.stream().filter(n -> !n.equals(holder)).toList();
            Poll.until(Duration.ofSeconds(10), "the others' refreshed staple",
                    () -> others.stream().allMatch(n -> fleet.held(n).thisUpdate().isAfter(before)));
            Duration took = Duration.between(stopped, Instant.now());
            // the lease (2 s) lapses, then the next retry (every 0.5 s, on a 1 s tick) takes it over
            assertTrue(took.compareTo(Duration.ofMillis(2000 + 1500)) <= 0, "took over after " + took.toMillis() + " ms");
            assertEquals(3, fleet.responder.requestCount(), "one hung request, then one by the member taking over");
            assertArrayEquals(fleet.held(others.get(0)).der(), fleet.held(others.get(1)).der());
            for (String n : others) {
                assertArrayEquals(fleet.held(n).der(), fleet.handshakeStaple(n));
            }
        }
    }

    @Test
    void forgedAndForeignStaplesInRedisAreRefusedByEveryInstance() throws Exception {
        try (Fleet fleet = new Fleet(dir, Duration.ofHours(1))) {
            for (String n : NODES) {
                fleet.start(n);
            }
            byte[] good = fleet.held("a").der();
            String id = certId(fleet);
            long future = Instant.now().plus(Duration.ofDays(30)).toEpochMilli();
            byte[] forged = fleet.responder.responseFor(fleet.serial(), Behaviour.FORGED);
            byte[] foreign = fleet.responder.responseFor(fleet.otherLeaf.certificate().getSerialNumber(), Behaviour.GOOD);
            int expected = 0;
            for (byte[] bogus : List.of(forged, foreign)) {
                expected++;
                writeByHand(fleet, id, bogus, future);
                int n = expected;
                Poll.until(Duration.ofSeconds(5), "every instance refusing bogus staple " + n,
                        () -> NODES.stream().allMatch(node -> fleet.status(node).refusals() >= n));
                for (String node : NODES) {
                    assertTrue(fleet.admin(node, "/metrics").body().contains("stapled_fleet_refusals_total " + n + ".0"));
                    assertArrayEquals(good, fleet.held(node).der(), node + " replaced its good staple");
                    assertArrayEquals(good, fleet.handshakeStaple(node), node + " staples the bogus one");
                }
            }
            // The next fetch replaces the bogus entry (its claimed thisUpdate notwithstanding) and reaches everyone.
            fleet.responder.validity(Duration.ZERO, Duration.ofHours(1)); // a thisUpdate after the first one's
            assertTrue(fleet.servers.get("a").ocsp().refreshNow(managed(fleet, "a").id()).get().installed());
            byte[] fresh = fleet.held("a").der();
            Poll.until(Duration.ofSeconds(5), "b and c installing the staple that replaced the bogus one",
                    () -> NODES.stream().allMatch(node -> java.util.Arrays.equals(fresh, fleet.held(node).der())));
        }
    }

    private static void writeByHand(Fleet fleet, String certId, byte[] der, long thisUpdate) {
        try (Jedis redis = fleet.redis.client()) {
            byte[] key = ("stapled:staple:" + certId).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            redis.hset(key, java.util.Map.of("der".getBytes(), der,
                    "this_update".getBytes(), Long.toString(thisUpdate).getBytes(),
                    "next_update".getBytes(), Long.toString(thisUpdate).getBytes(),
                    "node".getBytes(), "intruder".getBytes()));
            redis.publish("stapled:staples", certId);
        }
    }

    @Test
    void redisStoppedAndRestartedNeverCostsAHandshakeOrAStaple() throws Exception {
        try (Fleet fleet = new Fleet(dir, Duration.ofSeconds(6))) {
            List<String> nodes = List.of("a", "b");
            for (String n : nodes) {
                fleet.start(n);
            }
            java.util.concurrent.atomic.AtomicInteger handshakes = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicInteger unstapled = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
            Thread clients = new Thread(() -> {
                while (running.get()) {
                    for (String n : nodes) {
                        try {
                            if (fleet.handshakeStaple(n) == null) {
                                unstapled.incrementAndGet();
                            }
                        } catch (Exception e) {
                            failed.incrementAndGet();
                        }
                        handshakes.incrementAndGet();
                    }
                }
            }, "fleet-clients");
            clients.start();
            try {
                fleet.redis.stop();
                Poll.until(Duration.ofSeconds(5), "both falling back",
                        () -> nodes.stream().allMatch(n -> !fleet.status(n).connected() && fleet.status(n).fallbacks() == 1));
                for (String n : nodes) {
                    var ready = fleet.admin(n, "/readyz");
                    assertEquals(200, ready.statusCode(), "Redis away must not make an instance unready: " + ready.body());
                    assertTrue(ready.body().contains("fleet: Redis at redis://127.0.0.1:" + fleet.redis.port()
                            + "/0 unreachable since"), ready.body());
                    String metrics = fleet.admin(n, "/metrics").body();
                    assertTrue(metrics.contains("stapled_fleet_store_up 0.0"), metrics);
                    assertTrue(metrics.contains("stapled_fleet_fallbacks_total 1.0"), metrics);
                }
                Instant before = nodes.stream().map(fleet::held).map(Staple::thisUpdate).max(Instant::compareTo).orElseThrow();
                Poll.until(Duration.ofSeconds(15), "both refreshing on their own while Redis is away",
                        () -> nodes.stream().allMatch(n -> fleet.held(n).thisUpdate().isAfter(before)
                                && fleet.held(n).origin() == Staple.Origin.FETCHED));
                fleet.redis.restart();
                Poll.until(Duration.ofSeconds(5), "both rejoining",
                        () -> nodes.stream().allMatch(n -> fleet.status(n).connected() && fleet.status(n).rejoins() == 1));
                for (String n : nodes) {
                    String metrics = fleet.admin(n, "/metrics").body();
                    assertTrue(metrics.contains("stapled_fleet_store_up 1.0"), metrics);
                    assertTrue(metrics.contains("stapled_fleet_rejoins_total 1.0"), metrics);
                    assertEquals("ready\n", fleet.admin(n, "/readyz").body());
                }
                // shared again: the next refresh is one request for both
                int requests = fleet.responder.requestCount();
                Instant rejoined = nodes.stream().map(fleet::held).map(Staple::thisUpdate).max(Instant::compareTo).orElseThrow();
                Poll.until(Duration.ofSeconds(15), "a shared refresh after the rejoin",
                        () -> nodes.stream().allMatch(n -> fleet.held(n).thisUpdate().isAfter(rejoined)));
                assertEquals(requests + 1, fleet.responder.requestCount());
            } finally {
                running.set(false);
                clients.join(10_000);
            }
            assertTrue(handshakes.get() > 20, "only " + handshakes.get() + " handshakes");
            assertEquals(0, failed.get(), "failed handshakes");
            assertEquals(0, unstapled.get(), "handshakes without a staple");
        }
    }

    @Test
    void wrongRedisPasswordIsAClearStartUpError() throws Exception {
        try (Fleet fleet = new Fleet(dir, Duration.ofHours(1), "right-password")) {
            fleet.fleetExtra = "password: wrong-password\n";
            StartupException e = assertThrows(StartupException.class, () -> fleet.start("a"));
            assertTrue(e.getMessage().matches("(?s).*stapled\\.yaml:\\d+ fleet\\.password: Redis at redis://127\\.0\\.0\\.1:\\d+/0"
                    + " refused the credentials: .*"), e.getMessage());
            fleet.fleetExtra = "password: right-password\n";
            fleet.start("a");
            assertTrue(fleet.status("a").connected());
            assertNotNull(fleet.handshakeStaple("a"));
        }
    }

    @Test
    void redissWithAPasswordAndAPrivateCa() throws Exception {
        io.stapled.testkit.pki.IssuedCertificate redisCa = io.stapled.testkit.pki.CertificateBuilder
                .subject("CN=redis ca").ca().build();
        io.stapled.testkit.pki.IssuedCertificate redisCert = io.stapled.testkit.pki.CertificateBuilder
                .subject("CN=localhost").issuer(redisCa).dnsNames("localhost").build();
        Path ca = java.nio.file.Files.writeString(dir.resolve("redis-ca.pem"), redisCa.certificatePem());
        try (Fleet fleet = new Fleet(dir, Duration.ofHours(1),
                io.stapled.testing.RedisProcess.startTls(dir, "tls-password", redisCert))) {
            fleet.redisUrl = "rediss://localhost:" + fleet.redis.port() + "/0";
            fleet.fleetExtra = "password: tls-password\nca_file: " + ca + "\n";
            fleet.start("a");
            fleet.start("b");
            assertTrue(fleet.status("a").connected() && fleet.status("b").connected());
            assertEquals(1, fleet.responder.requestCount(), "b took a's staple over TLS");
            assertEquals(Staple.Origin.FLEET, fleet.held("b").origin());

            fleet.fleetExtra = "password: wrong\nca_file: " + ca + "\n";
            StartupException e = assertThrows(StartupException.class, () -> fleet.start("c"));
            assertTrue(e.getMessage().contains("fleet.password: Redis at rediss://localhost:" + fleet.redis.port()
                    + "/0 refused the credentials: "), e.getMessage());

            // without the CA the TLS handshake fails: Redis unreachable, the member fetches on its own
            fleet.fleetExtra = "password: tls-password\n";
            fleet.start("d");
            assertTrue(!fleet.status("d").connected(), "connected without trusting Redis's CA");
            assertEquals(Staple.Origin.FETCHED, fleet.held("d").origin());
        }
    }
}
