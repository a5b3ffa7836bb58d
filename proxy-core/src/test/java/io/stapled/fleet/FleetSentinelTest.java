package io.stapled.fleet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.ocsp.Staple;
import io.stapled.testing.RedisProcess;
import io.stapled.testing.SentinelProcess;
import io.stapled.testkit.Poll;
import redis.clients.jedis.Jedis;

/**
 * Fleet mode through Redis Sentinel: a real master, a real replica and a real sentinel; two stapled
 * instances find the master through the sentinel, share their staples, and follow a failover.
 */
class FleetSentinelTest {
    private static final List<String> NODES = List.of("a", "b");

    @TempDir
    Path dir;

    @Test
    void twoMembersShareThroughSentinelAndKeepSharingAfterAFailover() throws Exception {
        RedisProcess master = RedisProcess.start(dir);
        try (RedisProcess replica = RedisProcess.startReplicaOf(dir, master);
             SentinelProcess sentinel = SentinelProcess.start(dir, master);
             Fleet fleet = new Fleet(dir, Duration.ofSeconds(6), master)) {
            Poll.until(Duration.ofSeconds(15), "the replica in sync and known to the sentinel", () -> {
                try (Jedis r = replica.client()) {
                    return r.info("replication").contains("master_link_status:up") && sentinel.replicas() == 1;
                }
            });
            fleet.store = """
                    sentinel:
                      master: %s
                      nodes: [127.0.0.1:%d]""".formatted(SentinelProcess.MASTER, sentinel.port());
            for (String n : NODES) {
                fleet.start(n);
                assertNotNull(fleet.handshakeStaple(n), n + " opened its listener without a staple");
            }
            assertEquals(1, fleet.responder.requestCount(), "b must take a's staple from the master");
            assertEquals(Staple.Origin.FLEET, fleet.held("b").origin());
            assertTrue(fleet.cli("b", "show fleet").contains("redis: sentinel://mymaster@127.0.0.1:"
                    + sentinel.port() + "/0 connected since "), fleet.cli("b", "show fleet"));
            assertOneRequestPerRefresh(fleet);

            master.stop();
            Poll.until(Duration.ofSeconds(30), "the sentinel's failover to the replica",
                    () -> sentinel.master() != null && sentinel.master().getPort() == replica.port());
            // Both members rejoin on the new master (the subscription follows it) and share again: the same
            // staple, on both, and in the new master's store.
            Poll.until(Duration.ofSeconds(30), "both members connected to the new master, holding one staple", () ->
                    NODES.stream().allMatch(n -> fleet.status(n).connected())
                            && java.util.Arrays.equals(fleet.held("a").der(), fleet.held("b").der()));
            assertOneRequestPerRefresh(fleet);
            try (Jedis r = replica.client()) {
                String certId = fleet.servers.get("a").ocsp().certificates().iterator().next().certIdentity().derHex();
                Poll.until(Duration.ofSeconds(10), "the shared staple in the new master",
                        () -> java.util.Arrays.equals(r.hget(("stapled:staple:" + certId).getBytes(),
                                "der".getBytes()), fleet.held("a").der()));
            }
            for (String n : NODES) {
                assertArrayEquals(fleet.held(n).der(), fleet.handshakeStaple(n), n + " staples another response");
            }
        }
    }

    @Test
    void theSubscriptionMovesToTheNewMasterWhenTheOldOneIsDemotedNotStopped() throws Exception {
        RedisProcess master = RedisProcess.start(dir);
        try (RedisProcess replica = RedisProcess.startReplicaOf(dir, master);
             SentinelProcess sentinel = SentinelProcess.start(dir, master);
             Fleet fleet = new Fleet(dir, Duration.ofSeconds(6), master)) {
            Poll.until(Duration.ofSeconds(15), "the replica in sync and known to the sentinel", () -> {
                try (Jedis r = replica.client()) {
                    return r.info("replication").contains("master_link_status:up") && sentinel.replicas() == 1;
                }
            });
            fleet.store = """
                    sentinel:
                      master: %s
                      nodes: [127.0.0.1:%d]""".formatted(SentinelProcess.MASTER, sentinel.port());
            for (String n : NODES) {
                fleet.start(n);
            }
            assertEquals(1, fleet.responder.requestCount());
            try (Jedis m = master.client()) {
                Poll.until(Duration.ofSeconds(5), "both subscriptions on the master", () -> subscribers(m) == 2);
            }
            sentinel.failover();
            Poll.until(Duration.ofSeconds(30), "the sentinel's failover to the replica",
                    () -> sentinel.master() != null && sentinel.master().getPort() == replica.port());
            // The demoted master keeps running (a subscription there would still hear replicated messages,
            // until it is cut off): each member must move its subscription to the new master.
            try (Jedis r = replica.client(); Jedis m = master.client()) {
                Poll.until(Duration.ofSeconds(15), "both subscriptions moved to the new master",
                        () -> subscribers(r) == 2 && subscribers(m) == 0);
            }
            assertOneRequestPerRefresh(fleet);
            for (String n : NODES) {
                assertTrue(fleet.status(n).connected(), n + " is not connected");
                assertArrayEquals(fleet.held(n).der(), fleet.handshakeStaple(n), n + " staples another response");
            }
        }
    }

