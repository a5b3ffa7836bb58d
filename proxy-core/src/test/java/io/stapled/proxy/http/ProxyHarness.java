package io.stapled.proxy.http;

import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import io.stapled.config.BackendConfig;
import io.stapled.config.FrontendConfig;
import io.stapled.config.HostPort;
import io.stapled.config.HttpConfig;
import io.stapled.config.TlsConfig;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.conn.ConnectionTracker;
import io.stapled.testing.TrustingSslContext;

/**
 * A TLS frontend on 127.0.0.1:0 with the HTTP proxy installed behind a BoringSSL server context, as
 * the server assembly will do it; plus clients that trust the test CA.
 * <p>Not {@link io.stapled.testing.StapledServerExtension}, on purpose: the HTTP proxy tests drive the
 * component below the server (an {@code HttpProxyInitializer} on a bare pipeline, with a pool and HTTP
 * settings built in the test) and read its internal state (open client connections, idle backend
 * connections, {@code drain()}), which the assembled server does not expose.
 */
final class ProxyHarness implements AutoCloseable {
    private static final IssuedCertificate CA = CertificateBuilder.subject("CN=stapled test root").ca().build();
    private static final IssuedCertificate LEAF = CertificateBuilder.subject("CN=localhost")
            .issuer(CA).dnsNames("localhost").build();
    private static volatile SslContext serverContext;
    private static volatile SSLContext clientContext;

    final EventLoopGroup group;
    final Channel serverChannel;
    final HttpProxyInitializer proxy;
    final BackendPool pool;
    final ConnectionTracker tracker = new ConnectionTracker("fe");
    final AtomicInteger clientConnections = new AtomicInteger();

    private ProxyHarness(FrontendConfig frontend, BackendConfig backend, boolean epoll) throws Exception {
        this(frontend, backend, epoll, 2);
    }

    private ProxyHarness(FrontendConfig frontend, BackendConfig backend, boolean epoll, int loops) throws Exception {
        this.pool = new BackendPool(backend);
        this.proxy = new HttpProxyInitializer(frontend, pool);
        this.group = new MultiThreadIoEventLoopGroup(loops,
                epoll ? io.netty.channel.epoll.EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        SslContext ssl = serverContext();
        this.serverChannel = new ServerBootstrap().group(group)
                .channel(epoll ? io.netty.channel.epoll.EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        clientConnections.incrementAndGet();
                        ch.pipeline().addLast("track", tracker);
                        ch.pipeline().addLast("ssl", ssl.newHandler(ch.alloc()));
                        proxy.install(ch.pipeline());
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    static ProxyHarness start(BackendConfig backend) throws Exception {
        return start(backend, f -> f);
    }

    static ProxyHarness start(BackendConfig backend, UnaryOperator<FrontendConfig> customize) throws Exception {
        return new ProxyHarness(customize.apply(frontend(HttpConfig.defaults(), Duration.ofSeconds(30), false)),
                backend, false);
    }

    /**
     * The same frontend on one event loop: every client then borrows from the same backend connection
     * pool, as two clients on one loop of a busy server do.
     */
    static ProxyHarness startSingleLoop(BackendConfig backend) throws Exception {
        return new ProxyHarness(frontend(HttpConfig.defaults(), Duration.ofSeconds(30), false), backend, false, 1);
    }

    /** The same frontend on the native epoll transport. */
    static ProxyHarness startEpoll(BackendConfig backend) throws Exception {
        return new ProxyHarness(frontend(HttpConfig.defaults(), Duration.ofSeconds(30), false), backend, true);
    }

    static FrontendConfig frontend(HttpConfig http, Duration clientTimeout, boolean accessLog) {
        return new FrontendConfig("fe", new HostPort("127.0.0.1", 0), FrontendConfig.Mode.HTTP, "be", List.of(),
                null, TlsConfig.defaults(), http, 1000, clientTimeout, accessLog);
    }

    static HttpConfig http(Duration requestTimeout, int maxHeaderSize, int maxInitialLine, List<String> trusted) {
        return new HttpConfig(requestTimeout, maxHeaderSize, maxInitialLine, true, trusted);
    }

    /** A backend of the given servers (host 127.0.0.1), round robin. */
    static BackendConfig backend(Duration connectTimeout, Duration serverTimeout, int... ports) {
        List<BackendConfig.ServerConfig> servers = new ArrayList<>();
        for (int i = 0; i < ports.length; i++) {
            servers.add(new BackendConfig.ServerConfig("s" + (i + 1), new HostPort("127.0.0.1", ports[i]), 1));
        }
        return new BackendConfig("be", BackendConfig.Balance.ROUNDROBIN, servers, null, connectTimeout,
                serverTimeout, 8, Duration.ofSeconds(30));
    }

    static BackendConfig backend(int... ports) {
        return backend(Duration.ofSeconds(2), Duration.ofSeconds(10), ports);
    }

    /** Drains the proxy over the tracker's connections, as the server does on shutdown. */
    void drain() {
        proxy.drain(tracker.channels());
    }

    /** Client connections open now. */
    int openClientConnections() {
        return tracker.active();
    }

    int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    String url(String path) {
        return "https://localhost:" + port() + path;
    }

    HttpClient httpClient() {
        HttpClient client = HttpClient.newBuilder().sslContext(clientContext()).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        return client;
    }

    RawClient raw() throws Exception {
        SSLSocket socket = (SSLSocket) clientContext().getSocketFactory().createSocket("127.0.0.1", port());
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        return new RawClient(socket);
    }

    static synchronized SslContext serverContext() throws Exception {
        if (serverContext == null) {
            serverContext = SslContextBuilder.forServer(LEAF.keyPair().getPrivate(),
                            LEAF.chain().toArray(new java.security.cert.X509Certificate[0]))
                    .sslProvider(SslProvider.OPENSSL).protocols("TLSv1.3", "TLSv1.2").build();
        }
        return serverContext;
    }

    static synchronized SSLContext clientContext() {
        if (clientContext == null) {
            try {
                clientContext = TrustingSslContext.trusting(CA.certificate());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return clientContext;
    }

    @Override
    public void close() throws Exception {
        proxy.close();
        serverChannel.close().sync();
        group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).sync();
    }
}
