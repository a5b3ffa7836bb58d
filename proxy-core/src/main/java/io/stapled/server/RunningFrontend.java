package io.stapled.server;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.UnixChannel;
import io.stapled.config.AcceptProxyConfig;
import io.stapled.config.FrontendConfig;
import io.stapled.metrics.StapledMetrics;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.conn.ByteCounter;
import io.stapled.proxy.conn.ConnectionLimiter;
import io.stapled.proxy.conn.ConnectionTracker;
import io.stapled.proxy.http.HttpProxyInitializer;
import io.stapled.proxy.proxyprotocol.ProxyProtocolAcceptor;
import io.stapled.proxy.http.RequestCounters;
import io.stapled.proxy.tcp.TcpRelayInitializer;
import io.stapled.tls.TlsFrontend;
import io.stapled.net.Transport;
import org.slf4j.LoggerFactory;

/** One listening frontend: its TLS certificates (none when plain HTTP), its proxy mode and its connections. */
public final class RunningFrontend {
    private final FrontendConfig config;
    private final TlsFrontend tls; // null for a plain-HTTP frontend
    private final ConnectionLimiter limiter;
    private final ConnectionTracker tracker;
    private final HttpProxyInitializer http; // null in TCP mode
    private final RequestCounters requests; // null in TCP mode
    private final ByteCounter bytes = new ByteCounter();
    private final FrontendChannelInitializer initializer;
    private Channel listener;

    /** @param pools every backend by name: the frontend's routes may reach any of them */
    RunningFrontend(FrontendConfig config, TlsFrontend tls, Map<String, BackendPool> pools, StapledMetrics metrics) {
        this.config = config;
        this.tls = tls;
        this.limiter = new ConnectionLimiter(config);
        this.tracker = new ConnectionTracker(config.name());
        metrics.bindFrontend(config.name(), tracker, limiter);
        FrontendChannelInitializer.ProxyInstaller installer;
        if (config.mode() == FrontendConfig.Mode.HTTP) {
            this.requests = new RequestCounters();
            this.http = new HttpProxyInitializer(config, pools,
                    backend -> metrics.httpObserver(config.name(), backend).andThen(requests));
            installer = http::install;
            if (http.accessLog() != null) {
                metrics.bindAccessLog(config.name(), http.accessLog());
            }
        } else {
            this.http = null;
            this.requests = null;
            installer = new TcpRelayInitializer(config, pools)::install;
        }
        this.initializer = new FrontendChannelInitializer(limiter, tracker, tls,
                metrics.handshakeHandler(config.name()), bytes, installer, acceptProxy(config, metrics));
    }

    private static ProxyProtocolAcceptor acceptProxy(FrontendConfig config, StapledMetrics metrics) {
        if (config.acceptProxy() == null) {
            return null;
        }
        if (config.acceptProxy().trustedSources().equals(AcceptProxyConfig.DEFAULT_TRUSTED_SOURCES)
                && !config.bind().isLoopback()) {
            // Not an error: a balancer on this host may still reach a wildcard bind over loopback.
            LoggerFactory.getLogger(RunningFrontend.class).warn("frontend {}: accept_proxy: true trusts loopback peers"
                    + " only, but {} is reachable from elsewhere; a remote load balancer's connections will be"
                    + " closed until it is listed in accept_proxy.trusted_sources", config.name(), config.bind());
        }
        ProxyProtocolAcceptor acceptor = new ProxyProtocolAcceptor(config.name(), config.acceptProxy());
        metrics.bindProxyProtocol(config.name(), acceptor);
        return acceptor;
    }

    /**
     * Starts listening: binds {@code config.bind()}, or accepts on {@code inherited} (a socket already
     * listening, from systemd or the process being replaced) when not null.
     */
    void bind(Transport transport, EventLoopGroup acceptors, EventLoopGroup workers, ServerChannel inherited)
            throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(acceptors, workers)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .handler(limiter)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(initializer);
        if (inherited == null) {
            listener = b.channel(transport.serverChannel()).bind(config.bind().toSocketAddress()).sync().channel();
        } else {
            // Already bound and listening: registering it starts the accepts (its backlog stays as set).
            listener = b.channelFactory(() -> inherited).register().sync().channel();
        }
    }

    /** The listening socket's descriptor (epoll only), for handing it to a newer process; else null. */
    FileDescriptor descriptor() {
        return listener instanceof UnixChannel u && listener.isOpen() ? u.fd() : null;
    }

    public String name() {
        return config.name();
    }

    public FrontendConfig config() {
        return config;
    }

    /** Null for a plain-HTTP frontend. */
    public TlsFrontend tls() {
        return tls;
    }

    public ConnectionTracker connections() {
        return tracker;
    }

    /** Decrypted bytes from and to the clients. */
    public ByteCounter bytes() {
        return bytes;
    }

    /** Requests and responses by status class; null in TCP mode. */
    public RequestCounters requests() {
        return requests;
    }

    public ConnectionLimiter limiter() {
        return limiter;
    }

    /** The bound address (the real port when the config asked for port 0). */
    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** Stops accepting; connections already open carry on. */
    void stopAccepting() {
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
    }

    /** Lets in-flight requests finish (HTTP keep-alive connections are told to close), up to {@code grace}. */
    CompletableFuture<Void> drain(Duration grace) {
        return tracker.drain(grace, () -> {
            if (http != null) {
                http.drain(tracker.channels());
            }
        });
    }

    /** Closes pooled backend connections; the TLS side is closed by the owner of {@link #tls()}. */
    void closeProxy() {
        if (http != null) {
            http.close();
        }
    }
}
