package io.stapled.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.netty.channel.EventLoopGroup;
import io.stapled.config.BackendConfig;
import io.stapled.config.BackendConfig.ServerConfig;
import io.stapled.config.HostPort;
import io.stapled.net.Transport;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.testing.HaproxyProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same runtime API commands to the real HAProxy (2.6, with a stats socket) and to stapled, on a
 * backend configured alike: where stapled claims HAProxy's replies, they are HAProxy's, byte for byte
 * up to the end-of-output marker (HAProxy 2.6 leaves it out after some {@code add/del server} errors).
 */
@Timeout(60)
class DynamicServersHaproxyParityTest {
    @TempDir
    Path dir;

    @Test
    void addrAddAndDeleteAnswerAsHaproxy() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // nothing listens: neither side connects to it anyway
        }
        HaproxyProcess haproxy = HaproxyProcess.start(dir, """
                global
                    stats socket ${socket} level admin
                defaults
                    mode http
                    timeout connect 1s
                    timeout client 5s
                    timeout server 5s
                backend app
                    balance roundrobin
                    server app1 127.0.0.1:%d
                """.formatted(port));
        Path haproxySocket = haproxy.socket();
        BackendPool app = new BackendPool(new BackendConfig("app", BackendConfig.Balance.ROUNDROBIN,
                List.of(new ServerConfig("app1", new HostPort("127.0.0.1", port), 1)),
                new BackendConfig.HealthCheckConfig(BackendConfig.HealthCheckConfig.Type.TCP, null, 0,
                        Duration.ofSeconds(60), Duration.ofSeconds(1), 2, 3),
                Duration.ofSeconds(1), Duration.ofSeconds(5), 4, Duration.ofSeconds(30)));
        Transport transport = Transport.best();
        EventLoopGroup checks = transport.newGroup(1, "parity-checks");
        app.start(checks, transport.socketChannel()); // 'check' needs the backend's checker
        try (RuntimeApiFixture stapled = RuntimeApiFixture.start(Files.createDirectories(dir.resolve("s")),
                RuntimeApiContext.builder(RuntimeApiFixture.process()).backend(app).build())) {
            List<String> commands = List.of(
                    "set server app/app1 addr",
                    "set server app/app1 addr foo",
                    "set server app/app1 addr localhost",
                    "set server app/app1 addr 127.0.0.1",
                    "set server app/app1 addr 127.0.0.2 port 8090",
                    "set server app/app1 addr ::1 port 8090",
                    "set server app/app1 addr ::1 port 8091",
                    "set server app/app1 addr ::1 port 8091",
                    "add server app",
                    "add server nope/x 1.2.3.4:5",
                    "add server app/ 1.2.3.4:5",
                    "add server app/x",
                    "add server app/x 1.2.3.4:99999",
                    "add server app/x 1.2.3.4:abc",
                    "add server app/x 1.2.3.4:5 weight 300",
                    "add server app/app1 1.2.3.4:5",
                    "add server app/s2 127.0.0.1:8092 weight 5",
                    "show servers state app",
                    "get weight app/s2",
                    "add server app/s2 127.0.0.1:8092",
                    "del server app/s2x",
                    "del server app",
                    "del server nope/s2",
                    "set server app/s2 state ready",
                    "del server app/s2",
                    "set server app/s2 state maint",
                    "del server app/s2",
                    "del server app/s2",
                    "add server app/s3 [::1]:8093 enabled",
                    "add server app/s4 127.0.0.1:8094 check",
                    "show servers state app",
                    "enable health app/s3",
                    "disable health app/s3",
                    "enable health app/s4",
                    "disable health app/s4",
                    "enable health app/nope",
                    "disable server app/app1",
                    "del server app/app1",
                    "show servers state app");
            List<String> theirs = new ArrayList<>();
            List<String> ours = new ArrayList<>();
            for (String c : commands) {
                theirs.add(c + " -> " + comparable(c, CliClient.send(haproxySocket, c + "\n")));
                ours.add(c + " -> " + comparable(c, stapled.send(c + "\n")));
            }
            assertEquals(String.join("\n", theirs), String.join("\n", ours));
        } finally {
            app.close();
            checks.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
            haproxy.close();
        }
    }

    /**
     * The reply without its end-of-output marker; for {@code show servers state}, the fields stapled
     * keeps as HAProxy does (name, id, address, op and admin state, weights, port), not the check
     * fields, the time since the last change or the backend's id (HAProxy counts its internal proxies).
     */
    private static String comparable(String command, String reply) throws IOException {
        String r = reply.replaceAll("\n+$", "");
        if (!command.startsWith("show servers state")) {
            return r;
        }
        StringBuilder out = new StringBuilder();
        for (String line : r.split("\n")) {
            String[] f = line.split(" ");
            if (f.length == 25 && !line.startsWith("#")) {
                out.append(String.join(" ", f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[18])).append('|');
            }
        }
        return out.toString();
    }
}
