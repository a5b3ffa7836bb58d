package io.stapled.proxy.http;

import static io.stapled.text.OneLine.oneLine;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;

import io.stapled.config.BackendConfig;
import io.stapled.net.Transport;
import io.stapled.proxy.backend.BackendServer;
import io.stapled.proxy.proxyprotocol.ProxyHeaders;

/**
 * Keep-alive connections to a backend's servers, kept per event loop. A client channel only ever
 * borrows from the pool of its own event loop, and the backend connections are registered on that
 * loop too, so the idle lists are touched by one thread only and need no lock; the only shared
 * structure is the map from loop to its pool, read lock-free.
 *
 * <p>{@code maxIdlePerServer} bounds the idle connections per server in each event loop's pool.
 *
 * <p>A connection to a server with {@code send_proxy} began with a PROXY header naming one client
 * connection, so it is private to that connection, as HAProxy makes such connections: kept between
 * that client's requests (up to {@link #MAX_PRIVATE_IDLE} idle) and closed with it, never lent to
 * another client.
 *
 * <p>A connection is only kept when the server sent nothing beyond the response that just ended, and a
 * kept one is closed on the first byte it reads while idle (see {@link BackendResponseDecoder}):
 * otherwise what the server sent too much would be read as the next client's response.
 */
final class BackendConnectionPool implements BackendConnections {
    private static final Logger LOG = LoggerFactory.getLogger(BackendConnectionPool.class);
    static final String DECODER = "http-decoder";
    static final String ENCODER = "http-encoder";
    static final String TLS = "tls";
    private static final int BACKEND_MAX_INITIAL_LINE = 16 * 1024;
    private static final int BACKEND_MAX_HEADER_SIZE = 64 * 1024;
    private static final int MAX_CHUNK_SIZE = 64 * 1024;
    /** Set on a connection once it has been parked idle: a later failure may be a keep-alive race. */
    static final AttributeKey<Boolean> REUSED = AttributeKey.valueOf("stapled.backend.reused");
    /** The address a connection was opened to: after {@code set server ... addr} it is not reused. */
    private static final AttributeKey<java.net.InetSocketAddress> TARGET = AttributeKey.valueOf("stapled.backend.target");
    /** On a send_proxy connection: the client connection its PROXY header named. */
    private static final AttributeKey<Channel> OWNER = AttributeKey.valueOf("stapled.backend.owner");
    /** On a client connection: its idle private (send_proxy) backend connections. */
    private static final AttributeKey<ArrayDeque<Idle>> PRIVATE = AttributeKey.valueOf("stapled.backend.private");
    /** Idle private connections kept per client connection (HAProxy's max-session-srv-conns default). */
    static final int MAX_PRIVATE_IDLE = 5;

    private final BackendConfig config;
    private final Map<EventLoop, LoopPool> pools = new ConcurrentHashMap<>();
    /** The servers with {@code proto: h2}: one stream per exchange on multiplexed connections. */
    private final Http2BackendPool http2;
    private volatile boolean closed;

    BackendConnectionPool(BackendConfig config) {
        this.config = config;
        this.http2 = new Http2BackendPool(config);
    }

    /**
     * A connection to {@code server} for a client on {@code client}'s event loop: an idle pooled one
     * if there is one, else a new connection. Must be called on that event loop.
     */
    @Override
    public Future<Channel> acquire(BackendServer server, Channel client) {
        if (server.proto() == BackendConfig.Protocol.H2) {
            return http2.acquire(server, client);
        }
        EventLoop loop = client.eventLoop();
        return pools.computeIfAbsent(loop, l -> new LoopPool(l)).acquire(server, client);
    }

    /** Returns a connection whose exchange finished cleanly; it is kept idle or closed. On its event loop. */
    @Override
    public void release(BackendServer server, Channel channel) {
        if (channel instanceof Http2StreamChannel) {
            channel.close(); // a stream is used once; its connection stays with the HTTP/2 pool
            return;
        }
        BackendResponseDecoder decoder = channel.pipeline().get(BackendResponseDecoder.class);
        if (decoder == null) {
            channel.close();
            return;
        }
        BackendServer.Discard leftover = decoder.leftover();
        if (leftover != null) {
            discard(channel, server, leftover, decoder.leftoverBytes());
            return;
        }
        LoopPool pool = pools.get(channel.eventLoop());
        if (pool == null || closed) {
            channel.close();
        } else {
            pool.release(server, channel, decoder);
        }
    }

    /**
     * Closes a connection on which {@code server} sent {@code bytes} that belong to no response:
     * counted per reason, logged once per server (a misbehaving server would otherwise flood the log).
     */
    void discard(Channel channel, BackendServer server, BackendServer.Discard reason, int bytes) {
        channel.close();
        if (server.connectionDiscarded(reason)) {
            LOG.warn("backend {} server {} sent {} bytes that belong to no response ({}): the connection is closed"
                    + " instead of reused; further cases are only counted"
                    + " (stapled_backend_server_connections_discarded_total)",
                    config.name(), server, bytes, reason.label());
        }
    }

