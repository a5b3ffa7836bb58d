package io.stapled.proxy.http;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
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
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;

import io.stapled.config.BackendConfig;
import io.stapled.config.CompressionConfig;
import io.stapled.config.RequestIdConfig;
import io.stapled.proxy.headers.HeaderRequest;
import io.stapled.proxy.headers.HeaderRewriter;
import io.stapled.proxy.backend.BackendServer;
import io.stapled.proxy.backend.BalanceInput;
import io.stapled.proxy.backend.ServerQueue;
import io.stapled.proxy.conn.LazyDeadline;
import io.stapled.proxy.proxyprotocol.ClientAddress;
import io.stapled.proxy.route.ConnectionFacts;
import io.stapled.proxy.route.RouteRequest;
import io.stapled.proxy.route.RouteTable;

/**
 * One request and its response: validates the request head, routes it (to a backend, or answers it
 * with the route's redirect or return), rewrites it, picks a server, borrows a
 * backend connection, forwards the body as it comes, relays the response and gives the connection
 * back if its framing is intact. It holds everything that belongs to one request, so the client side
 * ({@link ExchangeClient}) only says where the response goes; an HTTP/1.1 connection runs one at a
 * time, and an HTTP/2 stream will drive the same object. On the client's event loop only.
 *
 * <p>Flow control: the client side reads request body parts only while {@link #wantsRequestBody()},
 * that is while the backend connection is writable, and the backend is read only while the client is
 * writable, so a body is never held whole in memory.
 *
 * <p>Why one class of ~580 lines: the request side (connect, retry on another server, replay of an
 * idempotent request on a reused connection that closed) and the response side (head, interim 1xx,
 * body relay, the 101 switch) read and write the same few flags of one request — whether the response
 * has started decides whether a failure may be retried, replayed, answered with a status or must abort
 * — and splitting them would put those flags behind accessors on a second per-request object, or hand
 * a shared mutable state object between two, for the sake of line count. What is separable already
 * is: the client connection ({@link Http1ConnectionHandler}), response framing
 * ({@link ResponseFraming}), the head rewrite ({@link ForwardedHeaders}, {@link RequestValidator}),
 * the backend pool ({@link BackendConnections}), the tunnel after a 101 ({@link UpgradeTunnel}) and
 * the timers ({@link LazyDeadline}). One Exchange is the one allocation per request besides Netty's own.
 */
