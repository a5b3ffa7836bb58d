package io.stapled.proxy.http;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;

import io.stapled.proxy.backend.BackendServer;
import io.stapled.text.OneLine;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One multiplexed HTTP/2 connection to a server, the last handler of its pipeline (after Netty's
 * {@code Http2FrameCodec} and {@code Http2MultiplexHandler}): whether it has the server's first
 * SETTINGS yet, how many streams it may carry, how many it carries, and whether it may take more.
 * Every exchange that borrows it gets a stream of its own ({@link #openStream}); the connection is
 * the pool's, not an exchange's. On its event loop only.
 *
 * <p>A connection is handed out only once the server's SETTINGS arrived: before that its
 * {@code SETTINGS_MAX_CONCURRENT_STREAMS} is unknown, and a server that does not speak HTTP/2 (an
 * HTTP/1.1 server answering the preface with a 400 and a close) fails the wait like a refused connect,
 * so the exchange tries again and the client gets a 503 rather than a broken stream.
 */
final class Http2BackendConnection extends ChannelInboundHandlerAdapter {
    /**
     * Streams per connection at most, whatever the server allows: the connection's receive window is
     * sized for this many stalled streams (see {@link Http2BackendPool#CONNECTION_WINDOW}), so one slow
     * client never holds the window the others need. Also the number assumed while connecting.
     */
    static final int MAX_STREAMS = 100;
    private static final Logger LOG = LoggerFactory.getLogger(Http2BackendConnection.class);

    private final Http2BackendPool.LoopConnections owner;
    private final BackendServer server;
    private final InetSocketAddress target;
    private final ChannelHandler streamInitializer;
    private final ArrayDeque<Promise<Channel>> waiting = new ArrayDeque<>();
    private Channel channel;
    private Http2StreamChannelBootstrap streams;
    private ScheduledFuture<?> settingsTimeout;
    private boolean ready;
    private boolean goingAway;
    private boolean closed;
    /** The server's SETTINGS_MAX_CONCURRENT_STREAMS; unlimited until it says. */
    private long serverMaxStreams = Long.MAX_VALUE;
    private int open;
    private boolean served;
    /** Counted among the pool's idle connections. */
    private boolean countedIdle;
    private long idleSinceNanos = System.nanoTime();

    Http2BackendConnection(Http2BackendPool.LoopConnections owner, BackendServer server, InetSocketAddress target,
                           ChannelHandler streamInitializer) {
        this.owner = owner;
        this.server = server;
        this.target = target;
        this.streamInitializer = streamInitializer;
    }

    /** For a stream the server opens (it may not: push is off and nothing else opens one): closed at once. */
    static ChannelHandler refusingInboundStreams() {
        return new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel ch) {
                ch.close();
            }
        };
    }

    // ---------------------------------------------------------------- what the pool asks

    BackendServer server() {
        return server;
    }

    InetSocketAddress target() {
        return target;
    }

    /** Whether the connection takes another stream now: not while connecting, going away or closed. */
    boolean hasRoom() {
        return ready && !goingAway && !closed && open < capacity() && current();
    }

    /** Still connecting, with room for one more waiting exchange among the {@link #MAX_STREAMS} assumed. */
    boolean acceptsWaiter() {
        return !ready && !closed && waiting.size() < MAX_STREAMS;
    }

    /** Ready with no stream open, since {@link #idleSinceNanos()}. */
    boolean idle() {
        return ready && open == 0 && !closed;
    }

    long idleSinceNanos() {
        return idleSinceNanos;
    }

    int capacity() {
        return (int) Math.min(MAX_STREAMS, serverMaxStreams);
    }

    /** False once the server's address changed since this connection was opened (new streams go to the new one). */
    private boolean current() {
        return target.equals(server.address()) && !server.isRemoved();
    }

    /** A stream for an exchange; only while {@link #hasRoom()}. */
    Future<Channel> openStream() {
        Promise<Channel> promise = owner.loop.newPromise();
        open(promise);
        return promise;
    }

    /** Waits for the server's SETTINGS; only while {@link #acceptsWaiter()}. */
    Future<Channel> awaitStream() {
        Promise<Channel> promise = owner.loop.newPromise();
        waiting.add(promise);
        return promise;
    }

    private void open(Promise<Channel> promise) {
        open++;
        notIdle();
        // A stream on a connection that carried one before may meet a GOAWAY the server had already
        // sent: the exchange may then replay an idempotent request as on a reused HTTP/1.1 connection.
        boolean reused = served;
        served = true;
        Future<Http2StreamChannel> opened = streams.open();
        opened.addListener(f -> {
            if (!f.isSuccess()) {
                streamClosed();
                promise.tryFailure(f.cause());
                return;
            }
            Http2StreamChannel stream = opened.getNow();
            stream.attr(BackendConnectionPool.REUSED).set(reused);
            stream.closeFuture().addListener(c -> streamClosed());
            if (!promise.trySuccess(stream)) {
                stream.close();
            }
        });
    }

    private void streamClosed() {
        open--;
        if (open == 0) {
            becameIdle();
        }
    }

    private void becameIdle() {
        idleSinceNanos = System.nanoTime();
        if (closed) {
            return;
        }
        if (goingAway || !current() || owner.isClosed() || owner.tooManyIdle(server)) {
            channel.close();
            return;
        }
        countedIdle = true;
        owner.idleChanged(1);
    }

    private void notIdle() {
        if (countedIdle) {
            countedIdle = false;
            owner.idleChanged(-1);
        }
    }

    /** Closes the connection if no stream is open; busy ones close after their last stream. */
    void closeIfIdle() {
        goingAway = true;
        if (open == 0) {
            channel.close();
        }
    }

    // ---------------------------------------------------------------- channel events

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        streams = new Http2StreamChannelBootstrap(channel).handler(streamInitializer);
        channel.closeFuture().addListener(f -> fail(new java.nio.channels.ClosedChannelException()));
        long timeout = owner.connectTimeoutNanos();
        settingsTimeout = ctx.executor().schedule(() -> {
            if (!ready) {
                fail(new java.net.ConnectException("no HTTP/2 SETTINGS from " + target + " within the connect timeout"));
            }
        }, timeout, TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        // The codec has sent its preface. The connection window starts at 65,535 bytes (RFC 9113
        // section 6.9.2), one stream's worth: raised so that every stream can hold its whole window.
        ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(
                Http2BackendPool.CONNECTION_WINDOW - Http2BackendPool.STREAM_WINDOW));
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof Http2SettingsFrame settings) {
                Long max = settings.settings().maxConcurrentStreams();
                if (max != null) {
                    serverMaxStreams = max;
                }
                if (!ready) {
                    ready = true;
                    settingsTimeout.cancel(false);
                    handOut();
                }
            } else if (msg instanceof Http2GoAwayFrame) {
                // Streams above its last stream id are failed by Netty (and may be replayed by their
                // exchange); the others finish here, and the connection closes after its last one.
                goingAway = true;
                if (open == 0) {
                    ctx.close();
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    /** The SETTINGS came: the waiting exchanges get streams as far as the server allows, the rest another connection. */
    private void handOut() {
        Promise<Channel> p;
        while ((p = waiting.poll()) != null) {
            if (hasRoom()) {
                open(p);
            } else {
                owner.redispatch(server, p, channel);
            }
        }
        if (open == 0) {
            becameIdle();
        }
    }

    /**
     * Over TLS: a failed handshake, or one that selected no ALPN protocol or another than h2 (the
     * server speaks HTTP/1.1 there), is a failed connect, logged as for HTTP/1.1 servers because it is
     * a certificate or configuration problem rather than a busy server.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (!done.isSuccess()) {
                LOG.warn("backend {} server {}: TLS handshake failed: {}", owner.backendName(), server,
                        OneLine.oneLine(done.cause()));
                fail(done.cause());
            } else {
                String selected = ctx.pipeline().get(SslHandler.class).applicationProtocol();
                if (!"h2".equals(selected)) {
                    LOG.warn("backend {} server {}: proto h2 over TLS, but the server selected ALPN {}: the"
                                    + " connection is closed", owner.backendName(), server,
                            selected == null ? "none" : selected);
                    fail(new javax.net.ssl.SSLHandshakeException("the server selected ALPN "
                            + (selected == null ? "none" : selected) + ", not h2"));
                }
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(cause);
    }

    /** The connection failed or closed (its connect too): the exchanges still waiting for it try again. */
    void fail(Throwable cause) {
        if (closed) {
            return;
        }
        closed = true;
        notIdle();
        if (settingsTimeout != null) {
            settingsTimeout.cancel(false);
        }
        owner.removed(this);
        Promise<Channel> p;
        while ((p = waiting.poll()) != null) {
            p.tryFailure(cause);
        }
        if (channel != null) {
            channel.close();
        }
    }
}
