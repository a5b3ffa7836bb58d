package io.stapled.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.stapled.config.HostPort;
import io.stapled.config.RuntimeApiConfig;
import io.stapled.net.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The socket file's life: mode, stale file replaced, live owner refused, removal; on epoll and NIO. */
@Timeout(20)
class RuntimeApiSocketTest {
    @TempDir
    Path dir;

    static Stream<Transport> transports() {
        return Epoll.isAvailable() ? Stream.of(Transport.best(), Transport.nio()) : Stream.of(Transport.nio());
    }

    private static RuntimeApiContext context() {
        return RuntimeApiContext.builder(RuntimeApiFixture.process()).build();
    }

    private RuntimeApiServer start(Path socket, String mode, EventLoopGroup group, Transport t) throws IOException {
        return RuntimeApiServer.start(new RuntimeApiConfig(socket, mode, "admin", null, Duration.ofSeconds(5), 1024),
                context(), group, t);
    }

    @ParameterizedTest
    @MethodSource("transports")
    void socketHasItsModeServesAndIsRemovedOnClose(Transport t) throws IOException {
        EventLoopGroup group = t.newGroup(1, "cli-" + t.name());
        try {
            Path socket = dir.resolve("a.sock");
            RuntimeApiServer server = start(socket, "0600", group, t);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            assertEquals("0.1.0-test\n\n", CliClient.send(socket, "show version\n"));
            try (Stream<Path> files = Files.list(dir)) {
                assertEquals(List.of(socket), files.toList(), "no temporary file is left behind");
            }
            server.close();
            assertFalse(Files.exists(socket), "socket file removed on close");

            Path other = dir.resolve("b.sock");
            RuntimeApiServer group660 = start(other, "660", group, t);
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(other)));
            group660.close();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void staleSocketFromACrashedRunIsReplaced(Transport t) throws IOException {
        Path socket = dir.resolve("stale.sock");
        try (ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            crashed.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket), "the JDK leaves the file behind, as a crashed process would");
        EventLoopGroup group = t.newGroup(1, "cli-" + t.name());
        try (RuntimeApiServer server = start(socket, "0600", group, t)) {
            assertEquals("admin\n\n", CliClient.send(socket, "show cli level\n"));
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void liveSocketOfAnotherProcessIsNotStolen(Transport t) throws IOException {
        Path socket = dir.resolve("live.sock");
        EventLoopGroup group = t.newGroup(1, "cli-" + t.name());
        try (RuntimeApiServer first = start(socket, "0600", group, t)) {
            IOException e = assertThrows(IOException.class, () -> start(socket, "0600", group, t));
            assertTrue(e.getMessage().contains(socket.toString()) && e.getMessage().contains("in use"), e.getMessage());
            assertEquals("admin\n\n", CliClient.send(socket, "show cli level\n"), "the first server still answers");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void regularFileAtTheSocketPathIsNotDeleted() throws IOException {
        Path socket = dir.resolve("file.sock");
        Files.writeString(socket, "precious");
        Transport t = Transport.nio();
        EventLoopGroup group = t.newGroup(1, "cli-nio");
        try {
            IOException e = assertThrows(IOException.class, () -> start(socket, "0600", group, t));
            assertTrue(e.getMessage().contains("is not a socket"), e.getMessage());
            assertEquals("precious", Files.readString(socket));
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void badModeAndMissingDirectoryAreClearErrors() {
        Transport t = Transport.nio();
        EventLoopGroup group = t.newGroup(1, "cli-nio");
        try {
            IllegalArgumentException mode = assertThrows(IllegalArgumentException.class,
                    () -> start(dir.resolve("m.sock"), "rw-r", group, t));
            assertTrue(mode.getMessage().contains("'rw-r'"), mode.getMessage());
            IOException missing = assertThrows(IOException.class,
                    () -> start(dir.resolve("nope/x.sock"), "0600", group, t));
            assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void loopbackTcpListenerSpeaksTheSameProtocolAndOthersAreRefused() throws IOException {
        Transport t = Transport.best();
        EventLoopGroup group = t.newGroup(1, "cli-tcp");
        try {
            RuntimeApiConfig cfg = new RuntimeApiConfig(null, "0600", "operator", new HostPort("127.0.0.1", 0),
                    Duration.ofSeconds(5), 1024);
            try (RuntimeApiServer server = RuntimeApiServer.start(cfg, context(), group, t)) {
                InetSocketAddress addr = (InetSocketAddress) server.localAddresses().get(0);
                try (Socket s = new Socket(addr.getAddress(), addr.getPort())) {
                    s.setSoTimeout(5000);
                    OutputStream out = s.getOutputStream();
                    out.write("show cli level\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    s.shutdownOutput();
                    InputStream in = s.getInputStream();
                    assertEquals("operator\n\n", new String(in.readAllBytes(), StandardCharsets.US_ASCII));
                }
            }
            RuntimeApiConfig open = new RuntimeApiConfig(null, "0600", "admin", new HostPort("0.0.0.0", 0),
                    Duration.ofSeconds(5), 1024);
            IOException e = assertThrows(IOException.class, () -> RuntimeApiServer.start(open, context(), group, t));
            assertTrue(e.getMessage().contains("not a loopback"), e.getMessage());
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
