package io.stapled.proxy.http;

import java.net.InetAddress;
import java.util.ArrayDeque;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

import io.stapled.proxy.backend.BackendServer;
import io.stapled.proxy.conn.LazyDeadline;
import io.stapled.proxy.headers.HeaderRequest;
import io.stapled.proxy.proxyprotocol.ClientAddress;

/**
 * One HTTP/1.1 client connection: reads requests and runs one {@link Exchange} at a time. Requests the
 * client pipelines wait decoded in a small queue while reading from the client is paused. It owns
 * what outlives a request: the queue, the request-header timer, the client timeout, keep-alive,
 * draining and the switch to a tunnel; the exchange owns everything of one request. Everything runs
 * on the client's event loop, which is also the backend connection's loop.
 */
final class Http1ConnectionHandler extends ChannelDuplexHandler implements ExchangeClient {
    private static final Logger LOG = LoggerFactory.getLogger(Http1ConnectionHandler.class);

    private final HttpProxyInitializer frontend;
    private final ProxyResponseEncoder encoder;
    private final long requestTimeoutNanos;
    private final long serverTimeoutNanos;

    private ChannelHandlerContext ctx;
    private InetAddress clientAddress;
    private String clientIp = "-";
    /** No request head within the request timeout: 408. Armed between requests. */
    private LazyDeadline requestDeadline;
    /** Lent to each exchange in turn, so that keep-alive requests reuse one scheduled check. */
    private LazyDeadline serverDeadline;

    private final ArrayDeque<HttpObject> pending = new ArrayDeque<>();
    private Exchange exchange;
    private boolean processing;
    private boolean closing;
    private boolean drainRequested;
    private boolean tunnelling;
    private boolean servedRequest;
    private ChannelFuture lastClientWrite;
    private boolean clientWritePending;

    Http1ConnectionHandler(HttpProxyInitializer frontend, ProxyResponseEncoder encoder) {
        this.frontend = frontend;
        this.encoder = encoder;
        this.requestTimeoutNanos = nanos(frontend.http().requestTimeout());
        // Each exchange sets its backend's server timeout before arming; this is the default backend's.
        Upstream defaultBackend = frontend.routes().fallback().backend();
        this.serverTimeoutNanos = defaultBackend == null ? 0 : defaultBackend.serverTimeoutNanos();
    }

    private static long nanos(java.time.Duration d) {
        return d == null || d.isZero() || d.isNegative() ? 0 : d.toNanos();
    }

    // ---------------------------------------------------------------- channel events

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        readClientAddress();
        requestDeadline = new LazyDeadline(ctx.executor(), requestTimeoutNanos, this::onRequestTimeout);
        serverDeadline = new LazyDeadline(ctx.executor(), serverTimeoutNanos, this::onServerTimeout);
        if (ctx.channel().isActive()) {
            requestDeadline.arm();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        // With accept_proxy the connection becomes active only once the PROXY header set the client's address.
        readClientAddress();
        if (exchange == null && !requestDeadline.isArmed()) {
            requestDeadline.arm();
        }
        ctx.fireChannelActive();
    }