final class Exchange implements BackendListener, CompletedRequest, RouteRequest, HeaderRequest, BalanceInput {
    private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);
    /** Connection attempts per request (HAProxy's default {@code retries 3} with redispatch). */
    static final int MAX_CONNECT_ATTEMPTS = 3;
    /** Methods a request of which may be sent again (RFC 9110 section 9.2.2). */
    private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD,
            HttpMethod.OPTIONS, HttpMethod.TRACE, HttpMethod.PUT, HttpMethod.DELETE);

    private final HttpProxyInitializer frontend;
    private final ExchangeClient client;
    private final HttpRequest request;
    private final boolean headRequest;
    private final long startMillis;
    private final long startNanos;
    private final LazyDeadline serverDeadline;

    /** The client spoke HTTP/1.0; the request itself is rewritten to 1.1 for the backend. */
    private boolean http10Client;
    private boolean upgradeRequested;
    /** The client sent {@code te: trailers}: hop-by-hop, but an HTTP/2 server (gRPC) is told it too. */
    private boolean teTrailers;
    private boolean keepAlive;
    private boolean requestDone;
    private boolean requestHasBody;
    private boolean responseStarted;
    private boolean inInformational;
    private boolean dropInformational;
    private boolean interimRelayed;
    private boolean backendReused;
    private boolean backendReusable;
    private boolean backendWritePending;
    private boolean replayed;
    private boolean finished;
    private boolean aborted;
    private int connectAttempts;
    /** The backend the routes picked; null until then, and for a request answered locally. */
    private Upstream upstream;
    private String host;
    private boolean hostRead;
    private BackendServer server;
    private boolean serverCounted;
    /** What the request's stickiness cookie said (null: none), and the server it named while still to be tried. */
    private String cookieValue;
    private BackendServer stickyServer;
    /** The server one of whose {@code max_connections} slots this request holds, or null. */
    private BackendServer slotServer;
    /** Waiting for a slot of a full server: its place in the queue, and the queue timeout. */
    private ServerQueue.Waiter waiter;
    private ScheduledFuture<?> queueTimer;
    private boolean refused;
    private Channel backend;
    private int status;
    private long responseBytes;
    private long endNanos;
    /** {@link System#nanoTime()} when a backend connection was held, and when its response head came; 0 before. */
    private long connectedAt;
    private long responseHeadAt;
    /** The route's response header rules; null until a route sent the request to a backend. */
    private HeaderRewriter routeResponseRules;
    /** {@code %[unique-id]} and the request id header: made on first use, or taken from the client. */
    private String uniqueId;
    /** The request target before a route's path rewrite; null when it was not rewritten. */
    private String clientUri;
    /** {@code max_request_body} for this request, or -1; and the body bytes forwarded so far. */
    private long maxRequestBody = -1;
    private long requestBodyBytes;
    /** The route's or frontend's compression, null for none; what the client accepts of it; the body's coder. */
    private Compression compression;
    private CompressionConfig.Algorithm acceptedCoding;
    private CompressedBody compressor;

    Exchange(HttpProxyInitializer frontend, ExchangeClient client, HttpRequest request) {
        this.frontend = frontend;
        this.client = client;
        this.request = request;
        this.headRequest = HttpMethod.HEAD.equals(request.method());
        this.serverDeadline = client.serverDeadline();
        this.startMillis = System.currentTimeMillis();
        this.startNanos = System.nanoTime();
    }

    /** Validates the head and either answers it locally or starts forwarding it. */
    void start() {
        HttpResponseStatus refusal = frontend.requestValidator().check(request);
        if (refusal != null) {
            LOG.debug("client {} request refused with {}: {}", client.ip(), refusal.code(),
                    request.decoderResult().isFailure() ? request.decoderResult().cause().getMessage() : request.uri());
            ReferenceCountUtil.release(request); // an invalid message is a FullHttpRequest
            keepAlive = false;
            respondLocally(refusal, false);
            return;
        }
        http10Client = request.protocolVersion() == HttpVersion.HTTP_1_0;
        keepAlive = HttpUtil.isKeepAlive(request) && !client.draining();
        upgradeRequested = HopByHopHeaders.isUpgrade(request.headers());
        teTrailers = request.headers().containsValue(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS, true);
        RequestIdConfig requestId = frontend.requestId();
        if (requestId != null) {
            String incoming = requestId.trustIncoming() ? request.headers().get(frontend.requestIdHeader()) : null;
            if (incoming != null && !incoming.isEmpty()) {
                uniqueId = incoming;
            } else {
                request.headers().set(frontend.requestIdHeader(), uniqueId());
            }
        }
        // Routes see the request as the client sent it, before the hop-by-hop and forwarding rewrite.
        RouteTable.Outcome<Upstream> route = frontend.routes().select(this);
        if (route.backend() == null) {
            answerLocally(route);
            return;
        }
        upstream = route.backend();
        serverDeadline.timeout(upstream.serverTimeoutNanos());
        maxRequestBody = route.maxRequestBody() >= 0 ? route.maxRequestBody() : frontend.maxRequestBody();
        if (maxRequestBody >= 0 && HttpUtil.getContentLength(request, -1L) > maxRequestBody) {
            // Refused before a backend is picked. The body is read and dropped (as nginx does) rather
            // than the connection closed under it: a close with unread bytes is a TCP reset, which
            // can reach the client before the 413 does.
            LOG.debug("client {}: content-length {} over max_request_body {}", client.ip(),
                    HttpUtil.getContentLength(request, -1L), maxRequestBody);
            respondLocally(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, true);
            return;
        }
        compression = headRequest ? null : frontend.compression(route.compression());
        if (compression != null) {
            // The client's own header, before any rule could change it (it is forwarded as the rules leave it).
            acceptedCoding = compression.negotiate(request.headers().get(HttpHeaderNames.ACCEPT_ENCODING));
        }
        HopByHopHeaders.strip(request.headers(), upgradeRequested);
        if (client.address() != null) {
            frontend.forwardedHeaders().apply(request.headers(), client.address());
        }
        // After the forwarded headers, so a rule can override them; the frontend's first, then the
        // route's, as HAProxy runs a frontend's http-request rules before its backend's.
        frontend.requestRules().apply(request.headers(), this);
        route.requestRules().apply(request.headers(), this);
        routeResponseRules = route.responseRules();
        if (route.pathRewrite() != null) {
            // The access log keeps the request line the client sent, as HAProxy's %r does.
            clientUri = request.uri();
            request.setUri(route.pathRewrite().apply(clientUri));
        }
        // The backend side speaks HTTP/1.1 and keeps its connection alive (to an h2 server, the
        // stream's codec turns the same messages into frames).
        request.setProtocolVersion(HttpVersion.HTTP_1_1);
        if (upstream.cookie() != null) {
            cookieValue = upstream.cookie().fromRequest(request.headers());
            stickyServer = StickyCookie.server(upstream.pool(), cookieValue);
        }
        connectBackend();
    }

    // ---------------------------------------------------------------- state the client side reads

    boolean isFinished() {
        return finished;
    }

    /** Ended mid-response: the client connection must close at once, without a clean end. */
    boolean aborted() {
        return aborted;
    }

    /** The connection to the client may carry another request after this one. */
    boolean keepAlive() {
        return keepAlive;
    }

    /** The request's body has been read to its end. */
    boolean requestDone() {
        return requestDone;
    }

    /** A request body part may be handed to {@link #forwardRequestPart} now. */
    boolean acceptsRequestPart() {
        return backend != null && !requestDone;
    }

    /** Whether the client side should read more now: while connecting, the body waits in the socket. */
    boolean wantsRequestBody() {
        if (backend == null) {
            return false;
        }
        // Waiting for the response, reading stays on: a pipelined request is then queued by the client
        // side, and a plain keep-alive exchange does not turn EPOLLIN off and on again.
        return requestDone || backend.isWritable();
    }

    /** Back-pressure from the client towards the backend: it is read only while the client is writable. */
    void readBackend(boolean clientWritable) {
        if (backend != null) {
            backend.config().setAutoRead(clientWritable);
        }
    }

    void clientWritabilityChanged() {
        serverDeadline.touch(); // a stalled client is not a slow server
    }

    // ---------------------------------------------------------------- request side

    private void connectBackend() {
        // The cookie's server once; a retry after its connect failed is balanced (HAProxy's redispatch).
        BackendServer sticky = stickyServer != null && stickyServer.isAvailable() ? stickyServer : null;
        stickyServer = null;
        BackendServer picked = sticky != null ? sticky : upstream.pool().selectFor(this);
        if (picked == null) {
            LOG.debug("client {}: no server available in backend {}", client.ip(), upstream.name());
            respondLocally(HttpResponseStatus.SERVICE_UNAVAILABLE, true);
            return;
        }
        if (!takeSlot(picked)) {
            // HAProxy's order: another server with room first, else wait for the one the balancer picked
            // (a request the cookie sent to its server waits for it, as HAProxy queues persistent ones there)
            BackendServer other = sticky != null ? null : upstream.pool().selectWithRoom(this);
            if (other == null || !takeSlot(other)) {
                waitForSlot(picked);
                return;
            }
            picked = other;
        }
        lease(picked);
    }

    /** True when {@code s} has no {@code max_connections}, or one of its slots is now this request's. */
    private boolean takeSlot(BackendServer s) {
        ServerQueue queue = s.queue();
        if (queue == null) {
            return true;
        }
        if (!queue.tryAcquire()) {
            return false;
        }
        slotServer = s;
        return true;
    }

    /** Queues for a slot of {@code s}; 503 when its queue is full or the backend's queue_timeout is 0. */
    private void waitForSlot(BackendServer s) {
        long timeoutNanos = upstream.pool().config().queueTimeout().toNanos();
        io.netty.channel.EventLoop loop = client.channel().eventLoop();
        ServerQueue.Waiter w = timeoutNanos > 0 ? s.queue().enqueue(loop, () -> slotGranted(s)) : null;
        if (w == null) {
            LOG.debug("client {}: server {} is at its max_connections and its queue is full", client.ip(), s);
            respondLocally(HttpResponseStatus.SERVICE_UNAVAILABLE, true);
            return;
        }
        server = s;
        waiter = w;
        queueTimer = loop.schedule(this::queueTimedOut, timeoutNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** On the client's event loop, holding a slot of {@code s}. */
    private void slotGranted(BackendServer s) {
        waiter = null;
        cancelQueueTimer();
        if (finished || client.isClosing()) {
            s.queue().release(); // gave up after the slot was granted
            return;
        }
        slotServer = s;
        lease(s);
    }

    private void queueTimedOut() {
        queueTimer = null;
        ServerQueue.Waiter w = waiter;
        if (w != null && w.cancel(true)) {
            waiter = null;
            LOG.debug("client {}: no slot of server {} within queue_timeout", client.ip(), server);
            respondLocally(HttpResponseStatus.SERVICE_UNAVAILABLE, true);
        }
    }

    /** Leaves the queue (the client went away); a slot already on its way is released by {@link #slotGranted}. */
    private void stopWaiting() {
        if (waiter != null) {
            waiter.cancel(false);
            waiter = null;
        }
        cancelQueueTimer();
    }

    private void cancelQueueTimer() {
        if (queueTimer != null) {
            queueTimer.cancel(false);
            queueTimer = null;
        }
    }

    private void releaseSlot() {
        if (slotServer != null) {
            BackendServer s = slotServer;
            slotServer = null;
            s.queue().release();
        }
    }

    private void lease(BackendServer picked) {
        server = picked;
        connectAttempts++;
        Future<Channel> acquired = upstream.connections().acquire(picked, client.channel());
        if (acquired.isDone()) {
            onBackendAcquired(acquired, picked);
        } else {
            acquired.addListener(f -> onBackendAcquired(acquired, picked));
        }
    }

    private void onBackendAcquired(Future<Channel> acquired, BackendServer picked) {
        boolean gone = finished || client.isClosing() || picked != server;
        if (!acquired.isSuccess()) {
            if (gone) {
                return;
            }
            LOG.debug("client {}: connect to {} failed (attempt {}): {}", client.ip(), picked, connectAttempts,
                    acquired.cause().toString());
            releaseSlot();
            if (connectAttempts < MAX_CONNECT_ATTEMPTS) {
                connectBackend();
            } else {
                respondLocally(HttpResponseStatus.SERVICE_UNAVAILABLE, true);
            }
            return;
        }
        Channel ch = acquired.getNow();
        if (gone) {
            upstream.connections().release(picked, ch);
            return;
        }
        backend = ch;
        connectedAt = System.nanoTime();
        picked.connectionOpened();
        serverCounted = true;
        backendReused = Boolean.TRUE.equals(ch.attr(BackendConnectionPool.REUSED).get());
        ch.pipeline().get(BackendConnectionHandler.class).attach(this, headRequest);
        if (teTrailers && picked.proto() == BackendConfig.Protocol.H2) {
            // RFC 9113 section 8.2.2 lets it through HTTP/2; a replay may go to an HTTP/1.1 server.
            request.headers().set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
        } else {
            request.headers().remove(HttpHeaderNames.TE);
        }
        ch.write(request);
        backendWritePending = true;
        if (requestDone) {
            // A replay: the request had no body and its end was consumed on the first attempt.
            ch.write(LastHttpContent.EMPTY_LAST_CONTENT);
            serverDeadline.arm();
        }
        client.readinessChanged();
        flushBackend();
    }

    /** A part of the request body; only while {@link #acceptsRequestPart()}. Ownership passes here. */
    void forwardRequestPart(HttpObject msg) {
        if (!(msg instanceof HttpContent content)) {
            ReferenceCountUtil.release(msg); // a request head inside a body cannot come from the decoder
            return;
        }
        if (content.decoderResult().isFailure()) {
            LOG.debug("client {}: invalid request body: {}", client.ip(), content.decoderResult().cause().toString());
            content.release();
            backendReusable = false;
            keepAlive = false;
            respondLocally(HttpResponseStatus.BAD_REQUEST, false);
            return;
        }
        if (content instanceof LastHttpContent trailer) {
            HttpResponseStatus refusal = frontend.requestValidator().checkTrailers(trailer.trailingHeaders());
            if (refusal != null) {
                LOG.debug("client {}: request trailers refused with {}", client.ip(), refusal.code());
                content.release();
                backendReusable = false;
                keepAlive = false;
                respondLocally(refusal, false);
                return;
            }
            frontend.forwardedHeaders().stripFromTrailers(trailer.trailingHeaders());
        }
        if (content.content().isReadable()) {
            requestHasBody = true;
            requestBodyBytes += content.content().readableBytes();
            if (maxRequestBody >= 0 && requestBodyBytes > maxRequestBody) {
                // A streamed body: what was forwarded stays partial, so the backend connection is
                // closed (the server sees the request aborted) and the client gets 413 if nothing was
                // answered yet (the rest of its body is read and dropped), else its connection is cut.
                LOG.debug("client {}: request body over max_request_body {}", client.ip(), maxRequestBody);
                content.release();
                backendReusable = false;
                respondLocally(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, true); // the rest is dropped
                return;
            }
        }
        backend.write(content);
        backendWritePending = true;
        if (content instanceof LastHttpContent) {
            requestDone = true;
            flushBackend();
            serverDeadline.arm();
        }
    }

    /** The end of a read from the client: what was forwarded goes out in one flush. */
    void flushBackend() {
        if (backendWritePending && backend != null) {
            backendWritePending = false;
            backend.flush();
        }
    }

    /** The client timeout passed with the request still incomplete: 408. */
    void onClientIdle() {
        if (!requestDone) {
            keepAlive = false;
            backendReusable = false;
            respondLocally(HttpResponseStatus.REQUEST_TIMEOUT, false);
        }
        // Otherwise the server is working or we are sending: the server timeout governs.
    }

    /** The client connection closed under the exchange. */
    void clientClosed() {
        backendReusable = false;
        keepAlive = false;
        finish();
    }

    // ---------------------------------------------------------------- backend side

    @Override
    public void onBackendMessage(HttpObject msg) {
        serverDeadline.touch();
        if (finished || backend == null) {
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
            LOG.debug("client {}: invalid response from {}: {}", client.ip(), server,
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
            switchProtocols(response);
            return;
        }
        if (code >= 100 && code < 200) {
            // 100 Continue and friends are relayed as they come; the final response follows. An
            // HTTP/1.0 client must not get one (RFC 9110 section 15.2): it is dropped with its end.
            inInformational = true;
            interimRelayed = true;
            if (http10Client) {
                dropInformational = true;
                ReferenceCountUtil.release(response);
                return;
            }
            HopByHopHeaders.strip(response.headers(), false);
            client.writeHead(response, headRequest);
            return;
        }
        boolean bodyless = ResponseFraming.isBodyless(code, headRequest);
        if (!bodyless && ResponseFraming.hasTransferCodingOtherThanChunked(response)) {
            // We removed TE from the request, so a coding other than chunked was never asked for; the
            // body would reach the client still coded (or framed by our close), without saying so.
            LOG.debug("client {}: response from {} with Transfer-Encoding {}", client.ip(), server,
                    response.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING));
            ReferenceCountUtil.release(response);
            backendReusable = false;
            respondLocally(HttpResponseStatus.BAD_GATEWAY, true);
            return;
        }
        responseStarted = true;
        responseHeadAt = System.nanoTime();
        status = code;
        boolean backendKeepAlive = HttpUtil.isKeepAlive(response);
        HopByHopHeaders.strip(response.headers(), false);
        if (code == 204) {
            // Not allowed on a 204 (RFC 9110 section 8.6): a client that believed it would read the
            // next response as this one's body.
            response.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
        }
        // Before framing, so a rule cannot touch the framing headers after they were checked; the
        // route's rules first, then the frontend's (with HSTS), as HAProxy's backend then frontend.
        if (upstream.cookie() != null) {
            upstream.cookie().onResponse(response.headers(), server, cookieValue);
        }
        routeResponseRules.apply(response.headers(), this);
        frontend.responseRules().apply(response.headers(), this);
        backendReusable = backendKeepAlive && !upgradeRequested && ResponseFraming.isDelimited(response, bodyless);
        if (compression != null && !bodyless && !http10Client) {
            // After the rules, so it sees the headers the client will; before framing, which it changes.
            compressor = compression.begin(response, acceptedCoding, client.channel());
        }
        keepAlive = ResponseFraming.frameForClient(response, bodyless, http10Client, keepAlive && !client.draining());
        frontend.afterResponseRules().apply(response.headers(), this);
        client.writeHead(response, headRequest);
        if (response instanceof LastHttpContent) {
            // An HTTP/2 server's response that ended on its HEADERS frame (a gRPC error, a 204).
            responseEnded();
        }
    }

    private void switchProtocols(HttpResponse response) {
        if (!upgradeRequested || !HopByHopHeaders.isUpgrade(response.headers())) {
            ReferenceCountUtil.release(response);
            backendReusable = false;
            respondLocally(HttpResponseStatus.BAD_GATEWAY, true);
            return;
        }
        HopByHopHeaders.strip(response.headers(), true);
        responseStarted = true;
        responseHeadAt = System.nanoTime();
        status = 101;
        serverDeadline.disarm();
        client.writeHead(response, false);
        Channel b = backend;
        if (!client.switchProtocols(b, server)) {
            // The client sent more requests behind the upgrade; their bytes were decoded as HTTP and
            // cannot be relayed as raw bytes any more.
            abort();
            return;
        }
        // The tunnel owns both connections now; its close hands the server its connection back, and
        // the slot of max_connections with it.
        backend = null;
        serverCounted = false;
        BackendServer slotOwner = slotServer;
        slotServer = null;
        if (slotOwner != null) {
            b.closeFuture().addListener(f -> slotOwner.queue().release());
        }
        finished = true;
        endNanos = System.nanoTime();
        observer().requestCompleted(this);
    }

    private void onBackendContent(HttpContent content) {
        if (content.decoderResult().isFailure()) {
            LOG.debug("client {}: invalid response body from {}: {}", client.ip(), server,
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
        boolean last = content instanceof LastHttpContent;
        if (inInformational) {
            if (dropInformational) {
                content.release();
            } else {
                client.writeContent(content); // the empty end of a 1xx resets the encoder
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
        if (compressor != null) {
            HttpContent coded = compressor.encode(content);
            if (coded == null) {
                return; // the coder keeps it until it has output, at the latest with the last part
            }
            content = coded;
        }
        responseBytes += content.content().readableBytes();
        client.writeContent(content);
        if (last) {
            responseEnded();
        }
    }

    private void responseEnded() {
        if (!requestDone) {
            // The server answered before reading the whole request: what the client still sends
            // cannot be matched to anything, so neither connection can be reused.
            keepAlive = false;
            backendReusable = false;
        }
        finish();
    }

    @Override
    public void onBackendReadComplete() {
        client.flush();
    }

    @Override
    public void onBackendWritabilityChanged() {
        client.readinessChanged();
    }

    @Override
    public void onBackendClosed(Throwable cause) {
        if (finished || backend == null) {
            return;
        }
        LOG.debug("client {}: server {} closed the connection{}", client.ip(), server,
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
            serverDeadline.disarm();
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

    /** The server timeout passed since the backend was last heard from. */
    void onServerTimeout() {
        if (finished || backend == null) {
            return;
        }
        if (!backend.config().isAutoRead()) {
            serverDeadline.arm(); // we are the ones not reading: the client is slow, not the server
            return;
        }
        LOG.debug("client {}: server {} timed out", client.ip(), server);
        backendReusable = false;
        if (responseStarted && !inInformational) {
            abort();
        } else {
            respondLocally(HttpResponseStatus.GATEWAY_TIMEOUT, true);
        }
    }

    // ---------------------------------------------------------------- ending

    /**
     * Answers with a status of our own. The client connection stays open only when the request
     * stream is known to be intact: the request was read to its end, or its framing was valid
     * ({@code framingIntact}) so the rest of its body can be read and dropped; and the client wants
     * keep-alive.
     */
    private void respondLocally(HttpResponseStatus errorStatus, boolean framingIntact) {
        if (responseStarted) {
            abort();
            return;
        }
        boolean keep = (requestDone || framingIntact) && keepAlive && !client.draining();
        status = errorStatus.code();
        refused = status < 500; // our own 4xx: the request was invalid or too slow
        responseStarted = true;
        backendReusable = false;
        FullHttpResponse response = ErrorResponses.create(client.alloc(), errorStatus, !keep);
        frontend.afterResponseRules().apply(response.headers(), this);
        client.writeHead(response, headRequest);
        keepAlive = keep;
        finish();
    }

    /**
     * A route's redirect or return, or 503 when no route matched and there is no default backend. The
     * head was valid, so the connection stays open when the client wants it (a body is read and dropped).
     */
    private void answerLocally(RouteTable.Outcome<Upstream> route) {
        if (route.redirect() == null && route.answer() == null) {
            LOG.debug("client {}: no route matched {} and frontend {} has no default backend", client.ip(),
                    request.uri(), frontend.frontend().name());
            respondLocally(HttpResponseStatus.SERVICE_UNAVAILABLE, true);
            return;
        }
        boolean keep = keepAlive && !client.draining();
        FullHttpResponse response = route.redirect() != null
                ? LocalResponses.redirect(route.redirect(), request, !keep)
                : LocalResponses.answer(client.alloc(), route.answer(), route.answerBody(), !keep);
        if (response == null) {
            LOG.debug("client {}: a scheme redirect needs a Host header", client.ip());
            respondLocally(HttpResponseStatus.BAD_REQUEST, true);
            return;
        }
        status = response.status().code();
        responseStarted = true;
        frontend.afterResponseRules().apply(response.headers(), this);
        client.writeHead(response, headRequest);
        keepAlive = keep;
        finish();
    }

    private HttpRequestObserver observer() {
        return upstream != null ? upstream.observer() : frontend.observer();
    }

    /** Mid-response failure: the client cannot be told with a status any more, so both sides close. */
    private void abort() {
        aborted = true;
        backendReusable = false;
        keepAlive = false;
        finish();
    }

    private void finish() {
        if (finished) {
            return;
        }
        finished = true;
        endNanos = System.nanoTime();
        serverDeadline.disarm();
        if (compressor != null) {
            compressor.close();
        }
        stopWaiting();
        observer().requestCompleted(this);
        Channel b = backend;
        backend = null;
        backendWritePending = false;
        if (b != null) {
            BackendConnectionHandler handler = b.pipeline().get(BackendConnectionHandler.class);
            if (handler != null) {
                handler.detach();
            }
            if (backendReusable && requestDone && b.isActive()) {
                upstream.connections().release(server, b);
            } else {
                b.close();
            }
        }
        releaseServer();
        client.exchangeFinished(this);
    }

    private void releaseServer() {
        if (serverCounted) {
            serverCounted = false;
            server.connectionClosed();
        }
        releaseSlot();
    }

    // ---------------------------------------------------------------- RouteRequest

    @Override
    public String methodName() {
        return request.method().name();
    }

    @Override
    public String host() {
        // Read once: every host route asks, and a header lookup costs more than the comparison.
        if (!hostRead) {
            hostRead = true;
            host = request.headers().get(HttpHeaderNames.HOST);
        }
        return host;
    }

    @Override
    public String uri() {
        return request.uri();
    }

    @Override
    public HttpHeaders headers() {
        return request.headers();
    }

    // ---------------------------------------------------------------- BalanceInput (and source() above)

    @Override
    public String header(String name) {
        return request.headers().get(name);
    }

    @Override
    public InetAddress source() {
        return client.address();
    }

    @Override
    public String sni() {
        return ConnectionFacts.sni(client.channel());
    }

    @Override
    public String tlsVersion() {
        return ConnectionFacts.tlsVersion(client.channel());
    }

    @Override
    public io.stapled.tls.ClientCertificate clientCertificate() {
        // For HTTP/2 the client channel is the connection, not the stream: the certificate is kept there.
        return ConnectionFacts.clientCertificate(client.channel());
    }

    // ---------------------------------------------------------------- HeaderRequest

    @Override
    public Channel connection() {
        return client.channel();
    }

    @Override
    public HttpHeaders requestHeaders() {
        return request.headers();
    }

    @Override
    public String uniqueId() {
        if (uniqueId == null) {
            uniqueId = RequestIds.next();
        }
        return uniqueId;
    }

    // ---------------------------------------------------------------- CompletedRequest

    @Override
    public String requestUri() {
        return clientUri != null ? clientUri : request.uri();
    }

    @Override
    public String requestId() {
        return frontend.requestId() == null ? null : uniqueId;
    }

    @Override
    public String clientIp() {
        return client.ip();
    }

    @Override
    public String protocol() {
        String p = client.protocol();
        return p != null ? p : CompletedRequest.super.protocol();
    }

    @Override
    public long startMillis() {
        return startMillis;
    }

    @Override
    public HttpRequest request() {
        return request;
    }

    @Override
    public int status() {
        return status;
    }

    @Override
    public long responseBytes() {
        return responseBytes;
    }

    @Override
    public long uncompressedBytes() {
        return compressor == null ? -1 : compressor.bytesIn();
    }

    @Override
    public String serverName() {
        return server == null ? null : server.name();
    }

    @Override
    public BackendServer server() {
        return server;
    }

    @Override
    public boolean refused() {
        return refused;
    }

    @Override
    public long durationNanos() {
        return endNanos - startNanos;
    }

    @Override
    public InetSocketAddress clientAddress() {
        return ClientAddress.source(client.channel());
    }

    @Override
    public long connectNanos() {
        return connectedAt == 0 ? -1 : connectedAt - startNanos;
    }

    @Override
    public long responseHeadNanos() {
        return responseHeadAt == 0 ? -1 : responseHeadAt - startNanos;
    }

    @Override
    public long requestBytes() {
        return requestBodyBytes;
    }

    @Override
    public HeaderRequest fetchSource() {
        return this;
    }

}
