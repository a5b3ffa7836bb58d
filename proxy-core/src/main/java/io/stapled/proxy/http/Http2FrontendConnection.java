package io.stapled.proxy.http;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.timeout.IdleStateEvent;

import io.stapled.config.Http2Config;
import io.stapled.proxy.conn.LazyDeadline;
import io.stapled.proxy.proxyprotocol.ClientAddress;

/**
 * What an HTTP/2 client connection has beyond its streams, on the connection's channel behind Netty's
 * codec and multiplexer: the connection's flow-control window, draining (GOAWAY with the last stream
 * id, then close once the open streams are done), the client timeout and the keep-alive timeout (no
 * stream open for {@code http.request_timeout}: GOAWAY and close). Streams register here so that a
 * drain knows when the last one ends. On the connection's event loop, which is every stream's too.
 */
final class Http2FrontendConnection extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(Http2FrontendConnection.class);

    private final HttpProxyInitializer frontend;
    private final Http2Config settings;
    private final long idleNanos;
    private final List<Http2StreamHandler> streams = new ArrayList<>();
    private final Runnable flushTask = this::flushNow;
    private boolean flushScheduled;

    private ChannelHandlerContext ctx;
    private InetAddress clientAddress;
    private String clientIp = "-";
    private LazyDeadline noStreamDeadline;
    private boolean draining;

    Http2FrontendConnection(HttpProxyInitializer frontend, Http2Config settings, long idleNanos) {
        this.frontend = frontend;
        this.settings = settings;
        this.idleNanos = idleNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        // The PROXY header's client when the frontend accepts one, else the socket peer.
        clientAddress = ClientAddress.of(ctx.channel());
        if (clientAddress != null) {
            clientIp = clientAddress.getHostAddress();
        }
        noStreamDeadline = new LazyDeadline(ctx.executor(), idleNanos, this::onNoStreamTimeout);
        // The connection window starts at 65,535 bytes (RFC 9113 section 6.9.2), less than one stalled
        // stream may hold; raised so that every stream can use its whole window at once.
        int increment = settings.connectionWindowSize() - Http2Config.DEFAULT_INITIAL_WINDOW_SIZE;
        if (increment > 0) {
            ctx.write(new DefaultHttp2WindowUpdateFrame(increment));
        }
        ctx.flush();
        noStreamDeadline.arm();
        if (frontend.isDraining()) {
            drain();
        }
    }

    InetAddress address() {
        return clientAddress;
    }

    String ip() {
        return clientIp;
    }

    /**
     * A stream has written response frames. Its backend's read ends outside this connection's own
     * read, where Netty would aggregate the flushes of the streams, so a flush per stream would be a
     * TLS record and a write(2) per response. Instead the connection flushes once, after the event
     * loop has handled every backend read of this turn: the responses of all its streams go out
     * together (HAProxy's mux does the same). Control frames (SETTINGS, PING acknowledgements, resets)
     * are flushed by Netty's codec as before.
     */
    void flushSoon() {
        if (!flushScheduled) {
            flushScheduled = true;
            ctx.executor().execute(flushTask);
        }
    }

    private void flushNow() {
        flushScheduled = false;
        ctx.flush();
    }

    void streamOpened(Http2StreamHandler stream) {
        streams.add(stream);
        noStreamDeadline.disarm();
    }

    void streamClosed(Http2StreamHandler stream) {
        if (!streams.remove(stream) || !streams.isEmpty()) {
            return;
        }
        if (draining) {
            ctx.close();
        } else if (ctx.channel().isActive()) {
            noStreamDeadline.arm();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == HttpProxyInitializer.DRAIN_EVENT) {
            drain();
            return;
        }
        if (evt instanceof IdleStateEvent) {
            if (streams.isEmpty()) {
                ctx.close(); // GOAWAY(NO_ERROR), then close
            } else {
                for (Http2StreamHandler stream : List.copyOf(streams)) {
                    stream.onClientIdle();
                }
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /**
     * GOAWAY(NO_ERROR) with the last stream id the client opened: streams up to it are answered, later
     * ones refused (a client may retry them elsewhere), and the connection closes once the last open
     * stream is done. The frontend's grace period bounds the wait.
     */
    private void drain() {
        if (draining) {
            return;
        }
        draining = true;
        LOG.debug("client {}: draining HTTP/2 connection with {} open stream(s)", clientIp, streams.size());
        ctx.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
        if (streams.isEmpty()) {
            ctx.close();
        }
    }

    private void onNoStreamTimeout() {
        if (streams.isEmpty() && ctx.channel().isActive()) {
            LOG.debug("client {}: no HTTP/2 stream within the request timeout", clientIp);
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        noStreamDeadline.stop();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        noStreamDeadline.stop();
    }

    /**
     * HTTP/2 errors were answered by the codec before they got here (RST_STREAM for a stream error,
     * GOAWAY with its code and a close for a connection error); closing now would send a GOAWAY of our
     * own first and hide the code (ENHANCE_YOUR_CALM after a rapid reset). Anything else (a reset
     * socket) ends the connection.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("client {} HTTP/2 connection error: {}", clientIp, cause.toString());
        if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) == null) {
            ctx.close();
        }
    }
}
