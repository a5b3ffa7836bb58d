package io.stapled.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.sun.management.UnixOperatingSystemMXBean;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.stapled.config.HostPort;
import io.stapled.config.RuntimeApiConfig;
import io.stapled.net.Transport;
import io.stapled.testkit.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runtime API connections as a hostile local user makes them: thousands that open and close without
 * a byte, more at once than the cap; each is released at once rather than at the idle timeout, which
 * is a minute here so that it cannot be what frees them.
 */
@Timeout(120)
class RuntimeApiConnectionsTest {
    private static final Duration IDLE = Duration.ofSeconds(60);
    private static final Duration PROMPTLY = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    static Stream<Transport> transports() {
        return Epoll.isAvailable() ? Stream.of(Transport.best(), Transport.nio()) : Stream.of(Transport.nio());
    }

    private static RuntimeApiContext context() {
        return RuntimeApiContext.builder(RuntimeApiFixture.process()).build();
    }

    private RuntimeApiConfig config(HostPort tcp, int maxConnections) {
        return new RuntimeApiConfig(dir.resolve("api.sock"), "0600", "admin", tcp, IDLE, 1024, maxConnections);
    }

    private static long openDescriptors() {
        return ((UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getOpenFileDescriptorCount();
    }

    /** A closed connection may already refuse the write; what it then reads is the point. */
    private static void writeUnlessClosed(CliClient c, String text) {
        try {
            c.write(text);
        } catch (IOException closed) {
            // closed by the server before the write: as expected
        }
    }

    /**
     * Waits until the churn's connections still queued in the listen backlog have been accepted (and,
     * while the cap was reached, refused): nothing open and the refused count steady.
     */
    private static void settle(RuntimeApiServer server) throws InterruptedException {
        long deadline = System.nanoTime() + PROMPTLY.toNanos();
        long last = -1;
        while (true) {
            long now = server.refusedConnections();
            if (now == last && server.openConnections() == 0) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the runtime API did not settle: open " + server.openConnections());
            }
            last = now;
            Thread.sleep(200);
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void connectionsClosedWithoutAByteAreReleasedAtOnce(Transport t) throws Exception {
        EventLoopGroup group = t.newGroup(1, "cli-" + t.name());
        try (RuntimeApiServer server = RuntimeApiServer.start(config(new HostPort("127.0.0.1", 0), 10), context(),
                group, t)) {
            Path socket = server.socket();
            InetSocketAddress tcp = (InetSocketAddress) server.localAddresses().get(1);
            assertEquals("0.1.0-test\n\n", CliClient.send(socket, "show version\n"));
            Poll.until(PROMPTLY, "first connection gone", () -> server.openConnections() == 0);
            long before = openDescriptors();

            for (int i = 0; i < 2000; i++) {
                try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    ch.connect(UnixDomainSocketAddress.of(socket));
                }
            }
            Poll.until(PROMPTLY, "unix connections released (open: " + server.openConnections() + ")",
                    () -> server.openConnections() == 0);
            for (int i = 0; i < 2000; i++) {
                try (Socket s = new Socket()) {
                    if (i % 2 == 0) {
                        s.setSoLinger(true, 0); // close with a reset rather than a FIN
                    }
                    s.connect(tcp, 5_000);
                }
            }
            Poll.until(PROMPTLY, "tcp connections released (open: " + server.openConnections() + ")",
                    () -> server.openConnections() == 0);
            settle(server);
            Poll.until(PROMPTLY, "descriptors back to " + before + " (now " + openDescriptors() + ")",
                    () -> openDescriptors() <= before + 20);

            assertEquals("0.1.0-test\n\n", Socat.run(socket, "show version\n"), "socat, which half-closes, still works");
            assertEquals("admin\n\n", Socat.shell(socket, dir, "echo 'show cli level' | socat - UNIX-CONNECT:$SOCK"));
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void halfClosedInteractiveSessionGetsItsAnswersThenIsClosed(Transport t) throws Exception {
        EventLoopGroup group = t.newGroup(1, "cli-" + t.name());
        try (RuntimeApiServer server = RuntimeApiServer.start(config(null, 10), context(), group, t);
             CliClient c = CliClient.connect(server.socket())) {
            c.write("prompt\nshow version\nshow cli level\n");
            c.shutdownOutput();
            assertEquals("\n> 0.1.0-test\n\n> admin\n\n> ", c.readToEof(PROMPTLY),
                    "every command sent before the EOF is answered, then the connection closes");
            Poll.until(PROMPTLY, "connection released", () -> server.openConnections() == 0);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void connectionsOverTheCapAreClosedAtAcceptAndServedAgainOnceOneCloses(Transport t) throws Exception {
        EventLoopGroup group = t.newGroup(1, "cli-" + t.name());
        List<CliClient> idle = new ArrayList<>();
        try (RuntimeApiServer server = RuntimeApiServer.start(config(new HostPort("127.0.0.1", 0), 10), context(),
                group, t)) {
            for (int i = 0; i < 10; i++) {
                idle.add(CliClient.connect(server.socket()));
            }
            Poll.until(PROMPTLY, "ten connections accepted", () -> server.openConnections() == 10);

            try (CliClient eleventh = CliClient.connect(server.socket())) {
                writeUnlessClosed(eleventh, "show version\n");
                assertTrue(eleventh.closedWithin(PROMPTLY), "the eleventh connection is closed at once");
                assertEquals("", eleventh.text(), "and gets no answer");
            }
            InetSocketAddress tcp = (InetSocketAddress) server.localAddresses().get(1);
            try (Socket overTcp = new Socket()) {
                overTcp.connect(tcp, 5_000);
                overTcp.setSoTimeout(5_000);
                InputStream in = overTcp.getInputStream();
                assertEquals(-1, in.read(), "the cap covers the TCP listener too");
            }
            assertEquals(2, server.refusedConnections());
            assertEquals(10, server.openConnections());
            assertFalse(idle.get(0).closedWithin(Duration.ofMillis(200)), "the ten are left alone");

            idle.remove(0).close();
            Poll.until(PROMPTLY, "a slot freed", () -> server.openConnections() == 9);
            assertEquals("0.1.0-test\n\n", CliClient.send(server.socket(), "show version\n"));
            try (CliClient still = idle.get(1)) {
                still.write("show cli level\n");
                assertEquals("admin\n\n", still.readToEof(PROMPTLY), "the held connections are served normally");
            }
        } finally {
            for (CliClient c : idle) {
                c.close();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void connectionsAreRefusedWhileTheProcessIsShortOfDescriptors() throws Exception {
        Transport t = Transport.best();
        EventLoopGroup group = t.newGroup(1, "cli-fd");
        ExecutorService worker = Executors.newSingleThreadExecutor();
        long[] open = {19_990};
        try {
            DescriptorHeadroom headroom = new DescriptorHeadroom(() -> open[0], () -> 20_000, Runnable::run);
            try (RuntimeApiServer server = RuntimeApiServer.start(config(null, 10),
                    StandardCommands.registry(context(), worker), group, t, RuntimeApiFixture.process().startTime(),
                    headroom)) {
                try (CliClient c = CliClient.connect(server.socket())) {
                    writeUnlessClosed(c, "show version\n");
                    assertTrue(c.closedWithin(PROMPTLY), "refused: the frontends need the last descriptors");
                    assertEquals("", c.text());
                }
                assertEquals(1, server.refusedConnections());
                assertEquals(0, server.openConnections());
            }
            assertEquals(1000, DescriptorHeadroom.reserve(20_000));
            assertEquals(64, DescriptorHeadroom.reserve(256));
            assertEquals(102, DescriptorHeadroom.reserve(1024));
        } finally {
            worker.shutdownNow();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void plentyOfDescriptorsLeavesConnectionsAlone() throws Exception {
        DescriptorHeadroom plenty = new DescriptorHeadroom(() -> 100, () -> 20_000, Runnable::run);
        DescriptorHeadroom unknown = new DescriptorHeadroom(() -> -1, () -> -1, Runnable::run);
        DescriptorHeadroom tight = new DescriptorHeadroom(() -> 19_001, () -> 20_000, Runnable::run);
        assertFalse(plenty.low());
        assertFalse(unknown.low(), "where the JVM cannot count, never refuse");
        assertTrue(tight.low());
    }
}
