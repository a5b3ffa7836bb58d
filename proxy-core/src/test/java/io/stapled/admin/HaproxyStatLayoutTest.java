package io.stapled.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.netty.channel.EventLoopGroup;
import io.stapled.config.BackendConfig;
import io.stapled.config.BackendConfig.ServerConfig;
import io.stapled.config.HostPort;
import io.stapled.net.Transport;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.backend.CheckStatus;
import io.stapled.proxy.backend.HealthChecker;
import io.stapled.testing.HaproxyProcess;
import io.stapled.testkit.Poll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * stapled's {@code show info} and {@code show stat} against HAProxy 2.6's: the same field names at the
 * same positions with the same types and tags, row type by row type. Once against the output of a
 * real HAProxy 2.6.12 kept under {@code haproxy-2.6/} (made by its {@code capture.sh}), and once
 * against the {@code haproxy} on PATH, run for the test with the same layout: an HTTP frontend, a
 * checked server that is down (closed port) and an unchecked one.
 */
@Timeout(60)
class HaproxyStatLayoutTest {
    private static final String RESOURCES = "haproxy-2.6/";

    @TempDir
    Path dir;
    private RuntimeApiFixture cli;
    private EventLoopGroup checks;
    private HealthChecker checker;
    private ServerSocket closed;

    @BeforeEach
    void start() throws Exception {
        // a port nobody listens on: bound then closed, so the check gets "connection refused"
        closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        int down = closed.getLocalPort();
        closed.close();
        BackendConfig.HealthCheckConfig check = new BackendConfig.HealthCheckConfig(
                BackendConfig.HealthCheckConfig.Type.TCP, null, 0, Duration.ofMillis(100), Duration.ofSeconds(1), 2, 3);
        BackendPool be = new BackendPool(new BackendConfig("be", BackendConfig.Balance.ROUNDROBIN,
                List.of(new ServerConfig("s1", new HostPort("127.0.0.1", down), 1)),
                check, Duration.ofSeconds(1), Duration.ofSeconds(5), 4, Duration.ofSeconds(30)));
        BackendPool unchecked = new BackendPool(new BackendConfig("be2", BackendConfig.Balance.ROUNDROBIN,
                List.of(new ServerConfig("s2", new HostPort("127.0.0.1", 10), 1)),
                null, Duration.ofSeconds(1), Duration.ofSeconds(5), 4, Duration.ofSeconds(30)));
        BackendPool tcpBackend = new BackendPool(new BackendConfig("bt", BackendConfig.Balance.ROUNDROBIN,
                List.of(new ServerConfig("t1", new HostPort("127.0.0.1", 10), 1)),
                null, Duration.ofSeconds(1), Duration.ofSeconds(5), 4, Duration.ofSeconds(30)));
        Transport t = Transport.best();
        checks = t.newGroup(1, "checks");
        checker = new HealthChecker(be, check, checks, t.socketChannel());
        checker.start();
        Poll.until(Duration.ofSeconds(5), "a failed check", () -> be.server("s1").lastCheck() != null
                && be.server("s1").lastCheck().status() == CheckStatus.L4CON);
        FrontendStats fe = FrontendStats.of("fe", "http", "be", () -> 0, () -> 0, 100);
        FrontendStats tcp = FrontendStats.of("ft", "tcp", "bt", () -> 0, () -> 0, 100);
        cli = RuntimeApiFixture.start(dir, RuntimeApiContext.builder(
                        ProcessStats.summing("stapled", "0.1.0-test", java.time.Instant.now(), 2, () -> List.of(fe)))
                .frontends(() -> List.of(fe, tcp)).backend(be).backend(unchecked).backend(tcpBackend).build());
    }

