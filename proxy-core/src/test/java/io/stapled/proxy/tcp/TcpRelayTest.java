package io.stapled.proxy.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

import javax.net.ssl.SSLSocket;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.stapled.config.BackendConfig.Balance;
import io.stapled.config.HostPort;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.backend.BackendServer;
import io.stapled.proxy.backend.Blackhole;
import io.stapled.testing.LoopbackServer;
import io.stapled.testkit.Poll;
import io.stapled.testing.EventLoopGroupExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class TcpRelayTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    @RegisterExtension
    static final EventLoopGroupExtension loops = new EventLoopGroupExtension(2);

    /** The YAML of backend {@code app} for {@link TlsRelayFront}: servers s1, s2, ... at {@code servers}. */
    static String backend(Balance balance, Duration serverTimeout, HostPort... servers) {
        return backend(balance, Duration.ofSeconds(2), serverTimeout, "", servers);
    }

    static String backend(Balance balance, Duration connectTimeout, Duration serverTimeout, HostPort... servers) {
        return backend(balance, connectTimeout, serverTimeout, "", servers);
    }

    static String backend(Balance balance, Duration connectTimeout, Duration serverTimeout, String healthCheck,
                          HostPort... servers) {
        StringBuilder yaml = new StringBuilder("  - name: app\n")
                .append("    balance: ").append(balance.name().toLowerCase(java.util.Locale.ROOT)).append('\n')
                .append("    connect_timeout: ").append(connectTimeout.toMillis()).append("ms\n")
                .append("    server_timeout: ").append(serverTimeout.toMillis()).append("ms\n");
        if (!healthCheck.isEmpty()) {
            yaml.append("    health_check: ").append(healthCheck).append('\n');
        }
        yaml.append("    servers:\n");
        for (int i = 0; i < servers.length; i++) {
            yaml.append("      - { name: s").append(i + 1).append(", address: ").append(servers[i].host())
                    .append(':').append(servers[i].port()).append(" }\n");
        }
        return yaml.toString();
    }

    static String backend(HostPort... servers) {
        return backend(Balance.ROUNDROBIN, Duration.ofSeconds(30), servers);
    }

    static byte[] readFully(InputStream in, int n) throws IOException {
        byte[] out = new byte[n];
        int off = 0;
        while (off < n) {
            int r = in.read(out, off, n - off);
            if (r < 0) {
                throw new IOException("closed after " + off + " of " + n + " bytes");
            }
            off += r;
        }
        return out;
    }

    /** The proxy closed the connection: end of stream or a reset, not a read timeout. */
    static void assertClosedByProxy(SSLSocket socket) throws IOException {
        try {
            int r = socket.getInputStream().read();
            assertEquals(-1, r, "expected the proxy to close the connection");
        } catch (SocketTimeoutException e) {
            fail("the proxy did not close the connection");
        } catch (IOException expected) {
            // reset or TLS alert: closed as well
        }
    }

    /**
     * The real server closes once its side of the handshake is done; the JDK client may still be reading
     * the end of it (TLS 1.3 tickets) and then sees the close during {@code startHandshake}: closed as well.
     */
    static void assertClosedAtOrAfterHandshake(TlsRelayFront front) throws IOException {
        SSLSocket client;
        try {
            client = front.connect();
        } catch (javax.net.ssl.SSLException | java.net.SocketException closedDuringHandshake) {
            return;
        }
        try (client) {
            assertClosedByProxy(client);
        }
    }

    static void roundTrip(SSLSocket socket, String text) throws IOException {
        byte[] bytes = text.getBytes();
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
        assertArrayEquals(bytes, readFully(socket.getInputStream(), bytes.length));
    }

    @Test
    void relaysMegabytesBothWaysIntact() throws Exception {
        try (LoopbackServer echo = LoopbackServer.echo(loops.group())) {
            try (TlsRelayFront front = new TlsRelayFront(backend(echo.hostPort()), Duration.ofSeconds(30))) {
                BackendPool pool = front.pool();
                try (SSLSocket client = front.connect()) {
                    byte[] payload = new byte[4 * 1024 * 1024];
                    new Random(42).nextBytes(payload);
                    OutputStream out = client.getOutputStream();
                    CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                        try {
                            for (int off = 0; off < payload.length; off += 16 * 1024) {
                                out.write(payload, off, 16 * 1024);
                            }
                            out.flush();
                        } catch (IOException e) {
                            throw new RuntimeException(e);
                        }
                    });
                    byte[] back = readFully(client.getInputStream(), payload.length);
                    writer.get(10, TimeUnit.SECONDS);
                    assertEquals(crc(payload), crc(back));
                    BackendServer s1 = pool.server("s1");
                    assertEquals(1, s1.activeConnections());
                    assertEquals(1, s1.totalConnections());
                }
                Poll.until(WAIT, "backend connection closed with the client",
                        () -> pool.server("s1").activeConnections() == 0);
            }
        }
    }

    @Test
    void slowReaderPausesTheBackendInsteadOfBuffering() throws Exception {
        long total = 64L * 1024 * 1024;
        byte[] chunk = new byte[64 * 1024];
        new Random(7).nextBytes(chunk);
        AtomicLong written = new AtomicLong();
        try (LoopbackServer firehose = LoopbackServer.of(loops.group(), () -> new Firehose(chunk, total, written))) {
            try (TlsRelayFront front = new TlsRelayFront(backend(firehose.hostPort()), Duration.ofSeconds(30));
                    SSLSocket client = front.connect(64 * 1024)) {
                Poll.until(WAIT, "backend starts writing", () -> written.get() > 0);
                // The client reads nothing: the backend's writes must stall once the socket buffers and
                // the relay's bounded outbound buffer are full. Without back-pressure the relay would
                // keep reading and the backend would push all 64 MiB into the proxy's memory.
                long plateau = awaitPlateau(written, Duration.ofMillis(400), Duration.ofSeconds(15));
                assertTrue(plateau < 32L * 1024 * 1024,
                        "backend wrote " + plateau + " bytes to a client that reads nothing");

                // Reading again resumes the flow, and every byte arrives in order.
                InputStream in = client.getInputStream();
                CRC32 got = new CRC32();
                byte[] buf = new byte[64 * 1024];
                long read = 0;
                while (read < total) {
                    int r = in.read(buf);
                    if (r < 0) {
                        fail("closed after " + read + " bytes");
                    }
                    got.update(buf, 0, r);
                    read += r;
                }
                CRC32 want = new CRC32();
                for (long i = 0; i < total / chunk.length; i++) {
                    want.update(chunk);
                }
                assertEquals(want.getValue(), got.getValue());
            }
        }
    }

    @Test
    void slowBackendPausesTheClientInsteadOfBuffering() throws Exception {
        long total = 64L * 1024 * 1024;
        AtomicLong received = new AtomicLong();
        java.util.concurrent.atomic.AtomicReference<io.netty.channel.Channel> backendSide =
                new java.util.concurrent.atomic.AtomicReference<>();
        try (LoopbackServer sink = LoopbackServer.of(loops.group(), () -> new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                ctx.channel().config().setAutoRead(false);
                backendSide.set(ctx.channel());
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                received.addAndGet(((io.netty.buffer.ByteBuf) msg).readableBytes());
                ReferenceCountUtil.release(msg);
            }
        })) {
            try (TlsRelayFront front = new TlsRelayFront(backend(sink.hostPort()), Duration.ofSeconds(30));
                    SSLSocket client = front.connect()) {
                Poll.until(WAIT, "relay connected", () -> backendSide.get() != null);
                AtomicLong sent = new AtomicLong();
                OutputStream out = client.getOutputStream();
                byte[] chunk = new byte[64 * 1024];
                CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                    try {
                        while (sent.get() < total) {
                            out.write(chunk);
                            sent.addAndGet(chunk.length);
                        }
                        out.flush();
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                });
                // The backend reads nothing: the client's writes must block once the buffers on the
                // way are full, instead of the relay reading all 64 MiB into memory.
                long plateau = awaitPlateau(sent, Duration.ofMillis(400), Duration.ofSeconds(15));
                assertTrue(plateau < 32L * 1024 * 1024, "client wrote " + plateau + " bytes to a backend that reads nothing");

                backendSide.get().config().setAutoRead(true);
                writer.get(20, TimeUnit.SECONDS);
                Poll.until(Duration.ofSeconds(20), "all bytes at the backend", () -> received.get() == total);
            }
        }
    }

    /** Waits until {@code counter} has not moved for {@code quiet}; returns its value then. */
    static long awaitPlateau(AtomicLong counter, Duration quiet, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long last = counter.get();
        long since = System.nanoTime();
        while (System.nanoTime() - since < quiet.toNanos()) {
            if (System.nanoTime() > deadline) {
                fail("counter never settled, at " + counter.get());
            }
            long now = counter.get();
            if (now != last) {
                last = now;
                since = System.nanoTime();
            }
            Thread.onSpinWait();
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
        return last;
    }

    @Test
    void aDownServerGetsNoTraffic() throws Exception {
        try (LoopbackServer a = LoopbackServer.echo(loops.group());
                LoopbackServer b = LoopbackServer.echo(loops.group())) {
            try (TlsRelayFront front = new TlsRelayFront(backend(a.hostPort(), b.hostPort()), Duration.ofSeconds(30))) {
                BackendPool pool = front.pool();
                pool.server("s1").setHealthy(false);
                for (int i = 0; i < 4; i++) {
                    try (SSLSocket client = front.connect()) {
                        roundTrip(client, "ping " + i);
                    }
                }
                assertEquals(0, a.accepted.get());
                assertEquals(4, b.accepted.get());

                pool.server("s1").setHealthy(true);
                for (int i = 0; i < 4; i++) {
                    try (SSLSocket client = front.connect()) {
                        roundTrip(client, "pong " + i);
                    }
                }
                assertEquals(2, a.accepted.get(), "round robin over both once s1 is back");
                assertEquals(6, b.accepted.get());
            }
        }
    }

    @Test
    void aServerMarkedDownByItsHealthCheckIsNotEvenTried() throws Exception {
        try (LoopbackServer a = LoopbackServer.echo(loops.group());
                LoopbackServer b = LoopbackServer.echo(loops.group())) {
            // the server runs the checks itself, as configured
            String checked = backend(Balance.ROUNDROBIN, Duration.ofSeconds(2), Duration.ofSeconds(30),
                    "{ type: tcp, interval: 100ms, timeout: 500ms, rise: 1, fall: 2 }", a.hostPort(), b.hostPort());
            try (TlsRelayFront front = new TlsRelayFront(checked, Duration.ofSeconds(30))) {
                BackendPool pool = front.pool();
                BackendServer s1 = pool.server("s1");
                a.stop();
                Poll.until(WAIT, "s1 marked down", () -> !s1.isHealthy());
                for (int i = 0; i < 4; i++) {
                    try (SSLSocket client = front.connect()) {
                        roundTrip(client, "moved " + i);
                    }
                }
                assertEquals(0, s1.failedConnects(), "no connect was attempted to the down server");
                assertEquals(4, pool.server("s2").totalConnections());

                a.restart();
                Poll.until(WAIT, "s1 back up", s1::isHealthy);
                for (int i = 0; i < 4; i++) {
                    try (SSLSocket client = front.connect()) {
                        roundTrip(client, "back " + i);
                    }
                }
                assertEquals(2, s1.totalConnections(), "s1 takes its share again");
            }
        }
    }

    @Test
    void leastConnSendsTheNextClientToTheIdleServer() throws Exception {
        try (LoopbackServer a = LoopbackServer.echo(loops.group());
                LoopbackServer b = LoopbackServer.echo(loops.group())) {
            TlsRelayFront front = new TlsRelayFront(backend(Balance.LEASTCONN, Duration.ofSeconds(30),
                    a.hostPort(), b.hostPort()), Duration.ofSeconds(30));
            BackendServer s1 = front.pool().server("s1");
            BackendServer s2 = front.pool().server("s2");
            try (front; SSLSocket first = front.connect()) {
                roundTrip(first, "hold");
                BackendServer busy = s1.activeConnections() == 1 ? s1 : s2;
                BackendServer idle = busy == s1 ? s2 : s1;
                assertEquals(1, busy.activeConnections());
                for (int i = 0; i < 3; i++) {
                    try (SSLSocket next = front.connect()) {
                        roundTrip(next, "next " + i);
                        assertEquals(1, idle.activeConnections(), "went to the idle server");
                    }
                    Poll.until(WAIT, "connection released", () -> idle.activeConnections() == 0);
                }
                assertEquals(3, idle.totalConnections());
                assertEquals(1, busy.totalConnections());
            }
        }
    }

    @Test
    void failedConnectIsRetriedOnAnotherServer() throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        try (LoopbackServer live = LoopbackServer.echo(loops.group())) {
            TlsRelayFront front = new TlsRelayFront(backend(new HostPort("127.0.0.1", deadPort), live.hostPort()),
                    Duration.ofSeconds(30));
            BackendPool pool = front.pool();
            try (front) {
                for (int i = 0; i < 4; i++) {
                    try (SSLSocket client = front.connect()) {
                        roundTrip(client, "retry " + i);
                    }
                }
            }
            assertTrue(pool.server("s1").failedConnects() >= 1, "s1 was tried and failed");
            assertEquals(0, pool.server("s1").totalConnections());
            assertEquals(4, pool.server("s2").totalConnections());
        }
    }

    @Test
    void connectTimeoutMovesTheClientToAnotherServer() throws Exception {
        try (Blackhole hole = new Blackhole(); LoopbackServer live = LoopbackServer.echo(loops.group())) {
            TlsRelayFront front = new TlsRelayFront(backend(Balance.ROUNDROBIN, Duration.ofMillis(300),
                    Duration.ofSeconds(30), hole.hostPort(), live.hostPort()), Duration.ofSeconds(30));
            BackendPool pool = front.pool();
            try (front) {
                for (int i = 0; i < 2; i++) {
                    try (SSLSocket client = front.connect()) {
                        long start = System.nanoTime();
                        roundTrip(client, "after timeout " + i);
                        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                        assertTrue(ms < 3_000, "took " + ms + "ms");
                    }
                }
            }
            // Without health checks the hanging server stays up: round robin sends each client there
            // first, the connect times out and the client is redispatched to s2.
            assertEquals(2, pool.server("s1").failedConnects());
            assertEquals(0, pool.server("s1").totalConnections());
            assertEquals(2, pool.server("s2").totalConnections());
        }
    }

    @Test
    void clientIsClosedWhenNoServerIsAvailableOrAllConnectsFail() throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        try (LoopbackServer a = LoopbackServer.echo(loops.group())) {
            try (TlsRelayFront front = new TlsRelayFront(backend(a.hostPort()), Duration.ofSeconds(30))) {
                front.pool().server("s1").setHealthy(false);
                assertClosedAtOrAfterHandshake(front);
            }
            assertEquals(0, a.accepted.get());
        }
        TlsRelayFront front = new TlsRelayFront(backend(new HostPort("127.0.0.1", deadPort),
                new HostPort("127.0.0.1", deadPort)), Duration.ofSeconds(30));
        BackendPool dead = front.pool();
        try (front) {
            assertClosedAtOrAfterHandshake(front);
        }
        assertEquals(2, dead.server("s1").failedConnects() + dead.server("s2").failedConnects(),
                "one try and one retry");
    }

    @Test
    void idleClientIsClosedAfterClientTimeout() throws Exception {
        try (LoopbackServer echo = LoopbackServer.echo(loops.group())) {
            try (TlsRelayFront front = new TlsRelayFront(backend(echo.hostPort()), Duration.ofMillis(300))) {
                try (SSLSocket client = front.connect()) {
                    roundTrip(client, "hello");
                    long start = System.nanoTime();
                    assertClosedByProxy(client);
                    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    assertTrue(ms >= 250, "closed after " + ms + "ms, before the timeout");
                }
                // while the server runs: its own stop would close the backend side regardless
                Poll.until(WAIT, "backend side closed too", () -> front.pool().server("s1").activeConnections() == 0);
            }
        }
    }

    @Test
    void idleServerIsClosedAfterServerTimeout() throws Exception {
        try (LoopbackServer echo = LoopbackServer.echo(loops.group())) {
            try (TlsRelayFront front = new TlsRelayFront(backend(Balance.ROUNDROBIN, Duration.ofMillis(300),
                    echo.hostPort()), Duration.ofSeconds(30));
                    SSLSocket client = front.connect()) {
                roundTrip(client, "hello");
                long start = System.nanoTime();
                assertClosedByProxy(client);
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(ms >= 250, "closed after " + ms + "ms, before the timeout");
            }
        }
    }

    @Test
    void backendCloseClosesTheClientAfterFlushing() throws Exception {
        byte[] goodbye = "goodbye\n".getBytes();
        try (LoopbackServer sayer = LoopbackServer.of(loops.group(), () -> new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                ctx.writeAndFlush(Unpooled.wrappedBuffer(goodbye))
                        .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
            }
        })) {
            try (TlsRelayFront front = new TlsRelayFront(backend(sayer.hostPort()), Duration.ofSeconds(30));
                    SSLSocket client = front.connect()) {
                assertArrayEquals(goodbye, readFully(client.getInputStream(), goodbye.length));
                assertClosedByProxy(client);
            }
        }
    }

    static long crc(byte[] b) {
        CRC32 c = new CRC32();
        c.update(b);
        return c.getValue();
    }

    /** Writes {@code total} bytes as fast as the channel takes them, pausing while it is unwritable. */
    static final class Firehose extends ChannelInboundHandlerAdapter {
        private final byte[] chunk;
        private final long total;
        private final AtomicLong written;
        private long sent;

        Firehose(byte[] chunk, long total, AtomicLong written) {
            this.chunk = chunk;
            this.total = total;
            this.written = written;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            pump(ctx);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            pump(ctx);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        private void pump(ChannelHandlerContext ctx) {
            while (ctx.channel().isWritable() && sent < total) {
                ctx.writeAndFlush(Unpooled.wrappedBuffer(chunk));
                sent += chunk.length;
                written.set(sent);
            }
        }
    }
}