    @Test
    void noSentinelAtStartUpMeansOwnFetchesUntilOneAnswers() throws Exception {
        RedisProcess master = RedisProcess.start(dir);
        int port = SentinelProcess.freePort();
        try (Fleet fleet = new Fleet(dir, Duration.ofHours(1), master)) {
            fleet.store = """
                    sentinel:
                      master: %s
                      nodes: [127.0.0.1:%d]""".formatted(SentinelProcess.MASTER, port);
            fleet.start("a");
            assertNotNull(fleet.handshakeStaple("a"), "a opened its listener without a staple");
            assertEquals(Staple.Origin.FETCHED, fleet.held("a").origin());
            assertTrue(!fleet.status("a").connected(), "connected with no sentinel answering");
            try (SentinelProcess sentinel = SentinelProcess.start(dir, master, port)) {
                Poll.until(Duration.ofSeconds(15), "a joins once the sentinel answers", () -> fleet.status("a").connected());
                // rejoining offered its own staple to the store: b takes it without a request
                Poll.until(Duration.ofSeconds(5), "a's staple in the store", () -> {
                    try (Jedis m = master.client()) {
                        return !m.keys("stapled:staple:*").isEmpty();
                    }
                });
                fleet.start("b");
                assertEquals(Staple.Origin.FLEET, fleet.held("b").origin());
                assertEquals(1, fleet.responder.requestCount());
            }
        }
    }

    @Test
    void aMasterNameTheSentinelsDoNotMonitorIsAStartUpError() throws Exception {
        RedisProcess master = RedisProcess.start(dir);
        try (SentinelProcess sentinel = SentinelProcess.start(dir, master);
             Fleet fleet = new Fleet(dir, Duration.ofHours(1), master)) {
            fleet.store = """
                    sentinel:
                      master: yourmaster
                      nodes: [127.0.0.1:%d]""".formatted(sentinel.port());
            io.stapled.server.StartupException e = org.junit.jupiter.api.Assertions.assertThrows(
                    io.stapled.server.StartupException.class, () -> fleet.start("a"));
            assertTrue(e.getMessage().matches("(?s).*stapled\\.yaml:\\d+ fleet\\.sentinel: the sentinels at "
                    + "sentinel://yourmaster@127\\.0\\.0\\.1:\\d+/0 monitor no master named \"yourmaster\".*"),
                    e.getMessage());
            assertEquals(0, fleet.responder.requestCount());
        }
    }

    @Test
    void wrongMasterPasswordThroughSentinelIsAStartUpError() throws Exception {
        RedisProcess master = RedisProcess.start(dir, "right-password");
        try (SentinelProcess sentinel = SentinelProcess.start(dir, master, SentinelProcess.freePort(), "right-password");
             Fleet fleet = new Fleet(dir, Duration.ofHours(1), master)) {
            fleet.store = """
                    sentinel:
                      master: %s
                      nodes: [127.0.0.1:%d]""".formatted(SentinelProcess.MASTER, sentinel.port());
            fleet.fleetExtra = "password: wrong-password\n";
            io.stapled.server.StartupException e = org.junit.jupiter.api.Assertions.assertThrows(
                    io.stapled.server.StartupException.class, () -> fleet.start("a"));
            assertTrue(e.getMessage().matches("(?s).*stapled\\.yaml:\\d+ fleet\\.password: Redis at sentinel://mymaster@"
                    + "127\\.0\\.0\\.1:\\d+/0 refused the credentials: .*"), e.getMessage());
            fleet.fleetExtra = "password: right-password\n";
            fleet.start("a");
            assertTrue(fleet.status("a").connected());
            assertNotNull(fleet.handshakeStaple("a"));
        }
    }

    /** The stapled members' subscriptions on this server (by their client names). */
    private static long subscribers(Jedis server) {
        return server.clientList().lines().filter(l -> l.contains(" name=stapled-") && !l.contains(" sub=0 ")).count();
    }

    /**
     * The next refresh on both members costs the responder at most one request (one, unless a refresh was
     * already in flight when counted) and leaves both holding the same staple.
     */
    private static void assertOneRequestPerRefresh(Fleet fleet) {
        int requests = fleet.responder.requestCount();
        Instant before = fleet.held("a").thisUpdate().isAfter(fleet.held("b").thisUpdate())
                ? fleet.held("a").thisUpdate() : fleet.held("b").thisUpdate();
        Poll.until(Duration.ofSeconds(20), "a refresh on both members",
                () -> NODES.stream().allMatch(n -> fleet.held(n).thisUpdate().isAfter(before)));
        Poll.until(Duration.ofSeconds(5), "both members on the same staple",
                () -> java.util.Arrays.equals(fleet.held("a").der(), fleet.held("b").der()));
        int made = fleet.responder.requestCount() - requests;
        assertTrue(made <= 1, made + " responder requests for one refresh of the fleet");
    }
}
