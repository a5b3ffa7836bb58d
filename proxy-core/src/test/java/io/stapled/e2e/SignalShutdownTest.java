package io.stapled.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import io.stapled.testkit.Poll;
import io.stapled.testkit.TlsTestClient;


/** {@code stapled run} as a real process: serves, and on SIGTERM drains and exits cleanly. */
class SignalShutdownTest {
    private static final Pattern LISTENING = Pattern.compile("frontend https listening on /127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path dir;

    private Process process;

    @AfterEach
    void tearDown() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    /**
     * Start-up of a second JVM (class loading, key generation, the OCSP startup wait) took over 30 s at a
     * load average of 25; these deadlines only bound a hang, and a process that dies ends the wait at once.
     */
    private static final Duration START = Duration.ofSeconds(75);
    private static final Duration EXIT = Duration.ofSeconds(40);

    private int awaitListeningPort(Path log) throws Exception {
        boolean ended = Poll.within(START, () -> !process.isAlive() || listeningPort(log) > 0);
        int port = listeningPort(log);
        if (port < 0) {
            throw new AssertionError("stapled did not start listening" + (ended ? " (exited)" : " within " + START)
                    + ":\n" + Files.readString(log));
        }
        return port;
    }

    private static int listeningPort(Path log) {
        try {
            Matcher m = LISTENING.matcher(Files.exists(log) ? Files.readString(log) : "");
            return m.find() ? Integer.parseInt(m.group(1)) : -1;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void sigtermStopsTheProcessGracefully() throws Exception {
        try (Deployment d = Deployment.create(dir)) {
            Path config = dir.resolve("stapled.yaml");
            Files.writeString(config, d.yaml(""));
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Path log = dir.resolve("stapled.log");
            process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    "io.stapled.cli.Main", "run", "--config", config.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            int p = awaitListeningPort(log);
            try (TlsTestClient client = new TlsTestClient();
                 TlsTestClient.Connection c = client.open(p, "a.test", true, d.root.certificate())) {
                assertTrue(c.ocspResponse() != null, "stapled as a process staples from the first handshake");
                assertEquals(200, c.get("/").status());
            }

            process.destroy(); // SIGTERM
            assertTrue(process.waitFor(EXIT.toMillis(), TimeUnit.MILLISECONDS), "stapled did not exit after SIGTERM");
            String output = Files.readString(log);
            assertEquals(0, process.exitValue(), "a graceful stop exits 0:\n" + output);
            assertTrue(output.contains("stopping: no new connections"), output);
            assertTrue(output.strip().endsWith("stopped"), output);
        }
    }
}
