package io.stapled.proxy.http;

import java.net.InetAddress;
import java.util.ArrayDeque;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;

import io.stapled.proxy.backend.BackendServer;
import io.stapled.proxy.conn.LazyDeadline;

/**
 * One HTTP/2 stream of a client connection, on its own child channel: the HEADERS frame becomes the
 * request head of one {@link Exchange}, DATA frames its body (END_STREAM its end), and the exchange's
 * response goes back as HEADERS and DATA frames. This is the HTTP/2 {@link ExchangeClient}.
 *
 * <p>Back-pressure: Netty returns flow-control window to the client only as the child channel reads
 * frames, so reading stops (autoRead off) while the backend connection is not writable; the client can
 * then send at most one stream window more, which waits in the child channel. Other streams are not
 * affected: the connection window has room for every stream's window (see {@code Http2Config}).
 * The other way, the backend is read only while the stream can be written; a stream that cannot be
 * written for the client timeout (the client holds its window, or the connection's, shut: a slow
 * read) is reset with CANCEL and its backend connection closed, whatever else the connection does;
 * likewise a request body that stops arriving for the client timeout while it is read gets 408.
 */
final class Http2StreamHandler extends ChannelDuplexHandler implements ExchangeClient {
    private static final Logger LOG = LoggerFactory.getLogger(Http2StreamHandler.class);
    static final String PROTOCOL = "HTTP/2.0";

    private final HttpProxyInitializer frontend;
    private final Http2FrontendConnection connection;
    private final long serverTimeoutNanos;
    private final long clientTimeoutNanos;

    private ChannelHandlerContext ctx;
    private LazyDeadline serverDeadline;
    private LazyDeadline writeStall;
    private LazyDeadline requestStall;
    private final ArrayDeque<HttpContent> pending = new ArrayDeque<>();
    private Exchange exchange;
    private boolean headReceived;
    private boolean requestEnded;
    private boolean informational;
    private boolean responseEnded;
    private boolean closing;
    private boolean processing;
    private boolean writePending;

    Http2StreamHandler(HttpProxyInitializer frontend, Http2FrontendConnection connection, long serverTimeoutNanos,
                       long clientTimeoutNanos) {
        this.frontend = frontend;
        this.connection = connection;
        this.serverTimeoutNanos = serverTimeoutNanos;
        this.clientTimeoutNanos = clientTimeoutNanos;
    }

