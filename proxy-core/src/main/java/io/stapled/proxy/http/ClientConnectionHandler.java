package io.stapled.proxy.http;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;

import io.stapled.proxy.backend.BackendServer;
import io.stapled.proxy.relay.RelayHandler;

/**
 * One client connection of an HTTP frontend: reads requests, forwards each to a backend server picked
 * per request, and streams the response back. One exchange runs at a time; requests the client
 * pipelines wait decoded in a small queue while reading from the client is paused. Everything runs on
 * the client's event loop, which is also the backend connection's loop.
 *
 * <p>Flow control: the client is read only while the backend connection is writable, and the backend
 * only while the client is writable, so a body is never held whole in memory.
 */
final class ClientConnectionHandler extends ChannelDuplexHandler implements BackendListener {
    private static final Logger LOG = LoggerFactory.getLogger(ClientConnectionHandler.class);
    /** Connection attempts per request (HAProxy's default {@code retries 3} with redispatch). */
    static final int MAX_CONNECT_ATTEMPTS = 3;
    /** Methods a request of which may be sent again (RFC 9110 section 9.2.2). */
    private static final java.util.Set<HttpMethod> IDEMPOTENT = java.util.Set.of(HttpMethod.GET, HttpMethod.HEAD,
            HttpMethod.OPTIONS, HttpMethod.TRACE, HttpMethod.PUT, HttpMethod.DELETE);

    private final HttpProxyInitializer frontend;
    private final ProxyResponseEncoder encoder;
    private final long requestTimeoutNanos;
    private final long serverTimeoutNanos;

    private ChannelHandlerContext ctx;
    private InetAddress clientAddress;
    private String clientIp = "-";

    private final ArrayDeque<HttpObject> pending = new ArrayDeque<>();
    private boolean processing;
    private boolean closing;
    private boolean drainRequested;
    private boolean tunnelling;
    /**
     * The request timer is re-armed lazily (as Netty's IdleStateHandler does): arming between
     * requests only moves {@link #requestDeadlineNanos}, and a timer that fires early schedules
     * itself again for the rest. Scheduling and cancelling a task per request costs more than the
     * whole header parse.
     */
    private ScheduledFuture<?> requestTimer;
    private boolean requestTimerArmed;
    private long requestDeadlineNanos;
    private ChannelFuture lastClientWrite;
    private boolean clientWritePending;
    private boolean servedRequest;

    // The exchange in progress; request == null between exchanges.
    private int exchangeId;
    private HttpRequest request;
    private boolean headRequest;
    /** The client spoke HTTP/1.0; the request itself is rewritten to 1.1 for the backend. */
    private boolean isHttp10Client;
    private boolean upgradeRequested;
    private boolean requestDone;
    private boolean responseStarted;
    private boolean inInformational;
    private boolean dropInformational;
    private boolean interimRelayed;
    private boolean requestHasBody;
    private boolean backendReused;
    private boolean replayed;
    private boolean clientKeepAlive;
    private boolean backendReusable;
    private boolean backendWritePending;
    private int connectAttempts;
    private BackendServer server;
    private boolean serverCounted;
    private Channel backend;
    private int status;
    private long responseBytes;
    private long startMillis;
    private long startNanos;
    private long lastBackendActivityNanos;
    /** Re-armed lazily, like the request timer: a disarmed timer that fires does nothing. */
    private ScheduledFuture<?> serverTimer;
    private boolean serverTimerArmed;

    ClientConnectionHandler(HttpProxyInitializer frontend, ProxyResponseEncoder encoder) {
        this.frontend = frontend;
        this.encoder = encoder;
        this.requestTimeoutNanos = nanos(frontend.http().requestTimeout());
        this.serverTimeoutNanos = nanos(frontend.backends().config().serverTimeout());
    }

    private static long nanos(java.time.Duration d) {
        return d == null || d.isZero() || d.isNegative() ? 0 : d.toNanos();
    }

