package io.stapled.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.netty.channel.EventLoopGroup;
import io.stapled.config.BackendConfig;
import io.stapled.config.BackendConfig.ServerConfig;
import io.stapled.config.HostPort;
import io.stapled.net.Transport;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.backend.BackendServer;
import io.stapled.proxy.backend.HealthChecker;
import io.stapled.testkit.Poll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The check figures of {@code show stat} and {@code show servers state} while real TCP checks take a
 * server down and bring it back: chkfail, chkdown, downtime, lastchg, check_health and the numeric
 * check status and result, as HAProxy counts and encodes them.
 */
@Timeout(30)
class CheckCountersTest {
    @TempDir
    Path dir;
    private RuntimeApiFixture cli;
    private EventLoopGroup checks;
    private HealthChecker checker;
    private ServerSocket listener;

    @AfterEach
    void stop() throws IOException {
        if (cli != null) {
            cli.close();
        }
        if (checker != null) {
            checker.close();
        }
        if (checks != null) {
            checks.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (listener != null) {
            listener.close();
        }
    }

    private String[] serverRow() throws IOException {
        String stat = cli.send("show stat\n");
        int at = stat.indexOf("\nweb,s1,");
        assertTrue(at >= 0, stat);
        return stat.substring(at + 1, stat.indexOf('\n', at + 1)).split(",", -1);
    }

    private String[] stateRow() throws IOException {
        return cli.send("show servers state\n").split("\n")[2].split(" ");
    }

    @Test
    void checksTakeTheServerDownAndBackWithHaproxyCounters() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        BackendConfig.HealthCheckConfig check = new BackendConfig.HealthCheckConfig(
                BackendConfig.HealthCheckConfig.Type.TCP, null, 0, Duration.ofMillis(50), Duration.ofSeconds(1), 2, 3);
        BackendPool web = new BackendPool(new BackendConfig("web", BackendConfig.Balance.ROUNDROBIN,
                List.of(new ServerConfig("s1", new HostPort("127.0.0.1", port), 1)),
                check, Duration.ofSeconds(1), Duration.ofSeconds(5), 4, Duration.ofSeconds(30)));
        BackendServer s1 = web.server("s1");
        Transport t = Transport.best();
        checks = t.newGroup(1, "checks");
        checker = new HealthChecker(web, check, checks, t.socketChannel());
        cli = RuntimeApiFixture.start(dir, RuntimeApiContext.builder(RuntimeApiFixture.process()).backend(web).build());
        checker.start();
        Poll.until(Duration.ofSeconds(10), "the server down", () -> !s1.isHealthy());
        String[] down = serverRow();
        assertEquals("DOWN", down[17]);
        assertEquals("3", down[21], "chkfail: the failed checks that took it from up to down, not those after");
        assertEquals("1", down[22], "chkdown");
        assertEquals("L4CON", down[36]);
        assertEquals("Layer4 connection problem", down[65]);
        assertEquals("0", down[69], "check_health: down");
        String[] state = stateRow();
        assertEquals("0", state[5], "srv_op_state: stopped");
        assertEquals("8", state[10], "HCHK_STATUS_L4CON");
        assertEquals("2", state[11], "CHK_RES_FAILED");
        assertEquals("0", state[12]);
        Poll.until(Duration.ofSeconds(5), "a second of downtime", () -> {
            try {
                return Long.parseLong(serverRow()[24]) >= 1;
            } catch (IOException e) {
                return false;
            }
        });

        listener = new ServerSocket();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        Poll.until(Duration.ofSeconds(10), "the server up again", s1::isHealthy);
        String[] up = serverRow();
        assertEquals("UP", up[17]);
        assertEquals("3", up[21], "good checks fail nothing");
        assertEquals("1", up[22]);
        assertTrue(Long.parseLong(up[23]) <= 1, "lastchg: just came up, " + up[23]);
        long downtime = Long.parseLong(up[24]);
        assertTrue(downtime >= 1, "downtime kept: " + downtime);
        assertEquals("L4OK", up[36]);
        assertEquals("4", up[69], "check_health: rise + fall - 1 once up");
        state = stateRow();
        assertEquals("2", state[5], "srv_op_state: running");
        assertEquals("6", state[10], "HCHK_STATUS_L4OK");
        assertEquals("3", state[11], "CHK_RES_PASSED");
        assertEquals("4", state[12]);
        assertTrue(Long.parseLong(state[9]) <= 1, "srv_time_since_last_change " + state[9]);
    }
}