    // ---------------------------------------------------------------- channel events

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        serverDeadline = new LazyDeadline(ctx.executor(), serverTimeoutNanos, this::onServerTimeout);
        writeStall = new LazyDeadline(ctx.executor(), clientTimeoutNanos, this::onWriteStalled);
        requestStall = new LazyDeadline(ctx.executor(), clientTimeoutNanos, this::onRequestStalled);
        connection.streamOpened(this);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof Http2HeadersFrame headers) {
            onHeaders(headers);
        } else if (msg instanceof Http2DataFrame data) {
            if (!headReceived || requestEnded) {
                data.release();
                reset(Http2Error.PROTOCOL_ERROR);
                return;
            }
            requestEnded = data.isEndStream();
            requestStall.touch();
            // The frame's buffer moves into the content; Netty has counted its bytes as read.
            pending.add(data.isEndStream() ? new DefaultLastHttpContent(data.content())
                    : new DefaultHttpContent(data.content()));
        } else {
            ReferenceCountUtil.release(msg);
        }
        processPending();
    }

    private void onHeaders(Http2HeadersFrame frame) {
        if (!headReceived) {
            headReceived = true;
            requestEnded = frame.isEndStream();
            HttpRequest request = Http2Requests.toRequest(frame.headers(), frame.isEndStream());
            if (request == null) {
                LOG.debug("client {}: malformed HTTP/2 request on stream {}", ip(), streamId());
                reset(Http2Error.PROTOCOL_ERROR);
                return;
            }
            exchange = new Exchange(frontend, this, request);
            if (requestEnded) {
                pending.add(LastHttpContent.EMPTY_LAST_CONTENT);
            }
            exchange.start();
            return;
        }
        // Trailers: the last frame of the request, with END_STREAM (RFC 9113 section 8.1).
        LastHttpContent trailers = frame.isEndStream() && !requestEnded ? Http2Requests.toTrailers(frame.headers()) : null;
        if (trailers == null) {
            reset(Http2Error.PROTOCOL_ERROR);
            return;
        }
        requestEnded = true;
        pending.add(trailers);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (exchange != null) {
            exchange.flushBackend();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (exchange != null) {
            exchange.clientWritabilityChanged();
        }
        updateReads();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Http2ResetFrame reset) {
            // The client cancelled the stream: the backend request is cancelled with it (its
            // connection closed), not left running.
            LOG.debug("client {}: stream {} reset by the client ({})", ip(), streamId(), reset.errorCode());
            clientGone();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        clientGone();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        clientGone();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("client {}: stream {} error: {}", ip(), streamId(), cause.toString());
        if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) != null) {
            // A stream error Netty found (content-length against DATA): it resets the stream with the
            // error's code itself, and a close of ours now would send CANCEL first.
            clientGone();
        } else {
            reset(Http2Error.INTERNAL_ERROR);
        }
    }

    private void clientGone() {
        if (closing) {
            return;
        }
        closing = true;
        releasePending();
        if (exchange != null) {
            Exchange e = exchange;
            exchange = null;
            e.clientClosed();
        }
        if (serverDeadline != null) {
            serverDeadline.stop();
            writeStall.stop();
            requestStall.stop();
        }
        connection.streamClosed(this);
    }

    /** The client timeout passed on the connection with this stream open. */
    void onClientIdle() {
        if (exchange != null) {
            exchange.onClientIdle();
        }
    }

    // ---------------------------------------------------------------- request body

    private void processPending() {
        if (processing) {
            return;
        }
        processing = true;
        try {
            HttpContent msg;
            while (!closing && (msg = pending.peek()) != null) {
                if (exchange == null) {
                    // The exchange ended (answered locally, or by the backend before the body's end).
                    pending.poll();
                    msg.release();
                } else if (exchange.acceptsRequestPart()) {
                    pending.poll();
                    exchange.forwardRequestPart(msg);
                } else {
                    break;
                }
            }
        } finally {
            processing = false;
        }
        updateReads();
    }

    private void updateReads() {
        if (ctx == null || closing) {
            return;
        }
        Channel stream = ctx.channel();
        boolean read = exchange == null || exchange.wantsRequestBody() && pending.isEmpty();
        stream.config().setAutoRead(read);
        if (exchange != null && !requestEnded && read) {
            if (!requestStall.isArmed()) {
                requestStall.arm(); // touched by each DATA frame
            }
        } else {
            requestStall.disarm();
        }
        if (exchange != null) {
            boolean writable = stream.isWritable();
            exchange.readBackend(writable);
            if (writable) {
                writeStall.disarm();
            } else if (!writeStall.isArmed()) {
                writeStall.arm();
            }
        }
    }

    /**
     * The stream could not be written for the client timeout: the client keeps its window shut (a
     * slow-read attack holds a stream and a backend connection this way, at no cost of its own, and
     * PINGs would keep the connection from ever looking idle). What waits is bounded meanwhile (the
     * backend is not read), but the stream is not kept for ever.
     */
    /**
     * The request's body stopped arriving for the client timeout while we were reading it: 408, as on
     * the connection's idle timeout, but per stream, since the client's PINGs or other streams would
     * keep the connection from ever being idle (a slowloris on one stream).
     */
    private void onRequestStalled() {
        if (exchange != null && !requestEnded) {
            LOG.debug("client {}: stream {} sent no request body for the client timeout", ip(), streamId());
            exchange.onClientIdle();
        }
    }

    private void onWriteStalled() {
        if (exchange != null && !ctx.channel().isWritable()) {
            LOG.debug("client {}: stream {} not writable for the client timeout, cancelled", ip(), streamId());
            reset(Http2Error.CANCEL);
        }
    }

    private void onServerTimeout() {
        if (exchange != null) {
            exchange.onServerTimeout();
        }
    }

    // ---------------------------------------------------------------- ExchangeClient

    /** The connection, not the stream: a backend connection takes its event loop and transport. */
    @Override
    public Channel channel() {
        return ctx.channel().parent();
    }

    @Override
    public ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    @Override
    public InetAddress address() {
        return connection.address();
    }

    @Override
    public String ip() {
        return connection.ip();
    }

    @Override
    public String protocol() {
        return PROTOCOL;
    }

    @Override
    public LazyDeadline serverDeadline() {
        return serverDeadline;
    }

    /** A response never ends an HTTP/2 connection: draining is GOAWAY, sent by the connection. */
    @Override
    public boolean draining() {
        return false;
    }

    @Override
    public boolean isClosing() {
        return closing;
    }

    @Override
    public boolean isWritable() {
        return ctx.channel().isWritable();
    }

    @Override
    public void writeHead(HttpResponse head, boolean toHead) {
        int code = head.status().code();
        if (code >= 100 && code < 200) {
            // An interim response is a HEADERS frame of its own; its (empty) end is not sent.
            informational = true;
            write(new DefaultHttp2HeadersFrame(Http2Requests.toHeaders(head), false));
            return;
        }
        boolean bodyless = ResponseFraming.isBodyless(code, toHead);
        if (head instanceof FullHttpResponse full) {
            if (bodyless || !full.content().isReadable()) {
                full.release();
                endResponse(new DefaultHttp2HeadersFrame(Http2Requests.toHeaders(head), true));
            } else {
                write(new DefaultHttp2HeadersFrame(Http2Requests.toHeaders(head), false));
                endResponse(new DefaultHttp2DataFrame(full.content(), true));
            }
            return;
        }
        if (bodyless) {
            endResponse(new DefaultHttp2HeadersFrame(Http2Requests.toHeaders(head), true));
        } else {
            write(new DefaultHttp2HeadersFrame(Http2Requests.toHeaders(head), false));
        }
    }

    @Override
    public void writeContent(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (informational || responseEnded) {
            content.release();
            if (last) {
                informational = false;
            }
            return;
        }
        if (!last) {
            if (content.content().isReadable()) {
                write(new DefaultHttp2DataFrame(content.content(), false));
            } else {
                content.release();
            }
            return;
        }
        LastHttpContent end = (LastHttpContent) content;
        if (end.trailingHeaders().isEmpty()) {
            endResponse(new DefaultHttp2DataFrame(end.content(), true));
            return;
        }
        if (end.content().isReadable()) {
            write(new DefaultHttp2DataFrame(end.content().retain(), false));
        }
        endResponse(new DefaultHttp2HeadersFrame(Http2Requests.toHeaders(end.trailingHeaders()), true));
        end.release();
    }

    /** Once per event-loop turn and connection, with the other streams' responses (see the connection). */
    @Override
    public void flush() {
        if (writePending) {
            writePending = false;
            connection.flushSoon();
        }
    }

    @Override
    public void readinessChanged() {
        processPending();
    }

    @Override
    public void exchangeFinished(Exchange finished) {
        if (finished != exchange) {
            return;
        }
        exchange = null;
        writeStall.disarm();
        requestStall.disarm();
        if (closing) {
            return;
        }
        if (finished.aborted() || !responseEnded) {
            // Cut mid-response: the client must not take what it got for the whole response.
            flush();
            reset(Http2Error.INTERNAL_ERROR);
            return;
        }
        flush();
        if (!requestEnded) {
            // Answered before the request's end: the client may stop sending (RFC 9113 section 8.1).
            reset(Http2Error.NO_ERROR);
        }
        processPending();
    }

    /** A 101 cannot happen: an HTTP/2 request cannot ask to upgrade (its Upgrade header is refused). */
    @Override
    public boolean switchProtocols(Channel backend, BackendServer server) {
        return false;
    }

    // ---------------------------------------------------------------- helpers

    private void write(Object frame) {
        writePending = true;
        ctx.write(frame);
    }

    private void endResponse(Object frame) {
        responseEnded = true;
        write(frame);
    }

    private void reset(Http2Error error) {
        if (closing) {
            return;
        }
        ctx.writeAndFlush(new DefaultHttp2ResetFrame(error));
        clientGone();
    }

    private int streamId() {
        return ctx.channel() instanceof Http2StreamChannel s && s.stream() != null ? s.stream().id() : -1;
    }

    private void releasePending() {
        HttpContent msg;
        while ((msg = pending.poll()) != null) {
            msg.release();
        }
    }
}
