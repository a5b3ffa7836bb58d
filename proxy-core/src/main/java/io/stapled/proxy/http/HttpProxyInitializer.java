package io.stapled.proxy.http;

import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.SslClientHelloHandler;
import io.netty.handler.ssl.SslHandler;

import io.stapled.config.CompressionConfig;
import io.stapled.config.FrontendConfig;
import io.stapled.config.Http2Config;
import io.stapled.config.HttpConfig;
import io.stapled.config.RouteConfig;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.conn.IdleTimeoutHandler;
import io.stapled.proxy.route.RouteTable;
import io.stapled.proxy.headers.HeaderRewriter;
import io.stapled.config.RequestIdConfig;
import io.netty.util.AsciiString;

/**
 * The HTTP reverse proxy of one frontend: HTTP/1.1, and HTTP/2 when the client picks it by ALPN. The
 * server assembly calls {@link #install} for each accepted client channel, after its TLS handler (if any);
 * everything else (the routes, a backend connection pool per backend they reach, the drain state, the
 * access log) is shared by the
 * frontend's connections.
 */
public final class HttpProxyInitializer {
    static final String IDLE_HANDLER = "stapled-client-idle";
    static final String DECODER = "stapled-http-decoder";
    static final String ENCODER = "stapled-http-encoder";
    static final String PROXY_HANDLER = "stapled-http-proxy";
    static final String ALPN_HANDLER = "stapled-alpn";
    static final String H2_CODEC = "stapled-h2-codec";
    static final String H2_STREAMS = "stapled-h2-streams";
    static final String H2_CONNECTION = "stapled-h2-connection";
    private static final int MAX_CHUNK_SIZE = 64 * 1024;

    /** Fired down a client pipeline when the frontend starts draining. */
    static final Object DRAIN_EVENT = new Object() {
        @Override
        public String toString() {
            return "DRAIN";
        }
    };

    private final FrontendConfig frontend;
    private final HttpConfig http;
    private final RouteTable<Upstream> routes;
    /** Each backend the routes reach, once. */
    private final List<Upstream> upstreams;
    private final ForwardedHeaders forwardedHeaders;
    private final RequestValidator requestValidator;
    /** The frontend's own {@code request_headers} / {@code response_headers} (with its HSTS). */
    private final HeaderRewriter requestRules;
    private final HeaderRewriter responseRules;
    /** The frontend's {@code after_response_headers}: run on every response it sends, last. */
    private final HeaderRewriter afterResponseRules;
    /** The frontend's {@code compression}, or null; and each route's own, by its config. */
    private final Compression compression;
    private final Map<CompressionConfig, Compression> routeCompression = new IdentityHashMap<>();
    /** {@code request_id}, or null. */
    private final RequestIdConfig requestId;
    private final AsciiString requestIdHeader;
    /** Told of requests no backend served: local answers, and connections that never sent a request. */
    private final HttpRequestObserver observer;
    /** The access log's writer thread; null without {@code access_log}. */
    private final AccessLogWriter accessLog;
    private volatile boolean draining;

    /**
     * @throws IllegalArgumentException when a trusted upstream is not a valid CIDR
     */
    public HttpProxyInitializer(FrontendConfig frontend, BackendPool backends) {
        this(frontend, backends, HttpRequestObserver.NOOP);
    }

    /**
     * @param observer told of every finished request on the event loop (metrics), after the access log
     * @throws IllegalArgumentException when a trusted upstream is not a valid CIDR
     */
    public HttpProxyInitializer(FrontendConfig frontend, BackendPool backends, HttpRequestObserver observer) {
        this(frontend, backends, observer, new BackendConnectionPool(backends.config()));
    }

    /** With backend connections from {@code connections}: the handler tests' embedded ones. */
    HttpProxyInitializer(FrontendConfig frontend, BackendPool backends, HttpRequestObserver observer,
                         BackendConnections connections) {
        this(frontend, Map.of(backends.name(), backends), name -> observer, pool -> connections, backends.name());
    }

    /**
     * A frontend with routes.
     *
     * @param pools     every backend by name (those the routes name must be there)
     * @param observers the observer for requests a backend served, by backend name; for requests
     *                  answered locally, the frontend's name (or its default backend's) is asked
     * @throws IllegalArgumentException when a trusted upstream is not a valid CIDR
     */
    public HttpProxyInitializer(FrontendConfig frontend, Map<String, BackendPool> pools,
                                Function<String, HttpRequestObserver> observers) {
        this(frontend, pools, observers, pool -> new BackendConnectionPool(pool.config()), frontend.backend());
    }