    @AfterEach
    void stop() {
        if (cli != null) {
            cli.close();
        }
        checker.close();
        checks.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void fieldsMatchTheCapturedHaproxy26() throws IOException {
        Map<String, String> haproxy = new TreeMap<>();
        for (String name : List.of("show-info.txt", "show-info-typed.txt", "show-info-json.txt", "show-stat.txt",
                "show-stat-typed.txt", "show-stat-json.txt", "show-servers-state.txt", "tcp-show-stat-typed.txt")) {
            haproxy.put(name, resource(name));
        }
        assertTrue(resource("haproxy-version.txt").startsWith("HAProxy version 2.6."));
        compare(haproxy, true);
    }

    @Test
    void fieldsMatchTheInstalledHaproxy() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        try (HaproxyProcess haproxy = HaproxyProcess.start(dir, """
                global
                    stats socket ${socket} mode 600 level admin
                defaults
                    mode http
                    timeout connect 1s
                    timeout client 5s
                    timeout server 5s
                frontend fe
                    bind 127.0.0.1:%d
                    default_backend be
                backend be
                    server s1 127.0.0.1:%d check inter 100ms
                    server s2 127.0.0.1:10
                """.formatted(port, closed.getLocalPort()))) {
            Path socket = haproxy.socket();
            Poll.until(Duration.ofSeconds(10), "haproxy's failed check", () -> {
                try {
                    return CliClient.send(socket, "show stat\n").contains(",L4CON,");
                } catch (IOException e) {
                    return false;
                }
            });
            Map<String, String> live = new TreeMap<>();
            live.put("show-info.txt", CliClient.send(socket, "show info\n"));
            live.put("show-info-typed.txt", CliClient.send(socket, "show info typed\n"));
            live.put("show-info-json.txt", CliClient.send(socket, "show info json\n"));
            live.put("show-stat.txt", CliClient.send(socket, "show stat\n"));
            live.put("show-stat-typed.txt", CliClient.send(socket, "show stat typed\n"));
            live.put("show-stat-json.txt", CliClient.send(socket, "show stat json\n"));
            live.put("show-servers-state.txt", CliClient.send(socket, "show servers state\n"));
            assertTrue(live.get("show-info.txt").contains("\nVersion: 2.6."),
                    "the comparison is with HAProxy 2.6: " + live.get("show-info.txt"));
            compare(live, false);
        }
    }

    private void compare(Map<String, String> haproxy, boolean withTcp) throws IOException {
        // show info: every field, same order, same positions, types and tags; Release_date is left out
        // because stapled has none to print
        List<String> theirs = new ArrayList<>(infoTyped(haproxy.get("show-info-typed.txt")));
        theirs.removeIf(f -> f.contains(".Release_date."));
        assertEquals(theirs, infoTyped(cli.send("show info typed\n")));
        List<String> names = names(haproxy.get("show-info.txt"));
        names.remove("Release_date");
        assertEquals(names, names(cli.send("show info\n")));
        List<String> json = infoJson(haproxy.get("show-info-json.txt"));
        json.removeIf(f -> f.contains("\"Release_date\""));
        assertEquals(json, infoJson(cli.send("show info json\n")));

        // show stat: the header byte for byte, then each row type's fields
        String ours = cli.send("show stat\n");
        assertEquals(haproxy.get("show-stat.txt").lines().findFirst().orElseThrow(),
                ours.lines().findFirst().orElseThrow());
        Map<String, TreeSet<String>> theirRows = statTyped(haproxy.get("show-stat-typed.txt"));
        Map<String, TreeSet<String>> ourRows = statTyped(cli.send("show stat typed\n"));
        // HAProxy: fe = 2, be = 3 (s1 checked, s2 not); stapled: be = 1 (s1 checked), be2 = 2 (s2),
        // bt = 3 (TCP), fe = 4, ft = 5 (TCP)
        assertEquals(theirRows.get("F.2.0"), ourRows.get("F.4.0"), "FRONTEND fields");
        assertEquals(theirRows.get("B.3.0"), ourRows.get("B.1.0"), "BACKEND fields");
        assertEquals(theirRows.get("S.3.1"), ourRows.get("S.1.1"), "checked server fields");
        assertEquals(theirRows.get("S.3.2"), ourRows.get("S.2.1"), "unchecked server fields");
        Map<String, TreeSet<String>> theirJson = statJson(haproxy.get("show-stat-json.txt"));
        Map<String, TreeSet<String>> ourJson = statJson(cli.send("show stat json\n"));
        assertEquals(theirJson.get("Frontend.2.0"), ourJson.get("Frontend.4.0"));
        assertEquals(theirJson.get("Backend.3.0"), ourJson.get("Backend.1.0"));
        assertEquals(theirJson.get("Server.3.1"), ourJson.get("Server.1.1"));
        assertEquals(theirJson.get("Server.3.2"), ourJson.get("Server.2.1"));
        if (withTcp) {
            Map<String, TreeSet<String>> tcp = statTyped(haproxy.get("tcp-show-stat-typed.txt"));
            assertEquals(tcp.get("F.2.0"), ourRows.get("F.5.0"), "TCP FRONTEND fields");
            assertEquals(tcp.get("B.3.0"), ourRows.get("B.3.0"), "TCP BACKEND fields");
            assertEquals(tcp.get("S.3.2"), ourRows.get("S.3.1"), "TCP unchecked server fields");
            assertFalse(ourRows.get("F.5.0").toString().contains("hrsp_2xx"));
        }
        // show servers state: the same header
        assertEquals(haproxy.get("show-servers-state.txt").lines().limit(2).toList(),
                cli.send("show servers state\n").lines().limit(2).toList());
    }

