package io.stapled.proxy.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.netty.channel.socket.nio.NioSocketChannel;
import io.stapled.config.BackendConfig;
import io.stapled.config.BackendConfig.Balance;
import io.stapled.config.BackendConfig.HealthCheckConfig;
import io.stapled.config.BackendConfig.ServerConfig;
import io.stapled.config.HostPort;
import io.stapled.testing.LoopbackServer;
import io.stapled.testkit.Poll;
import io.stapled.testing.EventLoopGroupExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class HealthCheckerTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    @RegisterExtension
    static final EventLoopGroupExtension loops = new EventLoopGroupExtension(2);

    static BackendPool pool(HealthCheckConfig check, HostPort... servers) {
        List<ServerConfig> list = new java.util.ArrayList<>();
        for (int i = 0; i < servers.length; i++) {
            list.add(new ServerConfig("s" + (i + 1), servers[i], 1));
        }
        return new BackendPool(new BackendConfig("app", Balance.ROUNDROBIN, list, check, Duration.ofSeconds(1),
                Duration.ofSeconds(5), 4, Duration.ofSeconds(30)));
    }

    static HealthCheckConfig tcp(int rise, int fall) {
        return new HealthCheckConfig(HealthCheckConfig.Type.TCP, null, 0, Duration.ofMillis(100),
                Duration.ofMillis(500), rise, fall);
    }

    static HealthCheckConfig http(String path, int expect, int rise, int fall, Duration timeout) {
        return new HealthCheckConfig(HealthCheckConfig.Type.HTTP, path, expect, Duration.ofMillis(100), timeout,
                rise, fall);
    }

    /** Records every distinct status text until {@code done} holds, so transitions can be asserted. */
    static Set<String> watchStatus(BackendServer server, java.util.function.BooleanSupplier done) {
        Set<String> seen = ConcurrentHashMap.newKeySet();
        Poll.until(WAIT, server.name() + " transition", () -> {
            seen.add(server.statusText());
            return done.getAsBoolean();
        });
        return seen;
    }

    @Test
    void tcpCheckMarksAKilledServerDownAfterFallAndBackUpAfterRise() {
        try (LoopbackServer a = LoopbackServer.echo(loops.group());
                LoopbackServer b = LoopbackServer.echo(loops.group())) {
            BackendPool pool = pool(tcp(3, 3), a.hostPort(), b.hostPort());
            BackendServer s1 = pool.server("s1");
            assertTrue(s1.isHealthy(), "servers start up");
            pool.start(loops.group(), NioSocketChannel.class);
            try {
                assertEquals("UP", s1.statusText());
                Poll.until(WAIT, "first L4OK", () -> s1.lastCheck() != null
                        && s1.lastCheck().status() == CheckStatus.L4OK);

                a.stop();
                Set<String> goingDown = watchStatus(s1, () -> !s1.isHealthy());
                assertTrue(goingDown.containsAll(Set.of("UP 1/3", "UP 2/3")), "fall counted: " + goingDown);
                assertEquals(CheckStatus.L4CON, s1.lastCheck().status());
                assertEquals("connection refused", s1.lastCheck().description());
                assertEquals("DOWN", s1.statusText());
                for (int i = 0; i < 10; i++) {
                    assertEquals("s2", pool.select(null).name(), "traffic moved to s2");
                }

                a.restart();
                Set<String> comingUp = watchStatus(s1, s1::isHealthy);
                assertTrue(comingUp.containsAll(Set.of("DOWN 1/3", "DOWN 2/3")), "rise counted: " + comingUp);
                assertEquals(CheckStatus.L4OK, s1.lastCheck().status());
                Set<String> picked = new java.util.HashSet<>();
                for (int i = 0; i < 10; i++) {
                    picked.add(pool.select(null).name());
                }
                assertEquals(Set.of("s1", "s2"), picked);
            } finally {
                pool.close();
            }
        }
    }

    @Test
    void httpCheckSendsAGetAndMarksDownOnWrongStatusAndOnAKilledServer() {
        AtomicInteger status = new AtomicInteger(200);
        AtomicReference<String> request = new AtomicReference<>();
        try (LoopbackServer a = LoopbackServer.http(loops.group(), status, request);
                LoopbackServer b = LoopbackServer.http(loops.group(), new AtomicInteger(200), new AtomicReference<>())) {
            BackendPool pool = pool(http("/health", 200, 2, 2, Duration.ofMillis(500)), a.hostPort(), b.hostPort());
            BackendServer s1 = pool.server("s1");
            pool.start(loops.group(), NioSocketChannel.class);
            try {
                Poll.until(WAIT, "first L7OK", () -> s1.lastCheck() != null
                        && s1.lastCheck().status() == CheckStatus.L7OK);
                assertEquals("GET /health HTTP/1.1 host=127.0.0.1:" + a.port() + " connection=close", request.get());

                status.set(503);
                watchStatus(s1, () -> !s1.isHealthy());
                assertEquals(CheckStatus.L7STS, s1.lastCheck().status());
                assertTrue(s1.lastCheck().description().contains("503"), s1.lastCheck().description());
                assertEquals("s2", pool.select(null).name());
                assertEquals("s2", pool.select(null).name());

                status.set(200);
                Set<String> comingUp = watchStatus(s1, s1::isHealthy);
                assertTrue(comingUp.contains("DOWN 1/2"), "rise counted: " + comingUp);
                assertEquals(CheckStatus.L7OK, s1.lastCheck().status());

                a.stop();
                watchStatus(s1, () -> !s1.isHealthy());
                assertEquals(CheckStatus.L4CON, s1.lastCheck().status());
                assertEquals("s2", pool.select(null).name());
            } finally {
                pool.close();
            }
        }
    }

    @Test
    void httpCheckTimesOutOnASilentServer() {
        try (LoopbackServer a = LoopbackServer.silent(loops.group())) {
            BackendPool pool = pool(http("/", 0, 1, 1, Duration.ofMillis(200)), a.hostPort());
            BackendServer s1 = pool.server("s1");
            pool.start(loops.group(), NioSocketChannel.class);
            try {
                watchStatus(s1, () -> !s1.isHealthy());
                assertEquals(CheckStatus.L7TOUT, s1.lastCheck().status());
                assertTrue(s1.lastCheck().durationMillis() >= 150, "took " + s1.lastCheck().durationMillis());
                assertEquals(null, pool.select(null), "the only server is down");
            } finally {
                pool.close();
            }
        }
    }

    @Test
    void tcpCheckTimesOutOnAConnectThatHangs() throws Exception {
        try (Blackhole hole = new Blackhole()) {
            BackendPool pool = pool(new HealthCheckConfig(HealthCheckConfig.Type.TCP, null, 0, Duration.ofMillis(100),
                    Duration.ofMillis(200), 1, 1), hole.hostPort());
            BackendServer s1 = pool.server("s1");
            pool.start(loops.group(), NioSocketChannel.class);
            try {
                watchStatus(s1, () -> !s1.isHealthy());
                assertEquals(CheckStatus.L4TOUT, s1.lastCheck().status());
                assertTrue(s1.lastCheck().durationMillis() >= 150, "took " + s1.lastCheck().durationMillis());
            } finally {
                pool.close();
            }
        }
    }

    @Test
    void expectStatusZeroAcceptsAny2xxOr3xx() {
        AtomicInteger status = new AtomicInteger(302);
        AtomicReference<String> request = new AtomicReference<>();
        try (LoopbackServer a = LoopbackServer.http(loops.group(), status, request)) {
            BackendPool pool = pool(http("/", 0, 1, 1, Duration.ofMillis(500)), a.hostPort());
            BackendServer s1 = pool.server("s1");
            pool.start(loops.group(), NioSocketChannel.class);
            try {
                Poll.until(WAIT, "L7OK for 302", () -> s1.lastCheck() != null
                        && s1.lastCheck().status() == CheckStatus.L7OK);
                status.set(404);
                watchStatus(s1, () -> !s1.isHealthy());
                assertEquals(CheckStatus.L7STS, s1.lastCheck().status());
            } finally {
                pool.close();
            }
        }
    }

    @Test
    void closeStopsChecking() {
        try (LoopbackServer a = LoopbackServer.echo(loops.group())) {
            BackendPool pool = pool(tcp(1, 1), a.hostPort());
            pool.start(loops.group(), NioSocketChannel.class);
            Poll.until(WAIT, "a few checks", () -> a.accepted.get() >= 2);
            pool.close();
            // One check may be in flight when close() runs; beyond that one the count must stay put
            // for several intervals.
            int after = a.accepted.get();
            long until = System.currentTimeMillis() + 400;
            while (System.currentTimeMillis() < until) {
                assertTrue(a.accepted.get() <= after + 1, "checks continued after close");
                Thread.onSpinWait();
            }
            assertFalse(a.accepted.get() > after + 1);
        }
    }
}