    private void readClientAddress() {
        InetAddress address = ClientAddress.of(ctx.channel());
        if (address != null) {
            clientAddress = address;
            clientIp = address.getHostAddress();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing || !(msg instanceof HttpObject http)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        pending.add(http);
        processPending();
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
        if (evt == HttpProxyInitializer.DRAIN_EVENT) {
            drainRequested = true;
            if (exchange == null && pending.isEmpty() && servedRequest) {
                closeClient();
            }
            return;
        }
        if (evt instanceof IdleStateEvent) {
            if (exchange == null) {
                closeClient(); // an idle keep-alive connection: close quietly, as HAProxy does
            } else {
                exchange.onClientIdle();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        releasePending();
        requestDeadline.stop();
        if (exchange != null) {
            exchange.clientClosed();
        }
        serverDeadline.stop();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        requestDeadline.stop();
        serverDeadline.stop();
        releasePending();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("client {} connection error: {}", clientIp, cause.toString());
        closing = true;
        ctx.close();
    }

    // ---------------------------------------------------------------- requests

    /** Handles queued client input as far as the current exchange allows. */
    private void processPending() {
        if (processing) {
            return;
        }
        processing = true;
        try {
            HttpObject msg;
            while (!closing && (msg = pending.peek()) != null) {
                if (exchange == null) {
                    pending.poll();
                    if (msg instanceof HttpRequest req) {
                        requestDeadline.disarm();
                        exchange = new Exchange(frontend, this, req);
                        exchange.start();
                    } else {
                        // Content of a request already refused or of one whose response cut it short.
                        ReferenceCountUtil.release(msg);
                    }
                } else if (exchange.acceptsRequestPart()) {
                    pending.poll();
                    exchange.forwardRequestPart(msg);
                } else {
                    break;
                }
            }
            if (closing) {
                releasePending();
            }
        } finally {
            processing = false;
        }
        updateReads();
    }

    private void updateReads() {
        if (tunnelling || ctx == null) {
            return;
        }
        Channel client = ctx.channel();
        boolean readClient;
        if (closing) {
            readClient = false;
        } else if (exchange == null) {
            readClient = pending.isEmpty();
        } else {
            // One read's worth at most waits decoded behind the exchange.
            readClient = exchange.wantsRequestBody() && pending.isEmpty();
        }
        client.config().setAutoRead(readClient);
        if (exchange != null) {
            exchange.readBackend(client.isWritable());
        }
    }

    private void onRequestTimeout() {
        if (exchange == null && !closing && !tunnelling) {
            LOG.debug("client {}: no request headers within the request timeout", clientIp);
            respondBetweenRequests(HttpResponseStatus.REQUEST_TIMEOUT);
        }
    }

    private void onServerTimeout() {
        if (exchange != null) {
            exchange.onServerTimeout();
        }
    }

    /** A status of our own with no request to answer (408): logged, then the connection closes. */
    private void respondBetweenRequests(HttpResponseStatus status) {
        encoder.nextResponseIsHead(false);
        NoRequest none = new NoRequest(clientIp, System.currentTimeMillis(), status.code(), ctx.channel());
        FullHttpResponse response = ErrorResponses.create(ctx.alloc(), status, true);
        frontend.afterResponseRules().apply(response.headers(), none);
        writeClient(response);
        frontend.observer().requestCompleted(none);
        closeClient();
    }

    /**
     * The access-log record of a connection that ended before a request head was read, and what
     * {@code after_response_headers} read for its response: no request headers, a fresh unique id.
     */
    private record NoRequest(String clientIp, long startMillis, int status, Channel connection)
            implements CompletedRequest, HeaderRequest {
        @Override
        public HttpRequest request() {
            return null;
        }

        @Override
        public HttpHeaders requestHeaders() {
            return EmptyHttpHeaders.INSTANCE;
        }

        @Override
        public String uniqueId() {
            return RequestIds.next();
        }

        @Override
        public java.net.InetSocketAddress clientAddress() {
            return ClientAddress.source(connection);
        }

        @Override
        public long responseBytes() {
            return 0;
        }

        @Override
        public String serverName() {
            return null;
        }

        @Override
        public long durationNanos() {
            return 0;
        }

        @Override
        public boolean refused() {
            return true;
        }
    }

    // ---------------------------------------------------------------- ExchangeClient

    @Override
    public Channel channel() {
        return ctx.channel();
    }

    @Override
    public ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    @Override
    public InetAddress address() {
        return clientAddress;
    }

    @Override
    public String ip() {
        return clientIp;
    }

    @Override
    public LazyDeadline serverDeadline() {
        return serverDeadline;
    }

    @Override
    public boolean draining() {
        return drainRequested || frontend.isDraining();
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
        head.setProtocolVersion(HttpVersion.HTTP_1_1);
        encoder.nextResponseIsHead(toHead);
        writeClient(head);
    }

    @Override
    public void writeContent(HttpContent content) {
        writeClient(content);
    }

    /**
     * Only when something was written: a flush through the SslHandler with nothing queued still
     * wraps an empty buffer with a new promise, and the end of an exchange is followed by the
     * backend's read-complete.
     */
    @Override
    public void flush() {
        if (clientWritePending) {
            clientWritePending = false;
            ctx.flush();
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
        servedRequest = true;
        if (finished.aborted()) {
            closing = true;
            closeClient();
            ctx.close(); // no clean end after a cut response
            return;
        }
        if (closing || !finished.keepAlive() || draining()) {
            closeClient();
            return;
        }
        flush();
        requestDeadline.arm();
        processPending();
    }

    @Override
    public boolean switchProtocols(Channel backend, BackendServer server) {
        if (!pending.isEmpty()) {
            return false;
        }
        tunnelling = true;
        exchange = null;
        flush();
        requestDeadline.stop();
        serverDeadline.stop();
        UpgradeTunnel.open(ctx.pipeline(), this, backend, server);
        return true;
    }

    // ---------------------------------------------------------------- helpers

    private void writeClient(Object msg) {
        clientWritePending = true;
        lastClientWrite = ctx.write(msg);
    }

    private void closeClient() {
        closing = true;
        releasePending();
        requestDeadline.stop();
        ChannelFuture last = lastClientWrite;
        flush();
        if (last != null && !last.isDone()) {
            last.addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    private void releasePending() {
        HttpObject msg;
        while ((msg = pending.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }
}