    private HttpProxyInitializer(FrontendConfig frontend, Map<String, BackendPool> pools,
                                 Function<String, HttpRequestObserver> observers,
                                 Function<BackendPool, BackendConnections> connectionsFor, String defaultBackend) {
        this.frontend = frontend;
        this.accessLog = frontend.accessLog() == null ? null
                : new AccessLogWriter(frontend.name(), frontend.accessLog().queue());
        this.http = frontend.http() == null ? HttpConfig.defaults() : frontend.http();
        this.forwardedHeaders = new ForwardedHeaders(http.forwardedHeaders(), http.trustedUpstreams(),
                http.clientIpHeader(), frontend.plain() ? "http" : "https");
        this.requestValidator = new RequestValidator(http);
        this.requestRules = HeaderRewriter.request(frontend.routing().headers());
        this.responseRules = HeaderRewriter.response(frontend.routing().headers());
        this.afterResponseRules = HeaderRewriter.of(frontend.routing().afterResponse());
        this.compression = Compression.of(frontend.routing().compression(), frontend.name());
        for (RouteConfig route : frontend.routing().routes()) {
            if (route.compression() != null) {
                routeCompression.put(route.compression(), Compression.of(route.compression(), frontend.name()));
            }
        }
        this.requestId = frontend.routing().requestId();
        this.requestIdHeader = requestId == null ? null : AsciiString.cached(requestId.header());
        Map<String, Upstream> byName = new LinkedHashMap<>();
        Function<String, Upstream> resolve = name -> byName.computeIfAbsent(name, n -> {
            BackendPool pool = Objects.requireNonNull(pools.get(n), () -> "no backend named " + n);
            return new Upstream(pool, connectionsFor.apply(pool), logged(frontend, n, observers.apply(n)),
                    nanos(pool.config().serverTimeout()));
        });
        this.routes = frontend.routing().routes().isEmpty() && frontend.routing().fallback() == null
                ? RouteTable.single(defaultBackend, defaultBackend == null ? null : resolve.apply(defaultBackend))
                : RouteTable.compile(frontend.routing(), defaultBackend, resolve);
        this.upstreams = List.copyOf(byName.values());
        String local = defaultBackend != null ? defaultBackend : frontend.name();
        this.observer = defaultBackend != null ? resolve.apply(defaultBackend).observer()
                : logged(frontend, local, Objects.requireNonNull(observers.apply(local), "observer"));
    }

    private HttpRequestObserver logged(FrontendConfig frontend, String backend, HttpRequestObserver observer) {
        Objects.requireNonNull(observer, "observer");
        return accessLog == null ? observer
                : new AccessLog(AccessLogFormat.of(frontend.accessLog(), frontend.name(), backend), accessLog)
                        .andThen(observer);
    }

    private static long nanos(Duration d) {
        return d == null || d.isZero() || d.isNegative() ? 0 : d.toNanos();
    }

    /**
     * Adds the proxy to a client channel's pipeline, after TLS: the client timeout, then, once the
     * handshake is done, HTTP/2 when ALPN selected {@code h2} and HTTP/1.1 otherwise. A pipeline without
     * TLS (a test's) gets HTTP/1.1 at once: HTTP/2 is only offered over TLS, chosen by ALPN.
     */
    public void install(ChannelPipeline pipeline) {
        Duration clientTimeout = frontend.clientTimeout();
        if (clientTimeout != null && !clientTimeout.isZero() && !clientTimeout.isNegative()) {
            pipeline.addLast(IDLE_HANDLER,
                    new IdleTimeoutHandler(clientTimeout.toMillis(), TimeUnit.MILLISECONDS));
        }
        if (pipeline.get(SslHandler.class) != null || pipeline.get(SslClientHelloHandler.class) != null) {
            pipeline.addLast(ALPN_HANDLER, new AlpnSwitch(this));
        } else {
            installHttp1(pipeline);
        }
    }

    /** The HTTP/1.1 codec and connection handler. */
    void installHttp1(ChannelPipeline pipeline) {
        ProxyResponseEncoder encoder = new ProxyResponseEncoder();
        pipeline.addLast(DECODER, new StrictHttpRequestDecoder(new HttpDecoderConfig()
                .setMaxInitialLineLength(http.maxInitialLine())
                .setMaxHeaderSize(http.maxHeaderSize())
                .setMaxChunkSize(MAX_CHUNK_SIZE)));
        pipeline.addLast(ENCODER, encoder);
        // A connection accepted while draining still gets its first request answered (with
        // Connection: close): the handler reads the drain flag itself.
        pipeline.addLast(PROXY_HANDLER, new Http1ConnectionHandler(this, encoder));
    }