    /** Closes every idle connection; connections in use close when their exchange ends. */
    @Override
    public void close() {
        closed = true;
        http2.close();
        for (LoopPool pool : pools.values()) {
            try {
                pool.loop.execute(pool::closeAll);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // That event loop is already shut down, and its channels were closed with it.
            }
        }
    }

    /** Idle connections across all loops, for tests and stats; reads racy sizes. */
    @Override
    public int idleCount() {
        int n = http2.idleCount();
        for (LoopPool pool : pools.values()) {
            n += pool.idleCount;
        }
        return n;
    }

    /**
     * The handlers of every backend connection (behind the {@code tls} handler of a TLS server, added at
     * connect): the response decoder (which also guards the pooled
     * connection), the request encoder, then the exchange's listener.
     */
    void initPipeline(ChannelPipeline pipeline) {
        BackendResponseDecoder decoder = new BackendResponseDecoder(new HttpDecoderConfig()
                .setMaxInitialLineLength(BACKEND_MAX_INITIAL_LINE)
                .setMaxHeaderSize(BACKEND_MAX_HEADER_SIZE)
                .setMaxChunkSize(MAX_CHUNK_SIZE), this);
        pipeline.addLast(DECODER, decoder);
        pipeline.addLast(ENCODER, new HttpRequestEncoder());
        pipeline.addLast(BackendConnectionHandler.NAME, new BackendConnectionHandler(decoder));
    }

    private final class LoopPool {
        private final EventLoop loop;
        private final Map<BackendServer, ArrayDeque<Idle>> idle = new HashMap<>();
        private final Map<Class<? extends Channel>, Bootstrap> bootstraps = new HashMap<>();
        private volatile int idleCount;
        /** One timer per loop for all idle connections instead of one scheduled and cancelled per use. */
        private ScheduledFuture<?> sweep;

        LoopPool(EventLoop loop) {
            this.loop = loop;
        }

        Future<Channel> acquire(BackendServer server, Channel client) {
            if (server.sendProxy() != null) {
                return acquirePrivate(server, client);
            }
            ArrayDeque<Idle> queue = idle.get(server);
            if (queue != null) {
                Idle entry;
                // Most recently used first: it is the least likely to have been closed by the server.
                while ((entry = queue.pollLast()) != null) {
                    idleCount--;
                    if (entry.channel.isActive() && current(server, entry.channel)) {
                        return loop.newSucceededFuture(entry.channel);
                    }
                    entry.channel.close();
                }
            }
            return connect(server, client, null);
        }

        /** A send_proxy connection: the client's own idle one to {@code server}, else a new one with its header. */
        private Future<Channel> acquirePrivate(BackendServer server, Channel client) {
            ArrayDeque<Idle> own = client.attr(PRIVATE).get();
            if (own != null) {
                for (Iterator<Idle> it = own.iterator(); it.hasNext(); ) {
                    Idle entry = it.next();
                    if (entry.server() == server) {
                        it.remove();
                        if (entry.channel.isActive() && current(server, entry.channel)) {
                            return loop.newSucceededFuture(entry.channel);
                        }
                        entry.channel.close();
                        break;
                    }
                }
            }
            return connect(server, client, client);
        }

        /**
         * A new connection to {@code server}, usable once connected and, over TLS, once the handshake is done.
         * With {@code proxyFor} set it is that client's own, and its first bytes are the PROXY header for it
         * (written straight to the socket on connect, ahead of the TLS handler's ClientHello).
         */
        private Future<Channel> connect(BackendServer server, Channel client, Channel proxyFor) {
            java.net.InetSocketAddress target = server.address();
            ChannelFuture connect = bootstrap(client).connect(target);
            connect.channel().attr(TARGET).set(target);
            if (proxyFor != null) {
                connect.channel().attr(OWNER).set(proxyFor);
            }
            SslHandler tls = null;
            if (server.tls() != null && connect.channel().isRegistered()) {
                // Added before the connect completes, so the handshake starts as soon as it does (a
                // channel that failed to register has a failed connect and never gets a handler).
                tls = server.tls().newHandler(connect.channel().alloc(), target, config.connectTimeout().toMillis());
                connect.channel().pipeline().addFirst(TLS, tls);
            }
            SslHandler handshake = tls;
            io.netty.util.concurrent.Promise<Channel> promise = loop.newPromise();
            connect.addListener(f -> {
                if (!f.isSuccess()) {
                    promise.tryFailure(f.cause());
                    return;
                }
                if (proxyFor != null) {
                    ProxyHeaders.write(connect.channel(), ProxyHeaders.forClient(server.sendProxy(), proxyFor));
                }
                if (handshake == null) {
                    promise.trySuccess(connect.channel());
                } else {
                    handshake.handshakeFuture().addListener(h -> {
                        if (h.isSuccess()) {
                            promise.trySuccess(connect.channel());
                        } else {
                            // A failed handshake is a failed connect (retry, then 503), and worth a line:
                            // it is a certificate or configuration problem rather than a busy server.
                            LOG.warn("backend {} server {}: TLS handshake failed: {}", config.name(), server,
                                    oneLine(h.cause()));
                            connect.channel().close();
                            promise.tryFailure(h.cause());
                        }
                    });
                }
            });
            return promise;
        }

