package io.stapled.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import io.stapled.config.AdminHttpConfig;
import io.stapled.config.CertificateSource;
import io.stapled.config.FrontendConfig;
import io.stapled.config.GlobalConfig;
import io.stapled.config.HostPort;
import io.stapled.config.HttpConfig;
import io.stapled.config.TlsConfig;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.tls.LoadedCertificate;
import io.stapled.tls.TlsFrontend;
import io.stapled.tls.TlsFrontendFactory;
import io.stapled.testkit.Poll;
import io.stapled.testkit.TestPki;
import io.stapled.testing.Staples;
import io.stapled.testkit.TlsTestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real TLS handshakes through the real certificate selection and the handshake handler, then the
 * counters as Prometheus sees them.
 */
@Timeout(20)
class HandshakeMetricsTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String H = "stapled_tls_handshakes_total";
    private static final String D = "stapled_tls_handshake_duration_seconds";

    @TempDir
    static Path dir;
    static EventLoopGroup group;
    static IssuedCertificate site;
    static IssuedCertificate other;
    static TlsFrontend tls;
    StapledMetrics metrics;
    Channel server;
    AdminHttpServer admin;
    AdminClient client;

    @BeforeAll
    static void loadCertificates() {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        site = TestPki.ecLeaf("site.test", "site.test");
        other = TestPki.ecLeaf("other.test", "other.test");
        site.writeBundle(dir.resolve("a-site.pem"));
        other.writeBundle(dir.resolve("b-other.pem"));
        TlsConfig tlsConfig = new TlsConfig(List.of("TLSv1.2", "TLSv1.3"), null, null, List.of("http/1.1"), false,
                Duration.ofHours(1), 0, Duration.ofMinutes(5), Duration.ofMillis(1500));
        FrontendConfig frontend = new FrontendConfig("web", new HostPort("127.0.0.1", 0), FrontendConfig.Mode.HTTP,
                "app", List.of(new CertificateSource.Directory(dir, CertificateSource.OcspOptions.DEFAULT)), null,
                tlsConfig, HttpConfig.defaults(), 100, Duration.ofSeconds(30), false);
        tls = TlsFrontendFactory.create(frontend, GlobalConfig.defaults());
    }

    @AfterAll
    static void closeCertificates() {
        tls.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Fresh metrics and listeners per test, so every count starts at zero. */
    @BeforeEach
    void start() {
        metrics = new StapledMetrics(Clock.systemUTC());
        metrics.bindCertificate("site", loaded(site).stapleSlot());
        HandshakeMetricsHandler handshakes = metrics.handshakeHandler("web");
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(tls.newHandler(), handshakes, new Greeter());
                    }
                }).bind("127.0.0.1", 0).syncUninterruptibly().channel();
        admin = metrics.startAdmin(new AdminHttpConfig(new HostPort("127.0.0.1", 0), false, null), group,
                NioServerSocketChannel.class);
        client = new AdminClient(admin.localAddress());
    }

    @AfterEach
    void stop() {
        admin.close();
        server.close().syncUninterruptibly();
        metrics.close();
    }

    static LoadedCertificate loaded(IssuedCertificate c) {
        return tls.certificates().stream().filter(l -> l.leaf().equals(c.certificate())).findFirst().orElseThrow();
    }

    @Test
    void handshakesAreCountedByVersionResultAndStapleState() throws Exception {
        Instant now = Instant.now();
        loaded(site).stapleSlot().set(Staples.staple(site, now, now.minusSeconds(60), now.plus(Duration.ofDays(1))));
        PrometheusText before = client.scrape();
        assertEquals(0, before.value(H, "frontend", "web", "tls_version", "TLSv1.3", "result", "ok", "stapled", "yes"),
                "series exist before the first handshake");
        assertEquals(0, before.value(H, "frontend", "web", "tls_version", "unknown", "result", "failed",
                "stapled", "not_requested"));

        assertNotNull(handshake("site.test", true, "TLSv1.3"), "staple received");
        assertNotNull(handshake("site.test", true, "TLSv1.2"), "staple received");
        assertNull(handshake("other.test", true, "TLSv1.3"), "other.test has no staple");
        assertNull(handshake("site.test", false, "TLSv1.2"), "no status_request, no staple");
        assertNull(handshake("other.test", false, "TLSv1.3"));

        try (Socket garbage = new Socket()) {
            garbage.connect(server.localAddress(), 5_000);
            garbage.setSoTimeout(5_000);
            garbage.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(-1, garbage.getInputStream().read(), "plain HTTP on a TLS port is closed");
        }
        try (Socket silent = new Socket()) {
            silent.connect(server.localAddress(), 5_000);
        }
        Poll.until(WAIT, "two failed handshakes", () -> client.scrape().value(D + "_count", "frontend", "web",
                "result", "failed") == 2);

        PrometheusText t = client.scrape();
        assertEquals("counter", t.family(H).type());
        assertEquals(1, t.value(H, "frontend", "web", "tls_version", "TLSv1.3", "result", "ok", "stapled", "yes"));
        assertEquals(1, t.value(H, "frontend", "web", "tls_version", "TLSv1.2", "result", "ok", "stapled", "yes"));
        assertEquals(1, t.value(H, "frontend", "web", "tls_version", "TLSv1.3", "result", "ok", "stapled", "no"));
        assertEquals(1, t.value(H, "frontend", "web", "tls_version", "TLSv1.2", "result", "ok",
                "stapled", "not_requested"));
        assertEquals(1, t.value(H, "frontend", "web", "tls_version", "TLSv1.3", "result", "ok",
                "stapled", "not_requested"));
        assertEquals(2, t.value(H, "frontend", "web", "tls_version", "unknown", "result", "failed",
                "stapled", "not_requested"));
        assertEquals(7, t.find(H, "frontend", "web").stream().mapToDouble(PrometheusText.Sample::value).sum(),
                "no handshake counted twice");

        assertEquals("histogram", t.family(D).type());
        assertEquals(5, t.value(D + "_count", "frontend", "web", "result", "ok"));
        assertTrue(t.value(D + "_sum", "frontend", "web", "result", "ok") > 0);

        String served = "stapled_tls_staples_served_total";
        assertEquals(2, t.value(served, "certificate", "site"));
        assertEquals(0, t.valueOr(served, 0, "certificate", loaded(other).source().toString()),
                "no staple was ever served for other.test");
    }

    @Test
    void aHandshakeTheClientAbortsAfterItsHelloIsFailedWithTheStapleStateItHad() throws Exception {
        Instant now = Instant.now();
        loaded(site).stapleSlot().set(Staples.staple(site, now, now.minusSeconds(60), now.plus(Duration.ofDays(1))));
        PrometheusText before = client.scrape();
        double failedYes = before.value(H, "frontend", "web", "tls_version", "unknown", "result", "failed",
                "stapled", "yes");
        double failedTimed = before.value(D + "_count", "frontend", "web", "result", "failed");
        double served = before.valueOr("stapled_tls_staples_served_total", 0, "certificate", "site");

        // A client that trusts nothing rejects the server's certificate and aborts with an alert.
        SslContext strict = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL).enableOcsp(true)
                .protocols("TLSv1.3").build();
        try {
            Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel c) {
                            c.pipeline().addLast(strict.newHandler(c.alloc(), "site.test", 443),
                                    new ChannelInboundHandlerAdapter() {
                                        @Override
                                        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                            ctx.close();
                                        }
                                    });
                        }
                    }).connect(server.localAddress()).sync().channel();
            assertTrue(ch.closeFuture().await(10, TimeUnit.SECONDS), "client gave up");
        } finally {
            ReferenceCountUtil.release(strict);
        }
        Poll.until(WAIT, "failed handshake counted", () -> client.scrape().value(D + "_count", "frontend", "web",
                "result", "failed") == failedTimed + 1);
        PrometheusText after = client.scrape();
        assertEquals(failedYes + 1, after.value(H, "frontend", "web", "tls_version", "unknown", "result", "failed",
                "stapled", "yes"), "the staple was set on the engine before the client gave up");
        assertEquals(served, after.valueOr("stapled_tls_staples_served_total", 0, "certificate", "site"),
                "a failed handshake served nothing");
    }

    private byte[] handshake(String sni, boolean requestStatus, String protocol) throws Exception {
        return TlsTestClient.fullHandshakeStaple((InetSocketAddress) server.localAddress(), sni, requestStatus, protocol);
    }
}
