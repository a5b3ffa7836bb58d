package io.stapled.proxy.http;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;

import io.stapled.config.FrontendConfig;
import io.stapled.config.HttpConfig;
import io.stapled.proxy.http.HttpRequestObserver;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.conn.IdleTimeoutHandler;

/**
 * The HTTP/1.1 reverse proxy of one frontend. The server assembly calls {@link #install} for each
 * accepted client channel, after its TLS handler; everything else (the backend connection pool, the
 * drain state, the access log) is shared by the frontend's connections.
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
    private final BackendPool backends;
    private final BackendConnections connections;
    private final ForwardedHeaders forwardedHeaders;
    private final RequestValidator requestValidator;
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
        this.frontend = frontend;
        this.http = frontend.http() == null ? HttpConfig.defaults() : frontend.http();
        this.backends = backends;
        this.connections = connections;
        this.forwardedHeaders = new ForwardedHeaders(http.forwardedHeaders(), http.trustedUpstreams(),
                http.clientIpHeader());
        this.requestValidator = new RequestValidator(http);
        AccessLog accessLog = new AccessLog(frontend.accessLog(), frontend.name(), backends.name());
        java.util.Objects.requireNonNull(observer, "observer");
        this.observer = frontend.accessLog() ? accessLog.andThen(observer) : observer;
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
        connections.close();
    }

    /** Idle pooled backend connections across event loops (a racy read, for tests and stats). */
    int idleBackendConnections() {
        return connections.idleCount();
    }

    FrontendConfig frontend() {
        return frontend;
    }

    HttpConfig http() {
        return http;
    }

    BackendPool backends() {
        return backends;
    }

    BackendConnections connections() {
        return connections;
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
