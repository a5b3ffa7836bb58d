package io.stapled.proxy.http;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;

import io.stapled.config.BackendConfig;
import io.stapled.net.Transport;
import io.stapled.proxy.backend.BackendServer;

/**
 * HTTP/2 connections to the servers with {@code proto: h2}, multiplexed: each exchange borrows one
 * stream ({@link Http2StreamChannel}, whose pipeline turns the exchange's HTTP/1.1 messages into frames
 * and back, {@link Http2BackendStreamCodec}), not a connection. Kept per event loop as the HTTP/1.1
 * pool is, so the lists are touched by one thread and need no lock, and a stream's connection runs on
 * its client's loop. A connection takes streams up to the server's {@code SETTINGS_MAX_CONCURRENT_STREAMS}
 * (and {@link Http2BackendConnection#MAX_STREAMS}); when every connection to the server is full,
 * another is opened. A connection with no stream open for the backend's {@code idle_timeout} is closed,
 * and so is one the server sent GOAWAY on, after its last stream.
 */
final class Http2BackendPool {
    static final String CODEC = "h2-codec";
    static final String STREAMS = "h2-streams";
    static final String CONNECTION = "h2-connection";
    /** The window each stream opens with (RFC 9113's default): what a server may send before we read. */
    static final int STREAM_WINDOW = 65_535;
    /**
     * The connection's receive window: room for every stream's window at once, so that streams whose
     * clients do not read (their windows held full) never stop the others on the same connection.
     */
    static final int CONNECTION_WINDOW = STREAM_WINDOW * Http2BackendConnection.MAX_STREAMS;
    private static final int MAX_HEADER_LIST_SIZE = 64 * 1024;

    private final BackendConfig config;
    private final Map<EventLoop, LoopConnections> loops = new ConcurrentHashMap<>();
    private final ChannelHandler streamInitializer = new ChannelInitializer<Http2StreamChannel>() {
        @Override
        protected void initChannel(Http2StreamChannel stream) {
            stream.pipeline().addLast(BackendConnectionPool.DECODER, new Http2BackendStreamCodec());
            stream.pipeline().addLast(BackendConnectionHandler.NAME, new BackendConnectionHandler(null));
        }
    };
    private volatile boolean closed;

    Http2BackendPool(BackendConfig config) {
        this.config = config;
    }

    /** A new stream to {@code server} on {@code client}'s event loop. On that loop. */
    Future<Channel> acquire(BackendServer server, Channel client) {
        return loops.computeIfAbsent(client.eventLoop(), LoopConnections::new).acquire(server, client);
    }

    /** Closes the connections with no stream open; busy ones close after their last stream. */
    void close() {
        closed = true;
        for (LoopConnections loop : loops.values()) {
            try {
                loop.loop.execute(loop::closeAll);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // That event loop is already shut down, and its channels were closed with it.
            }
        }
    }

    /** Connections with no stream open, across loops (racy sizes, for tests and stats). */
    int idleCount() {
        int n = 0;
        for (LoopConnections loop : loops.values()) {
            n += loop.idle;
        }
        return n;
    }

    /**
     * The pipeline of a new connection. TLS to an h2 server goes first: an {@code SslHandler} offering
     * ALPN {@code h2} only, whose handshake the preface waits behind; the connection is handed out once
     * the handshake selected h2 and the server's SETTINGS came ({@link Http2BackendConnection}), and the
     * streams' {@code :scheme} follows from the handler's presence ({@link Http2BackendStreamCodec}).
     */
    private void initConnection(Channel ch, Http2BackendConnection connection) {
        BackendServer server = connection.server();
        if (server.tls() != null) {
            // The binder made this context offer ALPN h2 only; the connection checks what was selected.
            ch.pipeline().addLast(BackendConnectionPool.TLS, server.tls().newHandler(ch.alloc(),
                    connection.target(), config.connectTimeout().toMillis()));
        }
        Http2Settings settings = Http2Settings.defaultSettings()
                .pushEnabled(false)
                .initialWindowSize(STREAM_WINDOW)
                .maxHeaderListSize(MAX_HEADER_LIST_SIZE);
        Http2FrameCodec codec = Http2FrameCodecBuilder.forClient()
                .initialSettings(settings)
                .validateHeaders(true)
                // We close a connection when it has no stream left: the GOAWAY goes, then the close.
                .gracefulShutdownTimeoutMillis(0)
                .build();
        ch.pipeline().addLast(CODEC, codec);
        ch.pipeline().addLast(STREAMS, new Http2MultiplexHandler(Http2BackendConnection.refusingInboundStreams()));
        ch.pipeline().addLast(CONNECTION, connection);
    }