    /** {@code pos.name.1:tags:type} of each {@code show info typed} line, values dropped. */
    private static List<String> infoTyped(String out) {
        List<String> fields = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isEmpty()) {
                String[] p = line.split(":", 4);
                fields.add(p[0] + ":" + p[1] + ":" + p[2]);
            }
        }
        return fields;
    }

    private static List<String> names(String out) {
        List<String> names = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isEmpty()) {
                names.add(line.substring(0, line.indexOf(": ")));
            }
        }
        return names;
    }

    private static final Pattern INFO_JSON = Pattern.compile(
            "\\{\"field\":\\{\"pos\":(\\d+),\"name\":\"([^\"]+)\"},\"processNum\":1,\"tags\":(\\{[^}]*}),"
                    + "\"value\":\\{\"type\":\"(\\w+)\",\"value\":");

    private static List<String> infoJson(String out) {
        List<String> fields = new ArrayList<>();
        Matcher m = INFO_JSON.matcher(out);
        while (m.find()) {
            fields.add(m.group(1) + " \"" + m.group(2) + "\" " + m.group(3) + " " + m.group(4));
        }
        assertFalse(fields.isEmpty(), out);
        return fields;
    }

    /** Per row ({@code F.2.0}: type, proxy id, server id), its {@code pos.name.1:tags:type} set. */
    private static Map<String, TreeSet<String>> statTyped(String out) {
        Map<String, TreeSet<String>> rows = new TreeMap<>();
        for (String line : out.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            String[] p = line.split(":", 4);
            String[] key = p[0].split("\\.", 4);
            rows.computeIfAbsent(key[0] + "." + key[1] + "." + key[2], k -> new TreeSet<>())
                    .add(key[3] + ":" + p[1] + ":" + p[2]);
        }
        return rows;
    }

    private static final Pattern STAT_JSON = Pattern.compile(
            "\\{\"objType\":\"(\\w+)\",\"proxyId\":(\\d+),\"id\":(\\d+),\"field\":\\{\"pos\":(\\d+),"
                    + "\"name\":\"([^\"]+)\"},\"processNum\":1,\"tags\":(\\{[^}]*}),\"value\":\\{\"type\":\"(\\w+)\"");

    private static Map<String, TreeSet<String>> statJson(String out) {
        Map<String, TreeSet<String>> rows = new TreeMap<>();
        Matcher m = STAT_JSON.matcher(out);
        while (m.find()) {
            rows.computeIfAbsent(m.group(1) + "." + m.group(2) + "." + m.group(3), k -> new TreeSet<>())
                    .add(m.group(4) + " " + m.group(5) + " " + m.group(6) + " " + m.group(7));
        }
        assertTrue(out.startsWith("[[{") && out.strip().endsWith("}]]"), out);
        return rows;
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = HaproxyStatLayoutTest.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IOException("no test resource " + RESOURCES + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
