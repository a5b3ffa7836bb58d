package io.stapled.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.stapled.config.AdminHttpConfig;
import io.stapled.config.CertificateSource;
import io.stapled.config.FrontendConfig;
import io.stapled.config.GlobalConfig;
import io.stapled.config.HostPort;
import io.stapled.config.HttpConfig;
import io.stapled.config.TlsConfig;
import io.stapled.ocsp.OcspManager;
import io.stapled.ocsp.OcspSettings;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.responder.OcspResponderServer;
import io.stapled.ocsp.OcspSubject;
import io.stapled.proxy.conn.ConnectionTracker;
import io.stapled.tls.LoadedCertificate;
import io.stapled.tls.TlsFrontend;
import io.stapled.tls.TlsFrontendFactory;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.TlsTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The wiring the server assembly does, end to end: a TLS frontend whose certificates are managed by
 * the real OCSP engine (sharing their staple slots), the handshake handler and tracker in the child
 * pipeline, the admin listener on the same event loop group.
 */
// Generous deadlines that only bound a hang: at a load average of 25 the JVM's first OCSP exchange
// (class loading, signing, parsing) took longer than the 5 s the initial round used to get.
@Timeout(90)
class StapledMetricsWiringTest {
    @TempDir
    Path dir;

    @Test
    void stapledHandshakesAreCountedUnderTheOcspEnginesCertificateIds() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        OcspResponderServer responder = OcspResponderServer.builder(TestPki.INTERMEDIATE)
                .validity(Duration.ZERO, Duration.ofHours(4)).start();
        IssuedCertificate site = CertificateBuilder.subject("CN=site.test").issuer(TestPki.INTERMEDIATE)
                .dnsNames("site.test").serial(BigInteger.valueOf(9001)).ocspUrl(responder.url()).mustStaple().build();
        site.writeBundle(dir.resolve("site.pem"));
        TlsConfig tlsConfig = new TlsConfig(List.of("TLSv1.2", "TLSv1.3"), null, null, List.of("http/1.1"), false,
                Duration.ofHours(1), 0, Duration.ofMinutes(5), Duration.ofSeconds(5));
        FrontendConfig frontend = new FrontendConfig("web", new HostPort("127.0.0.1", 0), FrontendConfig.Mode.HTTP,
                "app", List.of(new CertificateSource.Directory(dir, CertificateSource.OcspOptions.DEFAULT)), null,
                tlsConfig, HttpConfig.defaults(), 100, Duration.ofSeconds(30), false);
        StapledMetrics metrics = new StapledMetrics(Clock.systemUTC());
        OcspManager ocsp = OcspManager.builder()
                .settings(OcspSettings.builder().persist(false).watchFiles(false).requestsPerSecond(1000).build())
                .listener(metrics.ocspListener())
                .build();
        TlsFrontend tls = TlsFrontendFactory.create(frontend, GlobalConfig.defaults(), ocsp);
        Channel server = null;
        AdminHttpServer admin = null;
        try {
            LoadedCertificate loaded = tls.certificates().get(0);
            String id = loaded.source().toString();
            AdminHttpConfig adminConfig = new AdminHttpConfig(new HostPort("127.0.0.1", 0), true, Duration.ofMinutes(30));
            metrics.bindOcsp(ocsp, adminConfig);
            ocsp.start();
            assertTrue(ocsp.awaitInitialRound(Duration.ofSeconds(30)), "the initial OCSP round did not end");

            ConnectionTracker tracker = new ConnectionTracker("web");
            metrics.bindFrontend("web", tracker);
            HandshakeMetricsHandler handshakes = metrics.handshakeHandler("web");
            server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(tracker, tls.newHandler(), handshakes, new Greeter());
                        }
                    }).bind("127.0.0.1", 0).syncUninterruptibly().channel();
            admin = metrics.startAdmin(adminConfig, group, NioServerSocketChannel.class);
            AdminClient client = new AdminClient(admin.localAddress());
            assertEquals(503, client.get("/readyz").statusCode(), "listeners not open yet");
            metrics.readiness().listenersOpen(true);
            assertEquals(200, client.get("/readyz").statusCode(), client.get("/readyz").body());

            for (int i = 0; i < 3; i++) {
                InetSocketAddress address = (InetSocketAddress) server.localAddress();
                assertNotNull(TlsTestClient.fullHandshakeStaple(address, "site.test", true, null),
                        "the engine's staple is served");
            }
            PrometheusText t = client.scrape();
            assertEquals(3, t.value("stapled_tls_staples_served_total", "certificate", id));
            assertEquals(3, t.value("stapled_tls_handshakes_total", "frontend", "web", "tls_version", "TLSv1.3",
                    "result", "ok", "stapled", "yes"));
            assertEquals(3, t.value("stapled_frontend_connections_total", "frontend", "web"));
            assertEquals(1, t.value("stapled_ocsp_certificate_info", "certificate", id, "must_staple", "true"));
            assertEquals(1, t.value("stapled_ocsp_staple_valid", "certificate", id));
        } finally {
            if (admin != null) {
                admin.close();
            }
            if (server != null) {
                server.close().syncUninterruptibly();
            }
            ocsp.close();
            metrics.close();
            tls.close();
            responder.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
