package io.stapled.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.testkit.Poll;
import io.stapled.testkit.TlsTestClient;

/**
 * {@code stapled run} as systemd runs it, in a JVM of its own: {@code Type=notify} messages to a unix
 * datagram socket this test listens on, and socket activation through {@code systemd-socket-activate}.
 */
class SystemdTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(240)
    void notifiesReadyOnlyOnceTheListenerAcceptsThenWatchdogThenStopping() throws Exception {
        try (Deployment d = Deployment.create(dir)) {
            Path config = Files.writeString(dir.resolve("stapled.yaml"), d.yaml(""));
            Path log = Files.createDirectories(Path.of("target", "systemd-test")).resolve("notify.log");
            List<String> acceptedWhenReady = new CopyOnWriteArrayList<>();
            StapledProcess[] p = new StapledProcess[1];
            try (NotifyReceiver systemd = new NotifyReceiver(dir.resolve("notify.sock").toString(), m -> {
                if (m.lines().anyMatch("READY=1"::equals)) {
                    // Checked as the message arrives: the listener must already be open.
                    int port = p[0].listeningPortNow();
                    try (java.net.Socket s = new java.net.Socket()) {
                        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                        acceptedWhenReady.add("port " + port);
                    } catch (Exception e) {
                        acceptedWhenReady.add("refused: " + e);
                    }
                }
            })) {
                p[0] = StapledProcess.start(log, Map.of("NOTIFY_SOCKET", dir.resolve("notify.sock").toString(),
                        "WATCHDOG_USEC", "1000000"), List.of(), "run", "--config", config.toString());
                try (StapledProcess stapled = p[0]) {
                    Poll.until(StapledProcess.START, "READY=1", () -> systemd.count("READY=1") > 0 || !stapled.process.isAlive());
                    assertEquals(1, systemd.count("READY=1"), systemd.messages + "\n" + stapled.output());
                    assertTrue(acceptedWhenReady.size() == 1 && acceptedWhenReady.get(0).startsWith("port "),
                            "at READY=1 the listener did not accept: " + acceptedWhenReady);
                    Poll.until(Duration.ofSeconds(20), "watchdog pings", () -> systemd.count("WATCHDOG=1") >= 3);
                    assertEquals(0, systemd.count("STOPPING=1"));
                    stapled.process.destroy(); // SIGTERM
                    assertTrue(stapled.awaitExit(Duration.ofSeconds(40)), stapled.output());
                    assertEquals(0, stapled.process.exitValue(), stapled.output());
                    Poll.until(Duration.ofSeconds(5), "STOPPING=1", () -> systemd.count("STOPPING=1") == 1);
                    List<String> order = systemd.messages.stream().filter(m -> !m.equals("WATCHDOG=1")).toList();
                    assertTrue(order.get(0).startsWith("READY=1\nSTATUS=serving 1 frontends"), order.toString());
                    assertEquals("STOPPING=1", order.get(order.size() - 1), order.toString());
                }
            }
        }
    }

    @Test
    @Timeout(240)
    void socketActivationServesOnTheInheritedSocketAndRefusesOneNoFrontendMatches() throws Exception {
        String activate = "/usr/bin/systemd-socket-activate";
        if (!Files.isExecutable(Path.of(activate))) {
            if (System.getenv("CI") != null) {
                org.junit.jupiter.api.Assertions.fail("systemd-socket-activate (Debian package systemd) is missing;"
                        + " CI must run this test (.ci/run installs it)");
            }
            org.junit.jupiter.api.Assumptions.abort("systemd-socket-activate (Debian package systemd) is not installed");
        }
        try (Deployment d = Deployment.create(dir)) {
            int port = freePort();
            Path logs = Files.createDirectories(Path.of("target", "systemd-test"));
            // The frontend binds port 0: it can only be the inherited socket it serves on, matched by name.
            Path config = Files.writeString(dir.resolve("stapled.yaml"), d.yaml(""));
            try (StapledProcess stapled = StapledProcess.start(logs.resolve("activated.log"), Map.of(),
                    List.of(activate, "--listen=127.0.0.1:" + port, "--fdname=https"),
                    "run", "--config", config.toString());
                 java.net.Socket early = connectWhenListening(stapled, port)) {
                // systemd-socket-activate starts the service on the first connection, as a .socket unit
                // does: that connection waits in the socket's backlog while the JVM starts, then is served.
                assertEquals(port, stapled.awaitListeningPort(), stapled.output());
                early.setSoTimeout(30_000);
                assertEquals(200, KeepAliveLoad.get(KeepAliveLoad.trusting(d.root.certificate()), early));
                assertTrue(stapled.output().contains("frontend https: using systemd socket 3 (name https)"),
                        stapled.output());
                try (TlsTestClient client = new TlsTestClient();
                     TlsTestClient.Connection c = client.open(port, "a.test", true, d.root.certificate())) {
                    assertNotNull(c.ocspResponse(), "stapled from the first handshake on the inherited socket");
                    assertEquals(200, c.get("/").status());
                }
            }
            int other = freePort();
            try (StapledProcess stapled = StapledProcess.start(logs.resolve("unmatched.log"), Map.of(),
                    List.of(activate, "--listen=127.0.0.1:" + other, "--fdname=admin"),
                    "run", "--config", config.toString());
                 java.net.Socket early = connectWhenListening(stapled, other)) {
                assertTrue(stapled.awaitExit(StapledProcess.START), stapled.output());
                assertTrue(stapled.process.exitValue() != 0, stapled.output());
                assertTrue(stapled.output().contains("systemd socket activation: systemd socket 3 (name admin) bound to /127.0.0.1:"
                        + other + " matches no frontend by name (FileDescriptorName= the frontend's name) or by bind address"),
                        stapled.output());
            }
        }
    }

    /** Connects once systemd-socket-activate listens, which makes it start stapled. */
    private static java.net.Socket connectWhenListening(StapledProcess activate, int port) throws Exception {
        activate.awaitLog("Listening on 127.0.0.1:" + port);
        java.net.Socket s = new java.net.Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        return s;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
