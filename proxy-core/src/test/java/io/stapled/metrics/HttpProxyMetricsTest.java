package io.stapled.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.stapled.config.AdminHttpConfig;
import io.stapled.config.BackendConfig;
import io.stapled.config.FrontendConfig;
import io.stapled.config.HostPort;
import io.stapled.config.HttpConfig;
import io.stapled.config.TlsConfig;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.http.HttpProxyInitializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Requests through the real HTTP proxy to a real backend, counted by the observer the proxy calls. */
@Timeout(20)
class HttpProxyMetricsTest {
    private static final String NAME = "stapled_http_request_duration_seconds";

    @Test
    void proxiedRequestsAreCountedByStatusClassIncludingTheProxysOwnErrors() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        ChannelGroup backendConnections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        Channel backend = statusBackend(group, backendConnections);
        int backendPort = ((InetSocketAddress) backend.localAddress()).getPort();
        BackendPool pool = new BackendPool(new BackendConfig("app", BackendConfig.Balance.ROUNDROBIN,
                List.of(new BackendConfig.ServerConfig("s1", new HostPort("127.0.0.1", backendPort), 1)), null,
                Duration.ofSeconds(1), Duration.ofSeconds(5), 4, Duration.ofSeconds(30)));
        FrontendConfig frontend = new FrontendConfig("web", new HostPort("127.0.0.1", 0), FrontendConfig.Mode.HTTP,
                "app", List.of(), null, TlsConfig.defaults(), HttpConfig.defaults(), 100, Duration.ofSeconds(30), false);
        StapledMetrics metrics = new StapledMetrics(Clock.systemUTC());
        HttpProxyInitializer proxy = new HttpProxyInitializer(frontend, pool, metrics.httpObserver("web", "app"));
        Channel front = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        proxy.install(ch.pipeline());
                    }
                }).bind("127.0.0.1", 0).syncUninterruptibly().channel();
        AdminHttpServer admin = metrics.startAdmin(new AdminHttpConfig(new HostPort("127.0.0.1", 0), false, null),
                group, NioServerSocketChannel.class);
        try {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            String base = "http://127.0.0.1:" + ((InetSocketAddress) front.localAddress()).getPort();
            assertEquals(200, get(http, base + "/status/200"));
            assertEquals(200, get(http, base + "/status/200"));
            assertEquals(301, get(http, base + "/status/301"));
            assertEquals(404, get(http, base + "/status/404"));
            assertEquals(500, get(http, base + "/status/500"));

            PrometheusText t = new AdminClient(admin.localAddress()).scrape();
            assertEquals(2, t.value(NAME + "_count", "frontend", "web", "backend", "app", "status_class", "2xx"));
            assertEquals(1, t.value(NAME + "_count", "frontend", "web", "backend", "app", "status_class", "3xx"));
            assertEquals(1, t.value(NAME + "_count", "frontend", "web", "backend", "app", "status_class", "4xx"));
            assertEquals(1, t.value(NAME + "_count", "frontend", "web", "backend", "app", "status_class", "5xx"));
            assertTrue(t.value(NAME + "_sum", "frontend", "web", "backend", "app", "status_class", "2xx") > 0);

            // The backend goes away: the proxy answers 502/503 itself, and that is a 5xx too.
            backend.close().syncUninterruptibly();
            backendConnections.close().syncUninterruptibly();
            int status = get(http, base + "/status/200");
            assertTrue(status == 502 || status == 503, "proxy error status " + status);
            assertEquals(2, new AdminClient(admin.localAddress()).scrape()
                    .value(NAME + "_count", "frontend", "web", "backend", "app", "status_class", "5xx"));
        } finally {
            admin.close();
            front.close().syncUninterruptibly();
            backend.close().syncUninterruptibly();
            proxy.close();
            metrics.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static int get(HttpClient http, String url) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode();
    }

    /** Answers {@code /status/N} with status N. */
    private static Channel statusBackend(EventLoopGroup group, ChannelGroup connections) {
        return new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024),
                                new SimpleChannelInboundHandler<FullHttpRequest>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                                        int code = Integer.parseInt(req.uri().substring("/status/".length()));
                                        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                                HttpResponseStatus.valueOf(code), Unpooled.wrappedBuffer(new byte[] {'x'}));
                                        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 1);
                                        if (code == 301) {
                                            r.headers().set(HttpHeaderNames.LOCATION, "/elsewhere");
                                        }
                                        ctx.writeAndFlush(r);
                                    }
                                });
                    }
                }).bind("127.0.0.1", 0).syncUninterruptibly().channel();
    }
}