    /**
     * Netty's HTTP/2 codec with the frontend's settings, its multiplexer (one child channel and one
     * {@link Http2StreamHandler} per stream) and the connection's own handler. The codec guards against
     * rapid reset (RST_STREAM frames per second, then GOAWAY ENHANCE_YOUR_CALM), CONTINUATION and
     * empty-DATA floods and queued control frames, each configured from {@code http2:}; it answers a
     * header list above the limit with 431 (docs/HTTP2.md, "Attacks and how each is answered").
     */
    void installHttp2(ChannelPipeline pipeline) {
        Http2Config h2 = frontend.http2();
        Http2Settings settings = Http2Settings.defaultSettings()
                .maxConcurrentStreams(h2.maxConcurrentStreams())
                .initialWindowSize(h2.initialWindowSize())
                .maxHeaderListSize(h2.maxHeaderListSize())
                .headerTableSize(h2.headerTableSize())
                .maxFrameSize(h2.maxFrameSize());
        Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
                .initialSettings(settings)
                .validateHeaders(true)
                // 0 turns Netty's guard off; it counts RST_STREAM frames received in a window of seconds.
                .decoderEnforceMaxRstFramesPerWindow(h2.maxResetsPerSecond(), 1)
                // The flood guards, Netty's own (each answers with GOAWAY and the close): small
                // CONTINUATION frames per header block (the block's size is capped by the header list
                // limit, a quarter above it), acknowledgements and resets queued unsent because the
                // client does not read, consecutive empty DATA frames.
                .decoderEnforceMaxSmallContinuationFrames(h2.maxContinuationFrames())
                .encoderEnforceMaxQueuedControlFrames(h2.maxControlFramesQueued())
                .decoderEnforceMaxConsecutiveEmptyDataFrames(h2.maxEmptyDataFrames())
                // A close (idle, forced at the end of a drain) sends GOAWAY and closes at once; the
                // graceful wait for open streams is the drain's (Http2FrontendConnection).
                .gracefulShutdownTimeoutMillis(0)
                .build();
        Http2FrontendConnection connection = new Http2FrontendConnection(this, h2, nanos(http.requestTimeout()));
        // Each exchange sets its backend's server timeout before arming; this is the default backend's.
        Upstream defaultBackend = routes.fallback().backend();
        long serverTimeout = defaultBackend == null ? 0 : defaultBackend.serverTimeoutNanos();
        long clientTimeout = nanos(frontend.clientTimeout());
        pipeline.addLast(H2_CODEC, codec);
        pipeline.addLast(H2_STREAMS, new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                stream.pipeline().addLast(PROXY_HANDLER, new Http2StreamHandler(HttpProxyInitializer.this,
                        connection, serverTimeout, clientTimeout));
            }
        }));
        pipeline.addLast(H2_CONNECTION, connection);
    }

    /**
     * Starts a graceful drain: idle keep-alive client connections are closed, responses in flight
     * complete and carry {@code Connection: close}, and no connection is kept alive afterwards. A
     * connection that has not sent its first request yet gets that one answered, then closes. An
     * HTTP/2 connection gets GOAWAY with the last stream id it opened and closes once those streams
     * are answered.
     *
     * @param channels the frontend's open client connections, as its
     *                 {@link io.stapled.proxy.conn.ConnectionTracker} holds them: the one set of a
     *                 frontend's connections, for counts, limits and draining alike. A connection not
     *                 in it yet reads the drain flag itself before its first response.
     */
    public void drain(ChannelGroup channels) {
        draining = true;
        for (Channel channel : channels) {
            channel.pipeline().fireUserEventTriggered(DRAIN_EVENT);
        }
    }

    public boolean isDraining() {
        return draining;
    }

    /**
     * Closes the pooled idle backend connections (connections in use close when their exchange ends)
     * and stops the access log's writer once it wrote what was queued.
     */
    public void close() {
        upstreams.forEach(u -> u.connections().close());
        if (accessLog != null) {
            accessLog.close();
        }
    }

    /** The access log's writer (its drop count is a metric), or null without {@code access_log}. */
    public AccessLogWriter accessLog() {
        return accessLog;
    }

    /** Idle pooled backend connections across event loops (a racy read, for tests and stats). */
    int idleBackendConnections() {
        int idle = 0;
        for (Upstream u : upstreams) {
            idle += u.connections().idleCount();
        }
        return idle;
    }

    FrontendConfig frontend() {
        return frontend;
    }

    HttpConfig http() {
        return http;
    }

    RouteTable<Upstream> routes() {
        return routes;
    }

    HeaderRewriter requestRules() {
        return requestRules;
    }

    HeaderRewriter responseRules() {
        return responseRules;
    }

    HeaderRewriter afterResponseRules() {
        return afterResponseRules;
    }

    /** The compression of a request the route {@code routeConfig} (its {@code compression}, or null) took; null for none. */
    Compression compression(CompressionConfig routeConfig) {
        return routeConfig == null ? compression : routeCompression.get(routeConfig);
    }

    /** {@code request_id}, or null when the frontend has none. */
    RequestIdConfig requestId() {
        return requestId;
    }

    /** The frontend's {@code max_request_body} in bytes, or -1. */
    long maxRequestBody() {
        return frontend.routing().maxRequestBody();
    }

    AsciiString requestIdHeader() {
        return requestIdHeader;
    }

    ForwardedHeaders forwardedHeaders() {
        return forwardedHeaders;
    }

    RequestValidator requestValidator() {
        return requestValidator;
    }

    HttpRequestObserver observer() {
        return observer;
    }
}
