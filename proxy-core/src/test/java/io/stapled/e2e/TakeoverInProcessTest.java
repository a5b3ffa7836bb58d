package io.stapled.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.net.Transport;
import io.stapled.server.ListenerSockets;
import io.stapled.server.ListenerTakeover;
import io.stapled.server.StapledServer;
import io.stapled.server.StartupException;
import io.stapled.testkit.TlsTestClient;

/**
 * The takeover's matching and refusals, with both servers in this JVM (the two-process upgrade under
 * load is {@link UpgradeTakeoverTest}): what {@code _getsocks} passes is the very socket, a frontend whose
 * bind moved binds its own, and an old process that does not expose its listeners, or NIO, fails clearly.
 */
class TakeoverInProcessTest {
    @TempDir
    Path dir;

    private static String api(Path socket, boolean expose) {
        return "runtime_api: { socket: " + socket + ", expose_listeners: " + expose + " }\n";
    }

    @Test
    void theTakenSocketIsTheOldOnesAndAMovedBindBindsItsOwn() throws Exception {
        try (Deployment d = Deployment.create(dir)) {
            Path socket = dir.resolve("api.sock");
            d.extraYaml = api(socket, true);
            StapledServer old = d.start("");
            int port = d.port();
            ListenerSockets taken = ListenerTakeover.fetch(socket);
            assertEquals(ProcessHandle.current().pid(), taken.previousPid(),
                    "the old process is found by the socket's peer credentials");
            try (StapledServer fresh = StapledServer.builder(d.config("")).listeners(taken).start()) {
                assertEquals(port, fresh.frontend("https").address().getPort());
                old.stop(java.time.Duration.ofSeconds(1)); // the old copy closes; the socket stays open
                d.server = null;
                try (TlsTestClient client = new TlsTestClient();
                     TlsTestClient.Connection c = client.open(port, "a.test", true, d.root.certificate())) {
                    assertEquals(200, c.get("/").status());
                }
                ListenerSockets again = ListenerTakeover.fetch(socket);
                // The config now binds a fixed port elsewhere: the name matches, the address does not.
                int elsewhere;
                try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
                    elsewhere = s.getLocalPort();
                }
                String moved = d.yaml("").replace("bind: 127.0.0.1:0", "bind: 127.0.0.1:" + elsewhere)
                        .replace(socket.toString(), dir.resolve("api2.sock").toString());
                try (StapledServer third = StapledServer.builder(io.stapled.config.ConfigLoader.parse(moved,
                        dir.resolve("moved.yaml"))).listeners(again).start()) {
                    assertEquals(elsewhere, third.frontend("https").address().getPort());
                    assertNotEquals(port, elsewhere);
                }
            }
        }
    }

    @Test
    void anOldProcessNotExposingItsListenersAndNioAreClearErrors() throws Exception {
        try (Deployment d = Deployment.create(dir)) {
            Path socket = dir.resolve("api.sock");
            d.extraYaml = api(socket, false);
            d.start("");
            StartupException e = assertThrows(StartupException.class, () -> ListenerTakeover.fetch(socket));
            assertTrue(e.getMessage().contains("it needs runtime_api.expose_listeners: true and level: admin"),
                    e.getMessage());
            d.stopServer();

            d.extraYaml = api(socket, true);
            d.start("");
            ListenerSockets taken = ListenerTakeover.fetch(socket);
            String other = d.yaml("").replace(socket.toString(), dir.resolve("api2.sock").toString());
            e = assertThrows(StartupException.class, () -> StapledServer.builder(
                    io.stapled.config.ConfigLoader.parse(other, dir.resolve("other.yaml")))
                    .transport(Transport.nio()).listeners(taken).start());
            assertTrue(e.getMessage().contains("can only be adopted with the epoll transport, not nio"), e.getMessage());
            e = assertThrows(StartupException.class, () -> ListenerTakeover.fetch(dir.resolve("absent.sock")));
            assertTrue(e.getMessage().contains("no such socket"), e.getMessage());
        }
    }
}
