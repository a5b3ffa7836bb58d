package io.stapled.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.stapled.config.AdminHttpConfig;
import io.stapled.config.BackendConfig;
import io.stapled.config.BackendConfig.HealthCheckConfig;
import io.stapled.config.BackendConfig.ServerConfig;
import io.stapled.config.FrontendConfig;
import io.stapled.config.HostPort;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.backend.BackendServer;
import io.stapled.proxy.conn.ConnectionLimiter;
import io.stapled.proxy.conn.ConnectionTracker;
import io.stapled.proxy.tcp.TcpRelayInitializer;
import io.stapled.testing.LoopbackServer;
import io.stapled.testkit.Poll;
import io.stapled.testing.EventLoopGroupExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Frontend and backend meters after real traffic: a plain TCP frontend with the real tracker and TCP
 * relay in front of two loopback echo servers watched by a real TCP health check.
 */
@Timeout(20)
class ConnectionMetricsTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    @RegisterExtension
    static final EventLoopGroupExtension loops = new EventLoopGroupExtension(2);

    @Test
    void connectionGaugesFollowClientsAndServerUpFollowsTheHealthCheck() throws IOException {
        LoopbackServer s1 = LoopbackServer.echo(loops.group());
        LoopbackServer s2 = LoopbackServer.echo(loops.group());
        BackendPool pool = new BackendPool(new BackendConfig("app", BackendConfig.Balance.ROUNDROBIN,
                List.of(new ServerConfig("s1", s1.hostPort(), 1), new ServerConfig("s2", s2.hostPort(), 1)),
                new HealthCheckConfig(HealthCheckConfig.Type.TCP, null, 0, Duration.ofMillis(50),
                        Duration.ofMillis(500), 1, 1),
                Duration.ofSeconds(1), Duration.ofSeconds(5), 4, Duration.ofSeconds(30)));
        FrontendConfig frontend = new FrontendConfig("web", new HostPort("127.0.0.1", 0), FrontendConfig.Mode.TCP,
                "app", List.of(), null, null, null, 100, Duration.ofSeconds(30), false);
        ConnectionTracker tracker = new ConnectionTracker("web");
        TcpRelayInitializer relay = new TcpRelayInitializer(frontend, pool);
        Channel front = new ServerBootstrap().group(loops.group()).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast("track", tracker);
                        relay.install(ch.pipeline());
                    }
                }).bind("127.0.0.1", 0).syncUninterruptibly().channel();

        StapledMetrics metrics = new StapledMetrics(Clock.systemUTC());
        metrics.bindFrontend("web", tracker);
        metrics.bindBackends(List.of(pool));
        AdminHttpServer admin = metrics.startAdmin(new AdminHttpConfig(new HostPort("127.0.0.1", 0), false, null),
                loops.group(), NioServerSocketChannel.class);
        AdminClient client = new AdminClient(admin.localAddress());
        List<Socket> clients = new ArrayList<>();
        try {
            pool.start(loops.group(), NioSocketChannel.class);
            PrometheusText idle = client.scrape();
            assertEquals(0, idle.value("stapled_frontend_connections_active", "frontend", "web"));
            assertEquals(0, idle.value("stapled_frontend_connections_total", "frontend", "web"));
            assertEquals("counter", idle.family("stapled_frontend_connections_total").type());
            assertEquals(1, idle.value("stapled_backend_server_up", "backend", "app", "server", "s1"));
            assertEquals(1, idle.value("stapled_backend_server_up", "backend", "app", "server", "s2"));

            int port = ((InetSocketAddress) front.localAddress()).getPort();
            for (int i = 0; i < 4; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                s.setSoTimeout(5_000);
                clients.add(s);
                s.getOutputStream().write('x');
                assertEquals('x', s.getInputStream().read(), "relayed through a backend");
            }
            PrometheusText busy = client.scrape();
            assertEquals(4, busy.value("stapled_frontend_connections_active", "frontend", "web"));
            assertEquals(4, busy.value("stapled_frontend_connections_total", "frontend", "web"));
            assertEquals(2, busy.value("stapled_backend_server_connections_active", "backend", "app", "server", "s1"));
            assertEquals(2, busy.value("stapled_backend_server_connections_active", "backend", "app", "server", "s2"));
            assertEquals(2, busy.value("stapled_backend_server_connections_total", "backend", "app", "server", "s1"));

            clients.remove(0).close();
            clients.remove(0).close();
            Poll.until(WAIT, "two client connections gone", () -> client.scrape()
                    .value("stapled_frontend_connections_active", "frontend", "web") == 2);
            PrometheusText after = client.scrape();
            assertEquals(4, after.value("stapled_frontend_connections_total", "frontend", "web"));
            assertEquals(2, after.value("stapled_backend_server_connections_active", "backend", "app", "server", "s1")
                    + after.value("stapled_backend_server_connections_active", "backend", "app", "server", "s2"));

            s2.close();
            Poll.until(WAIT, "s2 reported down", () -> client.scrape()
                    .value("stapled_backend_server_up", "backend", "app", "server", "s2") == 0);
            assertEquals(1, client.scrape().value("stapled_backend_server_up", "backend", "app", "server", "s1"));

            BackendServer s1State = pool.server("s1");
            s1State.setAdminState(BackendServer.AdminState.MAINT);
            assertEquals(0, client.scrape().value("stapled_backend_server_up", "backend", "app", "server", "s1"),
                    "a server in maintenance takes no traffic");
            s1State.setAdminState(BackendServer.AdminState.READY);
            assertEquals(1, client.scrape().value("stapled_backend_server_up", "backend", "app", "server", "s1"));
        } finally {
            for (Socket s : clients) {
                s.close();
            }
            admin.close();
            metrics.close();
            pool.close();
            front.close().syncUninterruptibly();
            s1.close();
            s2.close();
        }
    }

    @Test
    void connectionsOverTheHandshakeLimitAreRejectedAndTheCapPausesAccepting() throws IOException {
        ConnectionLimiter limiter = new ConnectionLimiter("web", 2, 1);
        ConnectionTracker tracker = new ConnectionTracker("web");
        Channel front = new ServerBootstrap().group(loops.group()).channel(NioServerSocketChannel.class)
                .handler(limiter)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast("limit", limiter.handshakes()).addLast("track", tracker)
                                .addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                                        ctx.writeAndFlush(msg);
                                    }
                                });
                    }
                }).bind("127.0.0.1", 0).syncUninterruptibly().channel();
        try (StapledMetrics metrics = new StapledMetrics(Clock.systemUTC());
             Socket first = new Socket(); Socket second = new Socket(); Socket other = new Socket()) {
            metrics.bindFrontend("web", tracker, limiter);
            AdminHttpServer admin = metrics.startAdmin(new AdminHttpConfig(new HostPort("127.0.0.1", 0), false, null),
                    loops.group(), NioServerSocketChannel.class);
            try {
                AdminClient client = new AdminClient(admin.localAddress());
                PrometheusText idle = client.scrape();
                assertEquals(2, idle.value("stapled_frontend_connections_limit", "frontend", "web"));
                assertEquals(0, idle.value("stapled_frontend_accept_paused", "frontend", "web"));
                // No TLS here: a connection stays "in the handshake" until it closes.
                first.connect(front.localAddress(), 5_000);
                first.setSoTimeout(5_000);
                first.getOutputStream().write('x');
                assertEquals('x', first.getInputStream().read());
                second.connect(front.localAddress(), 5_000);
                second.setSoTimeout(5_000);
                assertEquals(-1, second.getInputStream().read(), "a second handshake from the address: closed");
                other.bind(new InetSocketAddress("127.0.0.2", 0));
                other.connect(front.localAddress(), 5_000);
                other.setSoTimeout(5_000);
                other.getOutputStream().write('y');
                assertEquals('y', other.getInputStream().read(), "another address is served");
                PrometheusText t = client.scrape();
                assertEquals(1, t.value("stapled_frontend_connections_rejected_total", "frontend", "web"));
                assertEquals(2, t.value("stapled_frontend_connections_total", "frontend", "web"),
                        "a rejected connection never reaches the tracker");
                assertEquals(2, t.value("stapled_frontend_connections_active", "frontend", "web"));
                assertEquals(1, t.value("stapled_frontend_accept_paused", "frontend", "web"), "at max_connections");
                // The rejected connection counted against the cap for the moment it was open: 1 or 2 pauses.
                assertTrue(t.value("stapled_frontend_accept_pauses_total", "frontend", "web") >= 1);
                assertEquals("counter", t.family("stapled_frontend_accept_pauses_total").type());
            } finally {
                admin.close();
            }
        } finally {
            front.close().syncUninterruptibly();
        }
    }

    @Test
    void failedConnectsToADeadServerAreCounted() throws IOException {
        LoopbackServer dead = LoopbackServer.echo(loops.group());
        HostPort deadAddress = dead.hostPort();
        dead.close();
        BackendPool pool = new BackendPool(new BackendConfig("app", BackendConfig.Balance.ROUNDROBIN,
                List.of(new ServerConfig("gone", deadAddress, 1)), null,
                Duration.ofSeconds(1), Duration.ofSeconds(5), 4, Duration.ofSeconds(30)));
        FrontendConfig frontend = new FrontendConfig("web", new HostPort("127.0.0.1", 0), FrontendConfig.Mode.TCP,
                "app", List.of(), null, null, null, 100, Duration.ofSeconds(30), false);
        TcpRelayInitializer relay = new TcpRelayInitializer(frontend, pool);
        Channel front = new ServerBootstrap().group(loops.group()).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        relay.install(ch.pipeline());
                    }
                }).bind("127.0.0.1", 0).syncUninterruptibly().channel();
        try (StapledMetrics metrics = new StapledMetrics(Clock.systemUTC())) {
            metrics.bindBackends(List.of(pool));
            AdminHttpServer admin = metrics.startAdmin(new AdminHttpConfig(new HostPort("127.0.0.1", 0), false, null),
                    loops.group(), NioServerSocketChannel.class);
            try (Socket s = new Socket()) {
                s.connect(front.localAddress(), 5_000);
                s.setSoTimeout(5_000);
                assertEquals(-1, s.getInputStream().read(), "closed: no backend reachable");
                AdminClient client = new AdminClient(admin.localAddress());
                Poll.until(WAIT, "failed connect counted", () -> client.scrape()
                        .value("stapled_backend_server_connect_failures_total", "backend", "app", "server", "gone") >= 1);
            } finally {
                admin.close();
            }
        } finally {
            front.close().syncUninterruptibly();
        }
    }
}