        private Bootstrap bootstrap(Channel client) {
            Class<? extends Channel> type = Transport.socketChannelFor(client);
            return bootstraps.computeIfAbsent(type, t -> new Bootstrap()
                    .group(loop)
                    .channel(t)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                            Math.max(1, config.connectTimeout().toMillis())))
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.SO_KEEPALIVE, true)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            initPipeline(ch.pipeline());
                            ch.closeFuture().addListener(f -> removeIdle(ch));
                        }
                    }));
        }

        void release(BackendServer server, Channel channel, BackendResponseDecoder decoder) {
            if (!channel.isActive() || server.isRemoved() || !current(server, channel)) {
                channel.close();
                return;
            }
            Channel owner = channel.attr(OWNER).get();
            if (owner != null) {
                releasePrivate(server, channel, decoder, owner);
                return;
            }
            ArrayDeque<Idle> queue = idle.computeIfAbsent(server, s -> new ArrayDeque<>());
            if (queue.size() >= config.maxIdlePerServer()) {
                channel.close();
                return;
            }
            decoder.park(server);
            channel.attr(REUSED).set(Boolean.TRUE);
            queue.addLast(new Idle(server, channel, System.nanoTime()));
            idleCount++;
            if (sweep == null) {
                scheduleSweep(idleTimeoutNanos());
            }
            channel.config().setAutoRead(true); // notice a close or stray bytes while idle
        }

        /** Parks a send_proxy connection with the client connection it belongs to, until that one closes. */
        private void releasePrivate(BackendServer server, Channel channel, BackendResponseDecoder decoder,
                                    Channel owner) {
            if (!owner.isActive()) {
                channel.close();
                return;
            }
            ArrayDeque<Idle> own = owner.attr(PRIVATE).get();
            if (own == null) {
                ArrayDeque<Idle> created = new ArrayDeque<>(2);
                own = created;
                owner.attr(PRIVATE).set(created);
                owner.closeFuture().addListener(f -> {
                    Idle e;
                    while ((e = created.poll()) != null) {
                        e.channel().close();
                    }
                });
            }
            if (own.size() >= MAX_PRIVATE_IDLE) {
                channel.close();
                return;
            }
            decoder.park(server);
            channel.attr(REUSED).set(Boolean.TRUE);
            own.addLast(new Idle(server, channel, System.nanoTime()));
            channel.config().setAutoRead(true); // notice a close or stray bytes while idle
        }

        private long idleTimeoutNanos() {
            return Math.max(TimeUnit.MILLISECONDS.toNanos(1), config.idleTimeout().toNanos());
        }

        private void scheduleSweep(long delayNanos) {
            sweep = loop.schedule(this::closeExpired, delayNanos, TimeUnit.NANOSECONDS);
        }

        /**
         * Closes the connections idle for the idle timeout, and those to deleted servers, and schedules
         * itself for the next one to expire. Each queue is oldest first (connections are taken from its tail), so only heads
         * are looked at.
         */
        private void closeExpired() {
            sweep = null;
            long timeout = idleTimeoutNanos();
            long now = System.nanoTime();
            long next = Long.MAX_VALUE;
            idle.entrySet().removeIf(e -> {
                if (!e.getKey().isRemoved()) {
                    return false;
                }
                Idle gone;
                while ((gone = e.getValue().pollFirst()) != null) {
                    idleCount--;
                    gone.channel().close();
                }
                return true;
            });
            for (ArrayDeque<Idle> queue : idle.values()) {
                Idle head;
                while ((head = queue.peekFirst()) != null && now - head.sinceNanos() >= timeout) {
                    queue.pollFirst();
                    idleCount--;
                    head.channel().close();
                }
                if (head != null) {
                    next = Math.min(next, head.sinceNanos() + timeout - now);
                }
            }
            if (next != Long.MAX_VALUE) {
                scheduleSweep(Math.max(1, next));
            }
        }

        private void removeIdle(Channel channel) {
            for (ArrayDeque<Idle> queue : idle.values()) {
                if (queue.removeIf(e -> e.channel == channel)) {
                    idleCount--;
                    return;
                }
            }
        }

        void closeAll() {
            if (sweep != null) {
                sweep.cancel(false);
                sweep = null;
            }
            for (ArrayDeque<Idle> queue : idle.values()) {
                for (Idle e : queue.toArray(new Idle[0])) {
                    e.channel.close();
                }
            }
        }
    }

    /** False once the server's address changed since {@code channel} was opened to it. */
    private static boolean current(BackendServer server, Channel channel) {
        java.net.InetSocketAddress target = channel.attr(TARGET).get();
        return target == null || target.equals(server.address());
    }

    /** One idle connection, parked at {@code sinceNanos} (System.nanoTime). */
    private record Idle(BackendServer server, Channel channel, long sinceNanos) { }
}
