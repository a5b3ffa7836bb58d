package io.stapled.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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

    private int awaitListeningPort(Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && process.isAlive()) {
            Matcher m = LISTENING.matcher(Files.exists(log) ? Files.readString(log) : "");
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
            Thread.sleep(50);
        }
        throw new AssertionError("stapled did not start listening:\n" + Files.readString(log));
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
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "stapled did not exit after SIGTERM");
            String output = Files.readString(log);
            assertEquals(0, process.exitValue(), "a graceful stop exits 0:\n" + output);
            assertTrue(output.contains("stopping: no new connections"), output);
            assertTrue(output.strip().endsWith("stopped"), output);
        }
    }
}
