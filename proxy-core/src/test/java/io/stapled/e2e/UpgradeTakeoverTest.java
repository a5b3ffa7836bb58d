package io.stapled.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.testkit.Poll;
import io.stapled.testkit.TlsTestClient;

/**
 * An upgrade under load, with two real processes: the new one ({@code run --takeover}) takes the
 * listening socket over the old one's runtime API socket (SCM_RIGHTS), serves, then SIGTERMs the old
 * one, which drains and exits. A load client at full speed across all of it sees no refused or reset
 * connection and no failed request.
 */
class UpgradeTakeoverTest {
    @TempDir
    Path dir;

    private static String yaml(Deployment d, Path socket, int generation) {
        return """
                global:
                  shutdown_grace: 3s
                ocsp:
                  startup_wait: 5s
                frontends:
                  - name: https
                    bind: 127.0.0.1:0
                    mode: http
                    backend: app
                    certificates:
                      - dir: certs/
                    response_headers:
                      - { set: X-Generation, value: "%d" }
                backends:
                  - name: app
                    servers:
                      - { name: app1, address: 127.0.0.1:%d }
                runtime_api:
                  socket: %s
                  level: admin
                  expose_listeners: true
                """.formatted(generation, d.backend.address().getPort(), socket);
    }

    @Test
    @org.junit.jupiter.api.Timeout(600)
    void upgradeUnderLoadRefusesNothingAndTheNewProcessStaples() throws Exception {
        try (Deployment d = Deployment.create(dir)) {
            Path socket = dir.resolve("api.sock");
            // Kept after the run: the two processes' logs are what explains a failure.
            Path logs = Files.createDirectories(Path.of("target", "upgrade-test"));
            Path oldConfig = Files.writeString(dir.resolve("old.yaml"), yaml(d, socket, 1));
            Path newConfig = Files.writeString(dir.resolve("new.yaml"), yaml(d, socket, 2));
            try (StapledProcess old = StapledProcess.start(logs.resolve("old.log"), Map.of(), List.of(),
                    "run", "--config", oldConfig.toString())) {
                int port = old.awaitListeningPort();
                old.awaitLog("runtime API listening");
                KeepAliveLoad load = new KeepAliveLoad(d.root.certificate(), port,
                        Integer.getInteger("stapled.upgrade.threads", 4), 5);
                try {
                    Poll.until(Duration.ofSeconds(30), "load before the upgrade", () -> load.requests.get() > 300);
                    long beforeUpgrade = load.requests.get();
                    try (StapledProcess fresh = StapledProcess.start(logs.resolve("new.log"), Map.of(), List.of(),
                            "run", "--config", newConfig.toString(), "--takeover", socket.toString())) {
                        byte[] firstStapleOfNew = firstHandshakeOfGeneration2(d, port);
                        assertNotNull(firstStapleOfNew, "the first handshake the new process answered had no staple");
                        assertTrue(old.awaitExit(Duration.ofSeconds(40)), "the old process did not exit:\n" + old.output());
                        assertEquals(0, old.process.exitValue(), old.output());
                        long atExit = load.answeredByNew.get();
                        Poll.until(Duration.ofSeconds(30), "load after the upgrade",
                                () -> load.answeredByNew.get() > atExit + 300);
                        load.close();
                        String summary = load.summary() + " before_upgrade=" + beforeUpgrade;
                        System.out.println("upgrade under load: " + summary);
                        Files.writeString(Path.of("target", "upgrade-under-load.txt"), summary + "\n");
                        assertEquals(0, load.refused.get(), summary + " " + load.errors);
                        assertEquals(0, load.resetBeforeResponse.get(), summary + " " + load.errors);
                        assertEquals(0, load.failed.get(), summary + " " + load.errors);
                        String newLog = fresh.output();
                        assertTrue(newLog.contains("took over 1 listening sockets from process " + old.process.pid()),
                                newLog);
                        assertTrue(newLog.contains("frontend https listening on /127.0.0.1:" + port), newLog);
                        assertTrue(fresh.process.isAlive(), newLog);
                        assertTrue(old.output().contains("passing 1 listening sockets"), old.output());
                        // The old process, stopping, left the new one's runtime API socket in place.
                        assertTrue(Files.exists(socket), "the new process's runtime API socket was removed");
                    }
                } finally {
                    load.close();
                }
            }
        }
    }

    /** Handshakes (asking for a staple) until one is answered by the new process; that one's staple. */
    private static byte[] firstHandshakeOfGeneration2(Deployment d, int port) throws Exception {
        try (TlsTestClient client = new TlsTestClient()) {
            // The new JVM starts while the old one serves a full-speed load: at a load average of 27 it
            // took 70 s to reach the takeover.
            long deadline = System.nanoTime() + StapledProcess.START.multipliedBy(3).toNanos();
            while (System.nanoTime() < deadline) {
                try (TlsTestClient.Connection c = client.open(port, "a.test", true, d.root.certificate())) {
                    if ("2".equals(c.get("/").headers().get("X-Generation"))) {
                        return c.ocspResponse();
                    }
                }
            }
            throw new AssertionError("no handshake answered by the new process within " + StapledProcess.START.multipliedBy(3));
        }
    }
}
