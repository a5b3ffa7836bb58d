package io.stapled.admin;

import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.timeout.IdleStateHandler;
import io.stapled.config.RuntimeApiConfig;
import io.stapled.net.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HAProxy's stats socket for stapled: a unix socket (and optionally a loopback TCP port) speaking
 * the runtime API text protocol. The socket file gets its mode before anyone can connect (it is bound
 * under a temporary name, chmod-ed, then renamed into place, as HAProxy does), a stale file left by a
 * crashed process is replaced, a live one makes start fail, and the file is removed on close.
 * Connections are capped over both listeners together, and refused while descriptors run short
 * ({@link AdminConnectionGate}).
 */
public final class RuntimeApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RuntimeApiServer.class);

    /** HAProxy's tune.bufsize: the longest command line. */
    public static final int MAX_LINE = 16384;
    static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(10);
    static final int DEFAULT_MAX_PAYLOAD = 128 * 1024;
    /** sun_path holds 108 bytes with its terminating NUL. */
    private static final int MAX_SUN_PATH = 107;

    private final List<Channel> channels;
    private final Path socket;
    private final Object socketKey;
    private final AdminConnectionGate gate;
    private Runnable onClose = () -> { };

    private RuntimeApiServer(List<Channel> channels, Path socket, Object socketKey, AdminConnectionGate gate) {
        this.channels = channels;
        this.socket = socket;
        this.socketKey = socketKey;
        this.gate = gate;
    }

    /**
     * Binds the configured socket (and TCP address) and serves {@code context} with the standard
     * commands.
     *
     * @throws IOException if the socket path is in use by a live process, is not a socket, or cannot
     *                     be bound; the message names the path
     */
    public static RuntimeApiServer start(RuntimeApiConfig config, RuntimeApiContext context,
                                         EventLoopGroup group, Transport transport) throws IOException {
        return start(config, context, group, transport, false);
    }

    /**
     * As {@link #start(RuntimeApiConfig, RuntimeApiContext, EventLoopGroup, Transport)}; with
     * {@code replaceLive} the socket file of a process still answering on it is replaced instead of
     * refused: the process being taken over keeps serving its open connections and, since the file is
     * no longer its own, leaves it in place when it stops.
     */
    public static RuntimeApiServer start(RuntimeApiConfig config, RuntimeApiContext context,
                                         EventLoopGroup group, Transport transport, boolean replaceLive)
            throws IOException {
        ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "stapled-cli-worker");
            t.setDaemon(true);
            return t;
        });
        try {
            RuntimeApiServer server = start(config, StandardCommands.registry(context, worker), group, transport,
                    context.process().startTime(), DescriptorHeadroom.ofProcess(ForkJoinPool.commonPool()),
                    replaceLive);
            server.onClose = worker::shutdownNow;
            return server;
        } catch (IOException | RuntimeException e) {
            worker.shutdownNow();
            throw e;
        }
    }

    /** As {@link #start(RuntimeApiConfig, RuntimeApiContext, EventLoopGroup, Transport)} with any command set. */
    public static RuntimeApiServer start(RuntimeApiConfig config, CommandRegistry registry,
                                         EventLoopGroup group, Transport transport, Instant startTime)
            throws IOException {
        return start(config, registry, group, transport, startTime, DescriptorHeadroom.ofProcess(ForkJoinPool.commonPool()),
                false);
    }

    static RuntimeApiServer start(RuntimeApiConfig config, CommandRegistry registry, EventLoopGroup group,
                                  Transport transport, Instant startTime, DescriptorHeadroom headroom)
            throws IOException {
        return start(config, registry, group, transport, startTime, headroom, false);
    }

    private static RuntimeApiServer start(RuntimeApiConfig config, CommandRegistry registry, EventLoopGroup group,
                                          Transport transport, Instant startTime, DescriptorHeadroom headroom,
                                          boolean replaceLive)
            throws IOException {
        AdminConnectionGate gate = new AdminConnectionGate(
                config.maxConnections() > 0 ? config.maxConnections() : RuntimeApiConfig.DEFAULT_MAX_CONNECTIONS,
                headroom);
        CliLevel level = CliLevel.parse(config.level());
        Set<PosixFilePermission> mode = modeOf(config.mode());
        Duration idle = config.idleTimeout() == null || config.idleTimeout().isZero()
                ? DEFAULT_IDLE_TIMEOUT : config.idleTimeout();
        int maxPayload = config.maxPayload() > 0 ? config.maxPayload() : DEFAULT_MAX_PAYLOAD;
        ChannelInitializer<Channel> init = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                CliSession session = new CliSession(level, idle);
                CliHandler handler = new CliHandler(registry, session,
                        () -> Duration.between(startTime, Instant.now()).toSeconds());
                ch.pipeline()
                        .addLast(CliHandler.IDLE_HANDLER,
                                new IdleStateHandler(0, 0, idle.toMillis(), TimeUnit.MILLISECONDS))
                        .addLast("cli-decoder", new CliRequestDecoder(MAX_LINE, maxPayload, handler))
                        .addLast("cli", handler);
            }
        };

        List<Channel> bound = new ArrayList<>();
        Path socket = null;
        Object key = null;
        try {
            if (config.socket() != null) {
                socket = config.socket().toAbsolutePath();
                Channel ch = bindUnix(socket, mode, group, transport, gate, init, replaceLive);
                bound.add(ch);
                key = fileKey(socket);
                log.info("runtime API listening on {} (mode {}, level {})", socket,
                        PosixFilePermissions.toString(mode), level.word());
            }
            if (config.tcp() != null) {
                if (!InetAddress.getByName(config.tcp().host()).isLoopbackAddress()) {
                    throw new IOException("runtime API tcp address " + config.tcp()
                            + " is not a loopback address; the runtime API has no authentication");
                }
                Channel ch = new ServerBootstrap().group(group).channel(transport.serverChannel())
                        .handler(gate)
                        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                        .childHandler(init)
                        .bind(config.tcp().toSocketAddress()).syncUninterruptibly().channel();
                bound.add(ch);
                log.info("runtime API listening on tcp {}", ch.localAddress());
            }
        } catch (IOException | RuntimeException e) {
            for (Channel ch : bound) {
                ch.close().syncUninterruptibly();
            }
            if (socket != null && key != null) {
                deleteIfSame(socket, key);
            }
            if (e instanceof IOException io) {
                throw io;
            }
            throw new IOException("runtime API: cannot listen: " + e.getMessage(), e);
        }
        return new RuntimeApiServer(List.copyOf(bound), socket, key, gate);
    }

    private static Channel bindUnix(Path socket, Set<PosixFilePermission> mode, EventLoopGroup group, Transport transport,
                                    AdminConnectionGate gate, ChannelInitializer<Channel> init, boolean replaceLive)
            throws IOException {
        refuseLiveOrForeign(socket, replaceLive);
        Path tmp = socket.resolveSibling(socket.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        if (tmp.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SUN_PATH) {
            // No room for a temporary name: bind in place (the stale file, if any, was checked above).
            Files.deleteIfExists(socket);
            tmp = socket;
        }
        Files.deleteIfExists(tmp);
        boolean epoll = "epoll".equals(transport.name());
        Class<? extends ServerChannel> type = epoll
                ? EpollServerDomainSocketChannel.class : NioServerDomainSocketChannel.class;
        SocketAddress address = epoll
                ? new DomainSocketAddress(tmp.toString()) : UnixDomainSocketAddress.of(tmp);
        Channel ch;
        try {
            ServerBootstrap b = new ServerBootstrap().group(group).channel(type).handler(gate).childHandler(init);
            if (epoll) {
                // The JDK's unix channel cannot half-close (Netty would warn once per connection); there
                // the reply to a half-closed client is written before the EOF is read, as long as the
                // command answers at once.
                b.childOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
            }
            ch = b.bind(address).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            throw new IOException("runtime API: cannot bind unix socket " + socket + ": " + e.getMessage(), e);
        }
        try {
            Files.setPosixFilePermissions(tmp, mode);
            // rename(2) is atomic: clients only ever see the socket with its final mode, and a stale
            // file from a crashed run is replaced in the same step.
            if (!tmp.equals(socket)) {
                Files.move(tmp, socket, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            ch.close().syncUninterruptibly();
            Files.deleteIfExists(tmp);
            throw new IOException("runtime API: cannot install unix socket " + socket + ": " + e.getMessage(), e);
        }
        return ch;
    }

    /** Fails if {@code socket} exists and is not a socket, or (unless {@code replaceLive}) if a live process answers on it. */
    private static void refuseLiveOrForeign(Path socket, boolean replaceLive) throws IOException {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            Path dir = socket.getParent();
            if (dir != null && !Files.isDirectory(dir)) {
                throw new IOException("runtime API socket " + socket + ": directory " + dir + " does not exist");
            }
            return;
        }
        if (Files.isRegularFile(socket, LinkOption.NOFOLLOW_LINKS) || Files.isDirectory(socket, LinkOption.NOFOLLOW_LINKS)
                || Files.isSymbolicLink(socket)) {
            throw new IOException("runtime API socket " + socket + " exists and is not a socket; refusing to replace it");
        }
        if (replaceLive) {
            log.info("runtime API socket {}: taking it over from the process being replaced", socket);
            return;
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException stale) {
            log.info("runtime API socket {} is stale (no process answers: {}); replacing it", socket, stale.getMessage());
            return;
        }
        throw new IOException("runtime API socket " + socket + " is in use by a running process; is another stapled running?");
    }

    static Set<PosixFilePermission> modeOf(String mode) {
        String m = mode == null || mode.isBlank() ? "0600" : mode.trim();
        int bits;
        try {
            bits = Integer.parseInt(m, 8);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("runtime API socket mode '" + mode + "' is not an octal mode like 0600");
        }
        if (bits < 0 || bits > 0777) {
            throw new IllegalArgumentException("runtime API socket mode '" + mode + "' is out of range 0000-0777");
        }
        StringBuilder rwx = new StringBuilder();
        String letters = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) {
            rwx.append((bits & (1 << (8 - i))) != 0 ? letters.charAt(i) : '-');
        }
        return PosixFilePermissions.fromString(rwx.toString());
    }

    private static Object fileKey(Path p) {
        try {
            Object k = Files.readAttributes(p, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS).fileKey();
            return k == null ? Boolean.TRUE : k;
        } catch (IOException e) {
            return null;
        }
    }

    /** Deletes the socket file only if it is still ours (not one a newer process put in its place). */
    private static void deleteIfSame(Path socket, Object key) {
        Object now = fileKey(socket);
        if (now != null && now.equals(key)) {
            try {
                Files.deleteIfExists(socket);
            } catch (IOException e) {
                log.warn("runtime API: cannot remove socket {}: {}", socket, e.getMessage());
            }
        }
    }

    /** The unix socket path, or null. */
    public Path socket() {
        return socket;
    }

    /** Runtime API connections open now, over the unix socket and the TCP address together. */
    public int openConnections() {
        return gate.open();
    }

    /** Connections closed at accept (the cap was reached, or descriptors ran short), since start. */
    public long refusedConnections() {
        return gate.refused();
    }

    /** The bound addresses (unix first, then TCP). */
    public List<SocketAddress> localAddresses() {
        List<SocketAddress> out = new ArrayList<>();
        for (Channel ch : channels) {
            out.add(ch.localAddress());
        }
        return out;
    }

    /** Stops listening and removes the socket file. Open connections are left to finish. */
    @Override
    public void close() {
        for (Channel ch : channels) {
            ch.close().syncUninterruptibly();
        }
        if (socket != null && socketKey != null) {
            deleteIfSame(socket, socketKey);
        }
        onClose.run();
        log.info("runtime API closed");
    }
}