    // ---------------------------------------------------------------- client side

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        SocketAddress remote = ctx.channel().remoteAddress();
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
            clientAddress = inet.getAddress();
            clientIp = clientAddress.getHostAddress();
        }
        if (ctx.channel().isActive()) {
            armRequestTimer();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (requestTimer == null && request == null) {
            armRequestTimer();
        }
        ctx.fireChannelActive();
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
        flushBackend();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        lastBackendActivityNanos = System.nanoTime(); // a stalled client is not a slow server
        updateReads();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == HttpProxyInitializer.DRAIN_EVENT) {
            drainRequested = true;
            if (request == null && pending.isEmpty() && servedRequest) {
                closeClient();
            }
            return;
        }
        if (evt instanceof IdleStateEvent) {
            onClientIdle();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        releasePending();
        stopRequestTimer();
        if (request != null) {
            backendReusable = false;
            endExchange();
        }
        stopServerTimer();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stopRequestTimer();
        stopServerTimer();
        releasePending();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("client {} connection error: {}", clientIp, cause.toString());
        closing = true;
        ctx.close();
    }

    /** Handles queued client input as far as the current state allows. */
    private void processPending() {
        if (processing) {
            return;
        }
        processing = true;
        try {
            HttpObject msg;
            while (!closing && (msg = pending.peek()) != null) {
                if (request == null) {
                    pending.poll();
                    if (msg instanceof HttpRequest req) {
                        startRequest(req);
                    } else {
                        // Content of a request already refused or of one whose response cut it short.
                        ReferenceCountUtil.release(msg);
                    }
                } else if (backend != null && !requestDone) {
                    pending.poll();
                    forwardRequestPart(msg);
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

    private void startRequest(HttpRequest req) {
        cancelRequestTimer();
        exchangeId++;
        request = req;
        startMillis = System.currentTimeMillis();
        startNanos = System.nanoTime();
        requestDone = false;
        responseStarted = false;
        inInformational = false;
        backendReusable = false;
        connectAttempts = 0;
        requestHasBody = false;
        replayed = false;
        interimRelayed = false;
        status = 0;
        responseBytes = 0;
        server = null; // a request refused here is logged <NOSRV>, not with the previous request's server
        headRequest = HttpMethod.HEAD.equals(req.method());

        HttpResponseStatus refusal = frontend.requestValidator().check(req);
        if (refusal != null) {
            LOG.debug("client {} request refused with {}: {}", clientIp, refusal.code(),
                    req.decoderResult().isFailure() ? req.decoderResult().cause().getMessage() : req.uri());
            ReferenceCountUtil.release(req); // an invalid message is a FullHttpRequest
            clientKeepAlive = false;
            respondLocally(refusal, false);
            return;
        }
        isHttp10Client = req.protocolVersion() == HttpVersion.HTTP_1_0;
        clientKeepAlive = HttpUtil.isKeepAlive(req) && !draining();
        upgradeRequested = HopByHopHeaders.isUpgrade(req.headers());
        HopByHopHeaders.strip(req.headers(), upgradeRequested);
        if (clientAddress != null) {
            frontend.forwardedHeaders().apply(req.headers(), clientAddress);
        }
        // The backend side always speaks HTTP/1.1 and keeps its connection alive.
        req.setProtocolVersion(HttpVersion.HTTP_1_1);
        connectBackend();
    }

    private void connectBackend() {
        BackendServer picked = frontend.backends().select(clientAddress);
        if (picked == null) {
            LOG.debug("client {}: no server available in backend {}", clientIp, frontend.backends().name());
            respondLocally(HttpResponseStatus.SERVICE_UNAVAILABLE, true);
            return;
        }
        server = picked;
        connectAttempts++;
        int id = exchangeId;
        Future<Channel> acquired = frontend.connections().acquire(picked, ctx.channel());
        if (acquired.isDone()) {
            onBackendAcquired(acquired, picked, id);
        } else {
            acquired.addListener(f -> onBackendAcquired(acquired, picked, id));
        }
    }

    private void onBackendAcquired(Future<Channel> acquired, BackendServer picked, int id) {
        if (!acquired.isSuccess()) {
            if (id != exchangeId || request == null || closing) {
                return;
            }
            LOG.debug("client {}: connect to {} failed (attempt {}): {}", clientIp, picked, connectAttempts,
                    acquired.cause().toString());
            if (connectAttempts < MAX_CONNECT_ATTEMPTS) {
                connectBackend();
            } else {
                respondLocally(HttpResponseStatus.SERVICE_UNAVAILABLE, true);
            }
            return;
        }
        Channel ch = acquired.getNow();
        if (id != exchangeId || request == null || closing) {
            frontend.connections().release(picked, ch);
            return;
        }
        backend = ch;
        picked.connectionOpened();
        serverCounted = true;
        backendReused = Boolean.TRUE.equals(ch.attr(BackendConnectionPool.REUSED).get());
        ch.pipeline().get(BackendConnectionHandler.class).attach(this, headRequest);
        ch.write(request);
        backendWritePending = true;
        if (requestDone) {
            // A replay: the request had no body and its end was consumed on the first attempt.
            ch.write(LastHttpContent.EMPTY_LAST_CONTENT);
            armServerTimer();
        }
        processPending();
        flushBackend();
    }

    private void forwardRequestPart(HttpObject msg) {
        if (!(msg instanceof HttpContent content)) {
            ReferenceCountUtil.release(msg); // a request head inside a body cannot come from the decoder
            return;
        }
        if (content.decoderResult().isFailure()) {
            LOG.debug("client {}: invalid request body: {}", clientIp, content.decoderResult().cause().toString());
            content.release();
            backendReusable = false;
            clientKeepAlive = false;
            respondLocally(HttpResponseStatus.BAD_REQUEST, false);
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (content.content().isReadable()) {
            requestHasBody = true;
        }
        backend.write(content);
        backendWritePending = true;
        if (last) {
            requestDone = true;
            flushBackend();
            armServerTimer();
        }
    }

    private void writeClient(Object msg) {
        clientWritePending = true;
        lastClientWrite = ctx.write(msg);
    }

    /**
     * Only when something was written: a flush through the SslHandler with nothing queued still
     * wraps an empty buffer with a new promise, and the end of an exchange is followed by the
     * backend's read-complete.
     */
    private void flushClient() {
        if (clientWritePending) {
            clientWritePending = false;
            ctx.flush();
        }
    }

    private void flushBackend() {
        if (backendWritePending && backend != null) {
            backendWritePending = false;
            backend.flush();
        }
    }

    private void onClientIdle() {
        if (request == null) {
            closeClient(); // an idle keep-alive connection: close quietly, as HAProxy does
        } else if (!requestDone) {
            clientKeepAlive = false;
            backendReusable = false;
            respondLocally(HttpResponseStatus.REQUEST_TIMEOUT, false);
        }
        // Otherwise the server is working or we are sending: the server timeout governs.
    }

    // ---------------------------------------------------------------- backend side

    @Override
    public void onBackendMessage(HttpObject msg) {
        lastBackendActivityNanos = System.nanoTime();
        if (request == null || backend == null) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse response) {
            onBackendResponseHead(response);
        } else if (msg instanceof HttpContent content) {
            onBackendContent(content);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onBackendResponseHead(HttpResponse response) {
        if (response.decoderResult().isFailure()) {
            LOG.debug("client {}: invalid response from {}: {}", clientIp, server,
                    response.decoderResult().cause().toString());
            ReferenceCountUtil.release(response);
            backendReusable = false;
            if (responseStarted) {
                abort();
            } else {
                respondLocally(HttpResponseStatus.BAD_GATEWAY, true);
            }
            return;
        }
        int code = response.status().code();
        if (code == 101) {
            if (!upgradeRequested || !HopByHopHeaders.isUpgrade(response.headers())) {
                ReferenceCountUtil.release(response);
                backendReusable = false;
                respondLocally(HttpResponseStatus.BAD_GATEWAY, true);
                return;
            }
            HopByHopHeaders.strip(response.headers(), true);
            responseStarted = true;
            status = code;
            cancelServerTimer();
            writeResponseHead(response);
            startTunnel();
            return;
        }
        if (code >= 100 && code < 200) {
            // 100 Continue and friends are relayed as they come; the final response follows. An
            // HTTP/1.0 client must not get one (RFC 9110 section 15.2): it is dropped with its end.
            inInformational = true;
            interimRelayed = true;
            if (isHttp10Client) {
                dropInformational = true;
                ReferenceCountUtil.release(response);
                return;
            }
            HopByHopHeaders.strip(response.headers(), false);
            writeResponseHead(response);
            return;
        }
        if (!(headRequest || code == 204 || code == 304) && hasTransferCodingOtherThanChunked(response)) {
            // We removed TE from the request, so a coding other than chunked was never asked for; the
            // body would reach the client still coded (or framed by our close), without saying so.
            LOG.debug("client {}: response from {} with Transfer-Encoding {}", clientIp, server,
                    response.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING));
            ReferenceCountUtil.release(response);
            backendReusable = false;
            respondLocally(HttpResponseStatus.BAD_GATEWAY, true);
            return;
        }
        responseStarted = true;
        status = code;
        prepareResponseHead(response);
        writeResponseHead(response);
    }

    /**
     * Anything but {@code chunked} alone. The first value is enough: the decoder has already refused
     * {@code chunked} twice or not last, so a first value {@code chunked} has no coding after it.
     */
    private static boolean hasTransferCodingOtherThanChunked(HttpResponse response) {
        String te = response.headers().get(HttpHeaderNames.TRANSFER_ENCODING);
        return te != null && !HttpHeaderValues.CHUNKED.contentEqualsIgnoreCase(te);
    }

    private void prepareResponseHead(HttpResponse response) {
        int code = response.status().code();
        boolean backendKeepAlive = HttpUtil.isKeepAlive(response);
        HopByHopHeaders.strip(response.headers(), false);
        boolean bodyless = headRequest || code == 204 || code == 304;
        if (code == 204) {
            // Not allowed on a 204 (RFC 9110 section 8.6): a client that believed it would read the
            // next response as this one's body.
            response.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
        }
        boolean chunked = HttpUtil.isTransferEncodingChunked(response);
        boolean closeDelimited = !bodyless && !chunked && !response.headers().contains(HttpHeaderNames.CONTENT_LENGTH);
        backendReusable = backendKeepAlive && !closeDelimited && !upgradeRequested;
        if (!bodyless) {
            if (isHttp10Client && chunked) {
                response.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
                clientKeepAlive = false; // HTTP/1.0 has no chunks: the body ends when we close
            } else if (closeDelimited) {
                if (isHttp10Client) {
                    clientKeepAlive = false;
                } else {
                    HttpUtil.setTransferEncodingChunked(response, true);
                }
            }
        }
        if (draining()) {
            clientKeepAlive = false;
        }
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        if (!clientKeepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (isHttp10Client) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    private void writeResponseHead(HttpResponse response) {
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        encoder.nextResponseIsHead(headRequest);
        writeClient(response);
    }

    private void onBackendContent(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (content.decoderResult().isFailure()) {
            LOG.debug("client {}: invalid response body from {}: {}", clientIp, server,
                    content.decoderResult().cause().toString());
            content.release();
            backendReusable = false;
            if (responseStarted && !inInformational) {
                abort();
            } else {
                respondLocally(HttpResponseStatus.BAD_GATEWAY, true);
            }
            return;
        }
        if (inInformational) {
            if (dropInformational) {
                content.release();
            } else {
                writeClient(content); // the empty end of a 1xx resets the encoder
            }
            if (last) {
                inInformational = false;
                dropInformational = false;
            }
            return;
        }
        if (!responseStarted) {
            content.release();
            return;
        }
        responseBytes += content.content().readableBytes();
        writeClient(content);
        if (last) {
            if (!requestDone) {
                // The server answered before reading the whole request: what the client still sends
                // cannot be matched to anything, so neither connection can be reused.
                clientKeepAlive = false;
                backendReusable = false;
            }
            endExchange();
        }
    }

    @Override
    public void onBackendReadComplete() {
        flushClient();
    }

    @Override
    public void onBackendWritabilityChanged() {
        updateReads();
    }

    @Override
    public void onBackendClosed(Throwable cause) {
        if (request == null || backend == null) {
            return;
        }
        LOG.debug("client {}: server {} closed the connection{}", clientIp, server,
                cause == null ? "" : ": " + cause);
        backendReusable = false;
        if (mayReplay()) {
            // A pooled connection the server had already given up on: nothing of this request can
            // have been processed, so it is sent again once, on a fresh pick.
            replayed = true;
            Channel dead = backend;
            backend = null;
            backendWritePending = false;
            dead.close();
            releaseServer();
            cancelServerTimer();
            connectAttempts = 0;
            connectBackend();
            return;
        }
        if (responseStarted && !inInformational) {
            abort();
        } else {
            respondLocally(HttpResponseStatus.BAD_GATEWAY, true);
        }
    }

    private boolean mayReplay() {
        return backendReused && !replayed && requestDone && !requestHasBody && !responseStarted
                && !interimRelayed && IDEMPOTENT.contains(request.method());
    }

    private void armServerTimer() {
        lastBackendActivityNanos = System.nanoTime();
        if (serverTimeoutNanos > 0) {
            serverTimerArmed = true;
            if (serverTimer == null) {
                scheduleServerCheck(serverTimeoutNanos);
            }
        }
    }

    private void scheduleServerCheck(long delayNanos) {
        serverTimer = ctx.executor().schedule(this::checkServerTimeout, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void checkServerTimeout() {
        serverTimer = null;
        if (!serverTimerArmed || request == null || backend == null || closing) {
            return;
        }
        // Armed again by a later exchange since this was scheduled: the silence is measured from
        // that exchange's arming, so the check below holds for it as well.
        long silent = System.nanoTime() - lastBackendActivityNanos;
        if (silent < serverTimeoutNanos || !backend.config().isAutoRead()) {
            // Heard from it lately, or we are the ones not reading (the client is slow).
            scheduleServerCheck(Math.max(serverTimeoutNanos - silent, serverTimeoutNanos / 4));
            return;
        }
        serverTimerArmed = false;
        LOG.debug("client {}: server {} timed out", clientIp, server);
        backendReusable = false;
        if (responseStarted && !inInformational) {
            abort();
        } else {
            respondLocally(HttpResponseStatus.GATEWAY_TIMEOUT, true);
        }
    }

    /** Disarms without touching the scheduler: the pending check, if any, finds nothing to do. */
    private void cancelServerTimer() {
        serverTimerArmed = false;
    }

    /** The connection is done: the pending check goes too, so nothing holds on to this handler. */
    private void stopServerTimer() {
        serverTimerArmed = false;
        if (serverTimer != null) {
            serverTimer.cancel(false);
            serverTimer = null;
        }
    }

    // ---------------------------------------------------------------- ending exchanges

    /**
     * Answers the current request (or the connection, between requests) with a status of our own. The
     * client connection stays open only when the request stream is known to be intact: the request
     * was read to its end, or its framing was valid ({@code framingIntact}) so the rest of its body
     * can be read and dropped; and the client wants keep-alive.
     */
    private void respondLocally(HttpResponseStatus errorStatus, boolean framingIntact) {
        if (responseStarted && request != null) {
            abort();
            return;
        }
        boolean keep = request != null && (requestDone || framingIntact) && clientKeepAlive && !draining();
        status = errorStatus.code();
        responseStarted = true;
        backendReusable = false;
        encoder.nextResponseIsHead(request != null && headRequest); // a HEAD gets our headers only
        writeClient(ErrorResponses.create(ctx.alloc(), errorStatus, !keep));
        if (request == null) {
            // Between requests (408): there is no exchange to end.
            accessLog(null);
            closeClient();
            return;
        }
        clientKeepAlive = keep;
        endExchange();
    }

    /** Mid-response failure: the client cannot be told with a status any more, so both sides close. */
    private void abort() {
        backendReusable = false;
        clientKeepAlive = false;
        closing = true;
        endExchange();
        ctx.close();
    }

    private void endExchange() {
        cancelServerTimer();
        accessLog(request);
        Channel b = backend;
        backend = null;
        backendWritePending = false;
        if (b != null) {
            BackendConnectionHandler handler = b.pipeline().get(BackendConnectionHandler.class);
            if (handler != null) {
                handler.detach();
            }
            if (backendReusable && requestDone && b.isActive()) {
                frontend.connections().release(server, b);
            } else {
                b.close();
            }
        }
        releaseServer();
        request = null;
        servedRequest = true;
        inInformational = false;
        if (closing || !clientKeepAlive || draining()) {
            closeClient();
            return;
        }
        flushClient();
        armRequestTimer();
        processPending();
    }

    private void releaseServer() {
        if (serverCounted) {
            serverCounted = false;
            server.connectionClosed();
        }
    }

    private void closeClient() {
        closing = true;
        releasePending();
        stopRequestTimer();
        ChannelFuture last = lastClientWrite;
        flushClient();
        if (last != null && !last.isDone()) {
            last.addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    private void accessLog(HttpRequest req) {
        if (req != null) {
            frontend.observer().requestCompleted(status, System.nanoTime() - startNanos);
        }
        AccessLog log = frontend.accessLog();
        if (log.enabled()) {
            long started = req == null ? System.currentTimeMillis() : startMillis;
            long millis = req == null ? 0 : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
            log.log(clientIp, started, req, status, responseBytes, server == null ? null : server.name(), millis);
        }
    }

    // ---------------------------------------------------------------- protocol switch

    /** After a 101: both pipelines drop HTTP and relay bytes until either side closes. */
    private void startTunnel() {
        Channel client = ctx.channel();
        Channel b = backend;
        BackendServer tunnelServer = server;
        if (!pending.isEmpty()) {
            // The client sent more requests behind the upgrade; their bytes were decoded as HTTP and
            // cannot be relayed as raw bytes any more.
            abort();
            return;
        }
        accessLog(request);
        tunnelling = true;
        backend = null;
        request = null;
        serverCounted = false; // the tunnel's close hands the server its connection back
        flushClient();
        stopRequestTimer();

        ChannelPipeline bp = b.pipeline();
        ChannelPipeline cp = ctx.pipeline();
        // The tunnel's close hands the server its connection back (as a TCP-mode relay does).
        b.closeFuture().addListener(f -> tunnelServer.connectionClosed());
        // Encoders go first: from here on raw bytes flow both ways and must not meet an HTTP encoder.
        // (The 101 head is already encoded.) Anything the backend decoder still emits as an HTTP
        // object, such as the empty end of the 101, is dropped by the relay.
        cp.remove(HttpProxyInitializer.ENCODER);
        bp.remove(BackendConnectionPool.ENCODER);
        cp.addLast("stapled-tunnel", new RelayHandler(b));
        bp.addLast("stapled-tunnel", new RelayHandler(client));
        bp.remove(BackendConnectionHandler.NAME);
        cp.remove(this);
        // Removing a decoder hands its unread bytes to the relay behind it.
        cp.remove(HttpProxyInitializer.DECODER);
        bp.remove(BackendConnectionPool.DECODER);
        client.config().setAutoRead(b.isWritable());
        b.config().setAutoRead(client.isWritable());
        b.flush();
        client.flush();
    }

    // ---------------------------------------------------------------- helpers

    private void updateReads() {
        if (tunnelling || ctx == null) {
            return;
        }
        Channel client = ctx.channel();
        boolean readClient;
        if (closing) {
            readClient = false;
        } else if (request == null) {
            readClient = pending.isEmpty();
        } else if (backend == null) {
            readClient = false; // connecting: the request's body waits in the socket
        } else if (requestDone) {
            // Waiting for the response. Reading stays on until a pipelined request is queued: one
            // read's worth at most then waits decoded, and a plain keep-alive exchange does not
            // turn EPOLLIN off and on again (two epoll_ctl calls and a read() per request).
            readClient = pending.isEmpty();
        } else {
            readClient = backend.isWritable() && pending.isEmpty();
        }
        client.config().setAutoRead(readClient);
        if (backend != null) {
            backend.config().setAutoRead(client.isWritable());
        }
    }

    private boolean draining() {
        return drainRequested || frontend.isDraining();
    }

    private void armRequestTimer() {
        if (requestTimeoutNanos > 0) {
            requestTimerArmed = true;
            requestDeadlineNanos = System.nanoTime() + requestTimeoutNanos;
            if (requestTimer == null) {
                scheduleRequestCheck(requestTimeoutNanos);
            }
        }
    }

    private void scheduleRequestCheck(long delayNanos) {
        requestTimer = ctx.executor().schedule(this::onRequestTimeout, delayNanos, TimeUnit.NANOSECONDS);
    }

    /** Disarms without touching the scheduler: the pending check, if any, finds nothing to do. */
    private void cancelRequestTimer() {
        requestTimerArmed = false;
    }

    /** The connection is done: the pending check goes too, so nothing holds on to this handler. */
    private void stopRequestTimer() {
        requestTimerArmed = false;
        if (requestTimer != null) {
            requestTimer.cancel(false);
            requestTimer = null;
        }
    }

    private void onRequestTimeout() {
        requestTimer = null;
        if (!requestTimerArmed) {
            return;
        }
        long left = requestDeadlineNanos - System.nanoTime();
        if (left > 0) {
            scheduleRequestCheck(left); // re-armed by a later request since this was scheduled
            return;
        }
        requestTimerArmed = false;
        if (request == null && !closing && !tunnelling) {
            LOG.debug("client {}: no request headers within the request timeout", clientIp);
            respondLocally(HttpResponseStatus.REQUEST_TIMEOUT, false);
        }
    }

    private void releasePending() {
        HttpObject msg;
        while ((msg = pending.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }
}
