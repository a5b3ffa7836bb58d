package io.stapled.proxy.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.stapled.config.BackendConfig;
import io.stapled.config.BackendConfig.Balance;
import io.stapled.config.BackendConfig.ServerConfig;
import io.stapled.config.HostPort;
import org.junit.jupiter.api.Test;

class BackendPoolSelectTest {

    static BackendPool pool(Balance balance, int... weights) {
        List<ServerConfig> servers = new java.util.ArrayList<>();
        for (int i = 0; i < weights.length; i++) {
            servers.add(new ServerConfig("s" + (i + 1), new HostPort("127.0.0.1", 10_000 + i), weights[i]));
        }
        return new BackendPool(new BackendConfig("app", balance, servers, null, Duration.ofSeconds(1),
                Duration.ofSeconds(5), 4, Duration.ofSeconds(30)));
    }

    static BackendPool hdrPool(String header, int... weights) {
        BackendPool p = pool(Balance.HDR, weights);
        return new BackendPool(new BackendConfig("app", Balance.HDR, p.config().servers(), null, Duration.ofSeconds(1),
                Duration.ofSeconds(5), 4, Duration.ofSeconds(30), header, null, null, null, null));
    }

    /** An HTTP request to {@code uri}, with {@code header} set to {@code value} when not null. */
    static BalanceInput request(String uri, String header, String value) {
        return new BalanceInput() {
            @Override
            public InetAddress source() {
                return null;
            }

            @Override
            public String uri() {
                return uri;
            }

            @Override
            public String header(String name) {
                return name.equals(header) ? value : null;
            }
        };
    }

    static InetAddress addr(int i) throws Exception {
        return InetAddress.getByAddress(new byte[] {10, 0, (byte) (i >> 8), (byte) i});
    }

    @Test
    void roundRobinSpreadsByWeight() throws Exception {
        BackendPool pool = pool(Balance.ROUNDROBIN, 1, 3);
        Map<String, Integer> hits = new HashMap<>();
        for (int i = 0; i < 400; i++) {
            hits.merge(pool.select(addr(1)).name(), 1, Integer::sum);
        }
        assertEquals(100, hits.get("s1"));
        assertEquals(300, hits.get("s2"));
    }

    @Test
    void roundRobinSkipsDownDrainingAndZeroWeightServers() throws Exception {
        BackendPool pool = pool(Balance.ROUNDROBIN, 1, 1, 1, 1);
        pool.server("s1").setHealthy(false);
        pool.server("s2").setAdminState(BackendServer.AdminState.DRAIN);
        pool.server("s3").setWeight(0);
        for (int i = 0; i < 20; i++) {
            assertEquals("s4", pool.select(addr(i)).name());
        }
    }

    @Test
    void leastConnPrefersTheIdleServer() throws Exception {
        BackendPool pool = pool(Balance.LEASTCONN, 1, 1);
        BackendServer s1 = pool.server("s1");
        BackendServer s2 = pool.server("s2");
        s1.connectionOpened();
        s1.connectionOpened();
        assertSame(s2, pool.select(addr(1)));
        s2.connectionOpened();
        s2.connectionOpened();
        s2.connectionOpened();
        assertSame(s1, pool.select(addr(1)));
        s2.connectionClosed();
        s2.connectionClosed();
        s2.connectionClosed();
        assertSame(s2, pool.select(addr(1)));
        assertEquals(0, s2.activeConnections());
        assertEquals(3, s2.totalConnections());
    }

    @Test
    void leastConnWeighsLoadByWeight() throws Exception {
        BackendPool pool = pool(Balance.LEASTCONN, 1, 4);
        BackendServer s2 = pool.server("s2");
        // s2 (weight 4) with 2 connections is less loaded than an idle s1 of weight 1: (2+1)/4 < (0+1)/1.
        s2.connectionOpened();
        s2.connectionOpened();
        assertSame(s2, pool.select(addr(1)));
    }

    @Test
    void sourceKeepsAClientOnOneServerAndSpreadsClients() throws Exception {
        BackendPool pool = pool(Balance.SOURCE, 1, 1, 1);
        Set<String> used = new HashSet<>();
        for (int c = 0; c < 60; c++) {
            BackendServer first = pool.select(addr(c));
            for (int i = 0; i < 10; i++) {
                assertSame(first, pool.select(addr(c)), "client " + c + " moved");
            }
            used.add(first.name());
        }
        assertEquals(Set.of("s1", "s2", "s3"), used);
    }

    @Test
    void sourceSendsEveryClientToTheRemainingServerWhenOneIsDown() throws Exception {
        BackendPool pool = pool(Balance.SOURCE, 1, 1);
        BackendServer s1 = pool.server("s1");
        s1.setHealthy(false);
        for (int c = 0; c < 20; c++) {
            assertEquals("s2", pool.select(addr(c)).name());
        }
    }

