package io.stapled.proxy.http;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;

import io.stapled.config.FrontendConfig;
import io.stapled.config.HttpConfig;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.conn.IdleTimeoutHandler;
import io.stapled.proxy.route.RouteTable;

/**
 * The HTTP/1.1 reverse proxy of one frontend. The server assembly calls {@link #install} for each
 * accepted client channel, after its TLS handler (if any); everything else (the routes, a backend
 * connection pool per backend they reach, the drain state, the access log) is shared by the
 * frontend's connections.
 */
public final class HttpProxyInitializer {
    static final String IDLE_HANDLER = "stapled-client-idle";
    static final String DECODER = "stapled-http-decoder";
    static final String ENCODER = "stapled-http-encoder";
    static final String PROXY_HANDLER = "stapled-http-proxy";
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
    /** Told of requests no backend served: local answers, and connections that never sent a request. */
    private final HttpRequestObserver observer;
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
        this.http = frontend.http() == null ? HttpConfig.defaults() : frontend.http();
        this.forwardedHeaders = new ForwardedHeaders(http.forwardedHeaders(), http.trustedUpstreams(),
                http.clientIpHeader(), frontend.plain() ? "http" : "https");
        this.requestValidator = new RequestValidator(http);
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

    private static HttpRequestObserver logged(FrontendConfig frontend, String backend, HttpRequestObserver observer) {
        Objects.requireNonNull(observer, "observer");
        return frontend.accessLog() ? new AccessLog(true, frontend.name(), backend).andThen(observer) : observer;
    }

    private static long nanos(Duration d) {
        return d == null || d.isZero() || d.isNegative() ? 0 : d.toNanos();
    }

    /** Adds the HTTP codec and the proxy handler to a client channel's pipeline, after TLS. */
    public void install(ChannelPipeline pipeline) {
        Duration clientTimeout = frontend.clientTimeout();
        if (clientTimeout != null && !clientTimeout.isZero() && !clientTimeout.isNegative()) {
            pipeline.addLast(IDLE_HANDLER,
                    new IdleTimeoutHandler(clientTimeout.toMillis(), TimeUnit.MILLISECONDS));
        }
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
     * Starts a graceful drain: idle keep-alive client connections are closed, responses in flight
     * complete and carry {@code Connection: close}, and no connection is kept alive afterwards. A
     * connection that has not sent its first request yet gets that one answered, then closes.
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

    /** Closes the pooled idle backend connections; connections in use close when their exchange ends. */
    public void close() {
        upstreams.forEach(u -> u.connections().close());
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
