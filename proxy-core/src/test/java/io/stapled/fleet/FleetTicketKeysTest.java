package io.stapled.fleet;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.server.StartupException;
import io.stapled.testing.ExternalTool;
import io.stapled.testkit.Poll;

/** Shared session-ticket keys: a session from one instance resumes on another, for two rotations. */
class FleetTicketKeysTest {
    @TempDir
    Path dir;

    private Path fleetKey() throws IOException {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Files.writeString(dir.resolve("fleet.key"), Base64.getEncoder().encodeToString(key) + "\n");
    }

    private String sClient(Fleet fleet, String node, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + fleet.port(node),
                "-servername", "fleet.test", "-tls1_3"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            try {
                p.getInputStream().transferTo(out);
            } catch (IOException ignored) {
                // ended
            }
        });
        reader.start();
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("openssl s_client did not finish: " + out);
        }
        reader.join(5000);
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static long rotation(Fleet fleet, String node) {
        Long r = fleet.servers.get(node).fleet().ticketKeyRotation("https");
        return r == null ? -1 : r;
    }

    @Test
    void aSessionFromInstanceAResumesOnInstanceBUntilTwoRotations() throws Exception {
        ExternalTool.assumeInstalled("openssl");
        try (Fleet fleet = new Fleet(dir, Duration.ofHours(1))) {
            fleet.frontendExtra = "tls: { ticket_key_rotation: 3s }";
            fleet.fleetExtra = "ticket_key_file: " + fleetKey() + "\n";
            fleet.start("a");
            fleet.start("b");
            fleet.fleetExtra = ""; // c is in the fleet for staples only: its ticket keys are its own
            fleet.start("c");

            Path session = dir.resolve("session");
            long r0 = Math.max(rotation(fleet, "a"), rotation(fleet, "b"));
            Poll.until(Duration.ofSeconds(5), "a and b on the same key set", () -> rotation(fleet, "a") == rotation(fleet, "b"));
            String first = sClient(fleet, "a", "-sess_out", session.toString());
            assertTrue(first.contains("New, TLSv1.3"), first);
            String onB = sClient(fleet, "b", "-sess_in", session.toString());
            assertTrue(onB.contains("Reused, TLSv1.3"), "a's session must resume on b: " + onB);
            String onC = sClient(fleet, "c", "-sess_in", session.toString());
            assertTrue(onC.contains("New, TLSv1.3"), "c does not share ticket keys: " + onC);
            assertNull(fleet.servers.get("c").fleet().ticketKeyRotation("https"));

            long r1 = Poll.within(Duration.ofSeconds(10), () -> rotation(fleet, "a") > r0 && rotation(fleet, "b") > r0)
                    ? rotation(fleet, "b") : -1;
            assertTrue(r1 > r0, "no rotation seen");
            String afterOne = sClient(fleet, "b", "-sess_in", session.toString());
            assertTrue(afterOne.contains("Reused, TLSv1.3"), "one rotation later the ticket still resumes: " + afterOne);

            Poll.until(Duration.ofSeconds(10), "a second rotation on a and b",
                    () -> rotation(fleet, "a") > r1 && rotation(fleet, "b") > r1);
            String afterTwo = sClient(fleet, "a", "-sess_in", session.toString());
            assertTrue(afterTwo.contains("New, TLSv1.3"), "a ticket two rotations old is refused: " + afterTwo);
        }
    }

    /** issue 14's benchmark: a client alternating between two instances resumes (target: at least 99 %). */
    @Test
    void aClientAlternatingBetweenTwoInstancesResumesEveryTime() throws Exception {
        ExternalTool.assumeInstalled("openssl");
        try (Fleet fleet = new Fleet(dir, Duration.ofHours(1))) {
            fleet.fleetExtra = "ticket_key_file: " + fleetKey() + "\n";
            fleet.start("a");
            fleet.start("b");
            Path session = dir.resolve("session");
            assertTrue(sClient(fleet, "a", "-sess_out", session.toString()).contains("New, TLSv1.3"));
            int rounds = 100;
            int reused = 0;
            for (int i = 0; i < rounds; i++) {
                if (sClient(fleet, i % 2 == 0 ? "b" : "a", "-sess_in", session.toString()).contains("Reused, TLSv1.3")) {
                    reused++;
                }
            }
            System.out.println("fleet benchmark: resumed " + reused + " of " + rounds + " handshakes alternating a/b");
            assertTrue(reused >= 99, "resumed only " + reused + " of " + rounds);
        }
    }

    @Test
    void aFleetKeyOfTheWrongSizeIsAConfigError() throws Exception {
        try (Fleet fleet = new Fleet(dir, Duration.ofHours(1))) {
            Path key = Files.writeString(dir.resolve("short.key"), Base64.getEncoder().encodeToString(new byte[16]));
            fleet.fleetExtra = "ticket_key_file: " + key + "\n";
            StartupException e = assertThrows(StartupException.class, () -> fleet.start("a"));
            assertTrue(e.getMessage().matches("(?s).*stapled\\.yaml:\\d+ fleet\\.ticket_key_file: .*short\\.key holds 16 bytes,"
                    + " a fleet key is 32 \\(openssl rand -base64 32\\).*"), e.getMessage());
        }
    }
}