    @Test
    void allServersDownSelectsNothing() throws Exception {
        for (Balance balance : Balance.values()) {
            BackendPool pool = pool(balance, 1, 2);
            pool.servers().forEach(s -> s.setHealthy(false));
            assertNull(pool.select(addr(1)), balance.name());
            assertNull(pool.select(null), balance.name());
        }
    }

    @Test
    void selectExcludingPicksAnotherServerOrNothing() throws Exception {
        BackendPool pool = pool(Balance.ROUNDROBIN, 1, 1);
        BackendServer s1 = pool.server("s1");
        for (int i = 0; i < 5; i++) {
            assertEquals("s2", pool.selectExcluding(addr(1), s1).name());
        }
        pool.server("s2").setHealthy(false);
        assertNull(pool.selectExcluding(addr(1), s1));
        assertNotNull(pool.select(addr(1)));
    }

    @Test
    void uncheckedServerReportsNoCheck() {
        BackendPool pool = pool(Balance.ROUNDROBIN, 1);
        BackendServer s1 = pool.server("s1");
        assertEquals("no check", s1.statusText());
        assertNull(s1.lastCheck());
        s1.setAdminState(BackendServer.AdminState.MAINT);
        assertEquals("MAINT", s1.statusText());
        assertTrue(!s1.isAvailable());
    }

    @Test
    void randomSharesIdleServersByWeightAndSkipsUnavailableOnes() throws Exception {
        BackendPool pool = pool(Balance.RANDOM, 1, 3, 5);
        pool.server("s3").setHealthy(false);
        Map<String, Integer> hits = new HashMap<>();
        for (int i = 0; i < 4000; i++) {
            hits.merge(pool.select(addr(1)).name(), 1, Integer::sum);
        }
        assertNull(hits.get("s3"));
        // 1000 and 3000 expected; the bounds are more than 20 standard deviations away
        assertTrue(hits.get("s1") > 500 && hits.get("s1") < 1500, hits.toString());
    }

    @Test
    void randomPrefersTheLessLoadedOfTwoDraws() throws Exception {
        BackendPool pool = pool(Balance.RANDOM, 1, 1);
        for (int i = 0; i < 10; i++) {
            pool.server("s1").connectionOpened();
        }
        int s2 = 0;
        for (int i = 0; i < 4000; i++) {
            s2 += pool.select(addr(1)).name().equals("s2") ? 1 : 0;
        }
        // the loaded s1 wins only when both draws name it: a quarter of the picks (1000 expected)
        assertTrue(s2 > 2500, "s2 got " + s2 + " of 4000");
    }

    @Test
    void uriKeepsAPathOnOneServerWhateverItsQueryAndSpreadsPaths() {
        BackendPool pool = pool(Balance.URI, 1, 1, 1);
        Set<String> used = new HashSet<>();
        for (int p = 0; p < 60; p++) {
            BackendServer first = pool.selectFor(request("/item/" + p, null, null));
            assertSame(first, pool.selectFor(request("/item/" + p + "?v=" + p, null, null)));
            used.add(first.name());
        }
        assertEquals(Set.of("s1", "s2", "s3"), used);
    }

    @Test
    void uriHashIsWeighted() {
        BackendPool pool = pool(Balance.URI, 1, 9);
        int s2 = 0;
        for (int p = 0; p < 1000; p++) {
            s2 += pool.selectFor(request("/p" + p, null, null)).name().equals("s2") ? 1 : 0;
        }
        assertTrue(s2 > 800 && s2 < 980, "s2 got " + s2 + " of 1000 paths, 900 expected");
    }

    @Test
    void uriMovesPathsOfADownServerOnly() {
        BackendPool pool = pool(Balance.URI, 1, 1);
        pool.server("s1").setHealthy(false);
        for (int p = 0; p < 20; p++) {
            assertEquals("s2", pool.selectFor(request("/p" + p, null, null)).name());
        }
    }

    @Test
    void hdrKeepsAValueOnOneServerAndIsRoundRobinWithoutTheHeader() {
        BackendPool pool = hdrPool("x-tenant", 1, 1, 1);
        Set<String> used = new HashSet<>();
        for (int t = 0; t < 60; t++) {
            BackendServer first = pool.selectFor(request("/a", "x-tenant", "tenant-" + t));
            assertSame(first, pool.selectFor(request("/b", "x-tenant", "tenant-" + t)));
            used.add(first.name());
        }
        assertEquals(Set.of("s1", "s2", "s3"), used);
        Map<String, Integer> hits = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            hits.merge(pool.selectFor(request("/a", null, null)).name(), 1, Integer::sum);
        }
        assertEquals(Map.of("s1", 10, "s2", 10, "s3", 10), hits);
    }
}