    /** The connections of one event loop. */
    final class LoopConnections {
        final EventLoop loop;
        private final Map<BackendServer, List<Http2BackendConnection>> byServer = new HashMap<>();
        private final Map<Class<? extends Channel>, Bootstrap> bootstraps = new HashMap<>();
        /** Connections with no stream open; written on the loop, read racily by {@link #idleCount()}. */
        private volatile int idle;
        private ScheduledFuture<?> sweep;

        LoopConnections(EventLoop loop) {
            this.loop = loop;
        }

        boolean isClosed() {
            return closed;
        }

        String backendName() {
            return config.name();
        }

        long connectTimeoutNanos() {
            return Math.max(TimeUnit.MILLISECONDS.toNanos(1), config.connectTimeout().toNanos());
        }

        Future<Channel> acquire(BackendServer server, Channel client) {
            List<Http2BackendConnection> list = byServer.get(server);
            if (list != null) {
                // The oldest connection with room first: streams gather on few connections, and the
                // others go idle and are closed.
                for (Http2BackendConnection c : list) {
                    if (c.hasRoom()) {
                        return c.openStream();
                    }
                }
                for (Http2BackendConnection c : list) {
                    if (c.acceptsWaiter()) {
                        return c.awaitStream();
                    }
                }
            }
            return connect(server, client).awaitStream();
        }

        private Http2BackendConnection connect(BackendServer server, Channel client) {
            InetSocketAddress target = server.address();
            Http2BackendConnection connection = new Http2BackendConnection(this, server, target, streamInitializer);
            byServer.computeIfAbsent(server, s -> new ArrayList<>()).add(connection);
            ChannelFuture connect = bootstrap(client).clone().handler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    initConnection(ch, connection);
                }
            }).connect(target);
            connect.addListener(f -> {
                if (!f.isSuccess()) {
                    connection.fail(f.cause());
                }
            });
            return connection;
        }

        private Bootstrap bootstrap(Channel client) {
            return bootstraps.computeIfAbsent(Transport.socketChannelFor(client), t -> new Bootstrap()
                    .group(loop)
                    .channel(t)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                            Math.max(1, config.connectTimeout().toMillis())))
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.SO_KEEPALIVE, true));
        }

        /** An exchange that waited for a connection the server allows fewer streams on: another one. */
        void redispatch(BackendServer server, Promise<Channel> waiter, Channel like) {
            Future<Channel> f = acquire(server, like);
            f.addListener(done -> {
                if (done.isSuccess()) {
                    if (!waiter.trySuccess(f.getNow())) {
                        f.getNow().close();
                    }
                } else {
                    waiter.tryFailure(done.cause());
                }
            });
        }

        void idleChanged(int delta) {
            idle += delta;
            if (delta > 0 && sweep == null) {
                scheduleSweep(idleTimeoutNanos());
            }
        }

        /** A connection left the pool (failed or closed). */
        void removed(Http2BackendConnection connection) {
            List<Http2BackendConnection> list = byServer.get(connection.server());
            if (list != null && list.remove(connection) && list.isEmpty()) {
                byServer.remove(connection.server());
            }
        }

        /** Idle connections of {@code server} on this loop beyond {@code max_idle_per_server}: this one is not kept. */
        boolean tooManyIdle(BackendServer server) {
            List<Http2BackendConnection> list = byServer.get(server);
            int n = 0;
            if (list != null) {
                for (Http2BackendConnection c : list) {
                    if (c.idle()) {
                        n++;
                    }
                }
            }
            return n > config.maxIdlePerServer();
        }

        private long idleTimeoutNanos() {
            return Math.max(TimeUnit.MILLISECONDS.toNanos(1), config.idleTimeout().toNanos());
        }

        private void scheduleSweep(long delayNanos) {
            sweep = loop.schedule(this::closeExpired, delayNanos, TimeUnit.NANOSECONDS);
        }

        /** Closes the connections idle for the idle timeout and schedules itself for the next one to expire. */
        private void closeExpired() {
            sweep = null;
            long timeout = idleTimeoutNanos();
            long now = System.nanoTime();
            long next = Long.MAX_VALUE;
            for (Http2BackendConnection c : all()) {
                if (!c.idle()) {
                    continue;
                }
                long left = c.idleSinceNanos() + timeout - now;
                if (left <= 0 || c.server().isRemoved()) {
                    c.closeIfIdle();
                } else {
                    next = Math.min(next, left);
                }
            }
            if (next != Long.MAX_VALUE) {
                scheduleSweep(Math.max(1, next));
            }
        }

        void closeAll() {
            if (sweep != null) {
                sweep.cancel(false);
                sweep = null;
            }
            for (Http2BackendConnection c : all()) {
                c.closeIfIdle();
            }
        }

        private List<Http2BackendConnection> all() {
            List<Http2BackendConnection> out = new ArrayList<>();
            for (List<Http2BackendConnection> list : byServer.values()) {
                out.addAll(list);
            }
            return out;
        }
    }
}
