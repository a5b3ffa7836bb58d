package io.stapled.proxy.proxyprotocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.channel.EventLoopGroup;
import io.stapled.net.Transport;
import io.stapled.testing.ExternalTool;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.Poll;

/**
 * {@code accept_proxy} through the real server: a client that writes a PROXY header (v1 by hand, v2 with
 * Netty's encoder, or curl's --haproxy-protocol) and then speaks TLS on the same socket is that header's
 * client everywhere — X-Forwarded-For, the access log, {@code source} balancing, the per-source
 * handshake limit; an untrusted peer, a bad, missing or late header is closed with nothing forwarded.
 */
@Timeout(60)
class AcceptProxyTest {
    private static final EventLoopGroup GROUP = Transport.nio().newGroup(1, "pp-backends");
    private static final RecordingBackend A = RecordingBackend.http("a", GROUP, false);
    private static final RecordingBackend B = RecordingBackend.http("b", GROUP, false);

    @RegisterExtension
    static final StapledServerExtension STAPLED = StapledServerExtension.fromYaml("""
            global: { workers: 1 }
            frontends:
              - name: lb
                bind: 127.0.0.1:0
                backend: app
                access_log: true
                accept_proxy: { trusted_sources: [127.0.0.0/8], timeout: 1s }
                certificates:
                  - crt: ${cert:pp.test}
              - name: limited
                bind: 127.0.0.1:0
                backend: app
                max_handshakes_per_source: 1
                accept_proxy: true
                certificates:
                  - crt: ${cert:limited.test}
              - name: untrusted
                bind: 127.0.0.1:0
                backend: app
                accept_proxy: { trusted_sources: [10.0.0.0/8] }
                certificates:
                  - crt: ${cert:untrusted.test}
            backends:
              - name: app
                balance: source
                servers:
                  - { name: a, address: 127.0.0.1:${port:a} }
                  - { name: b, address: 127.0.0.1:${port:b} }
            """).port("a", A::port).port("b", B::port);

    @AfterAll
    static void stopBackends() {
        A.close();
        B.close();
        GROUP.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** The value of {@code stapled_frontend_proxy_protocol_refused_total} for a frontend and reason. */
    private static double refused(String frontend, String reason) {
        return STAPLED.server().metrics().registry().find("stapled.frontend.proxy.protocol.refused")
                .tags("frontend", frontend, "reason", reason).functionCounter().count();
    }

    private static int requests() {
        return A.requests.get() + B.requests.get();
    }

    private static String get(byte[] header) throws Exception {
        try (ProxyClient c = ProxyClient.connect(STAPLED.port("lb"), header)) {
            return c.handshake(STAPLED.root(), "pp.test").get("pp.test", "/");
        }
    }

    @Test
    void v1HeaderIsTheClientInForwardedForAndTheAccessLog() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger("stapled.access");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            String body = get(ProxyClient.v1("PROXY TCP4 203.0.113.7 127.0.0.1 51000 443"));
            assertTrue(body.endsWith(" 203.0.113.7"), body);
            Poll.until(Duration.ofSeconds(5), "an access log line", () -> !appender.list.isEmpty());
            String line = appender.list.get(0).getFormattedMessage();
            assertTrue(line.startsWith("203.0.113.7 - - ["), line);
        } finally {
            logger.detachAppender(appender);
        }
    }

    @Test
    void v2HeaderIpv4AndIpv6() throws Exception {
        assertTrue(get(ProxyClient.v2("198.51.100.20", 40000)).endsWith(" 198.51.100.20"));
        String body = get(ProxyClient.v2("2001:db8::17", 40001));
        assertTrue(body.endsWith(" 2001:db8:0:0:0:0:0:17"), body);
    }

    @Test
    void headerAndClientHelloInOneFlushFromANettyBoringSslClient() throws Exception {
        // The header is written but not flushed; the SslHandler added next flushes it with its ClientHello.
        io.netty.handler.ssl.SslContext ssl = io.netty.handler.ssl.SslContextBuilder.forClient()
                .sslProvider(io.netty.handler.ssl.SslProvider.OPENSSL).trustManager(STAPLED.root()).build();
        java.util.concurrent.CompletableFuture<String> body = new java.util.concurrent.CompletableFuture<>();
        io.netty.channel.Channel ch = new io.netty.bootstrap.Bootstrap().group(GROUP)
                .channel(io.netty.channel.socket.nio.NioSocketChannel.class)
                .handler(new io.netty.channel.ChannelInitializer<io.netty.channel.Channel>() {
                    @Override
                    protected void initChannel(io.netty.channel.Channel c) {
                        c.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(io.netty.channel.ChannelHandlerContext ctx) {
                                ctx.write(io.netty.buffer.Unpooled.wrappedBuffer(ProxyClient.v2("203.0.113.99", 6000)));
                                ctx.pipeline().addFirst(ssl.newHandler(ctx.alloc(), "pp.test", STAPLED.port("lb")));
                                ctx.pipeline().addLast(new io.netty.handler.codec.http.HttpClientCodec(),
                                        new io.netty.handler.codec.http.HttpObjectAggregator(4096),
                                        new io.netty.channel.SimpleChannelInboundHandler<
                                                io.netty.handler.codec.http.FullHttpResponse>() {
                                            @Override
                                            protected void channelRead0(io.netty.channel.ChannelHandlerContext c2,
                                                    io.netty.handler.codec.http.FullHttpResponse res) {
                                                body.complete(res.content().toString(
                                                        java.nio.charset.StandardCharsets.US_ASCII));
                                            }
                                        });
                                io.netty.handler.codec.http.DefaultFullHttpRequest req =
                                        new io.netty.handler.codec.http.DefaultFullHttpRequest(
                                                io.netty.handler.codec.http.HttpVersion.HTTP_1_1,
                                                io.netty.handler.codec.http.HttpMethod.GET, "/");
                                req.headers().set("Host", "pp.test");
                                ctx.pipeline().writeAndFlush(req);
                                ctx.pipeline().remove(this);
                            }
                        });
                    }
                }).connect("127.0.0.1", STAPLED.port("lb")).sync().channel();
        try {
            assertTrue(body.get(10, java.util.concurrent.TimeUnit.SECONDS).endsWith(" 203.0.113.99"));
        } finally {
            ch.close().sync();
        }
    }

    @Test
    void v2LocalUsesTheSocketAddress() throws Exception {
        String body = get(ProxyClient.v2Local());
        assertTrue(body.endsWith(" 127.0.0.1"), body);
        assertTrue(get(ProxyClient.v1("PROXY UNKNOWN")).endsWith(" 127.0.0.1"));
    }

    @Test
    void sourceBalancingHashesTheHeadersAddress() throws Exception {
        // Every connection comes from 127.0.0.1: hashing the socket's address would send all to one server.
        Map<String, String> serverOf = new HashMap<>();
        Set<String> servers = new HashSet<>();
        for (int i = 1; i <= 16; i++) {
            String client = "192.0.2." + i;
            String body = get(ProxyClient.v1("PROXY TCP4 " + client + " 127.0.0.1 " + (50000 + i) + " 443"));
            String server = body.substring(0, body.indexOf(' '));
            serverOf.put(client, server);
            servers.add(server);
        }
        assertEquals(Set.of("a", "b"), servers, "16 client addresses all went to " + servers);
        for (int i = 1; i <= 4; i++) {
            String client = "192.0.2." + i;
            String body = get(ProxyClient.v1("PROXY TCP4 " + client + " 127.0.0.1 " + (51000 + i) + " 443"));
            assertEquals(serverOf.get(client), body.substring(0, body.indexOf(' ')), client + " moved");
        }
    }

    @Test
    void curlHaproxyProtocol() throws Exception {
        ExternalTool.assumeInstalled("curl");
        String url = "https://pp.test:" + STAPLED.port("lb") + "/";
        java.nio.file.Path ca = STAPLED.dir().resolve("pp-root.pem");
        java.nio.file.Files.writeString(ca, io.stapled.testkit.pki.IssuedCertificate.pem(STAPLED.root()));
        ExternalTool.Result ok = ExternalTool.run(20, List.of("curl", "-sS", "--haproxy-protocol", "--cacert",
                ca.toString(), "--resolve", "pp.test:" + STAPLED.port("lb") + ":127.0.0.1", url));
        assertEquals(0, ok.exitCode(), ok.output());
        assertTrue(ok.output().endsWith(" 127.0.0.1"), ok.output());

        int before = requests();
        ExternalTool.Result refused = ExternalTool.run(20, List.of("curl", "-sS", "--cacert", ca.toString(),
                "--resolve", "pp.test:" + STAPLED.port("lb") + ":127.0.0.1", url));
        assertNotEquals(0, refused.exitCode(), refused.output());
        assertEquals(before, requests());
    }

    @Test
    void noHeaderGarbageOrAMalformedOneIsClosed() throws Exception {
        int before = requests();
        double refusedBefore = refused("lb", "bad_header");
        // TLS straight away: the ClientHello is not a PROXY header.
        try (ProxyClient c = ProxyClient.connect(STAPLED.port("lb"), new byte[0])) {
            assertThrows(Exception.class, () -> c.handshake(STAPLED.root(), "pp.test"));
        }
        for (byte[] bad : List.of(ProxyClient.v1("HELLO WORLD"), ProxyClient.v1("PROXY TCP4 203.0.113.7 127.0.0.1 51000"),
                ProxyClient.v1("PROXY TCP4 not-an-ip 127.0.0.1 51000 443"),
                ProxyClient.v1("PROXY TCP4 " + "9".repeat(120)))) {
            try (ProxyClient c = ProxyClient.connect(STAPLED.port("lb"), bad)) {
                assertTrue(c.closedByServer(), new String(bad));
            }
        }
        assertEquals(before, requests());
        Poll.until(Duration.ofSeconds(5), "5 more bad_header", () -> refused("lb", "bad_header") == refusedBefore + 5);
    }

    @Test
    void aResetBeforeAnyHeaderIsAClosedConnectionNotABadHeader() throws Exception {
        var limiter = STAPLED.server().frontends().get(0).limiter();
        Poll.until(Duration.ofSeconds(5), "earlier connections closed", () -> limiter.active() == 0);
        double before = refused("lb", "bad_header");
        // What a balancer's TCP check does: connect, then reset.
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", STAPLED.port("lb"))) {
            Poll.until(Duration.ofSeconds(5), "accepted", () -> limiter.active() == 1);
            s.setSoLinger(true, 0);
        }
        Poll.until(Duration.ofSeconds(5), "the reset connection closed", () -> limiter.active() == 0);
        assertEquals(before, refused("lb", "bad_header"));
    }

    @Test
    void aHeaderThatDoesNotArriveInTimeIsClosed() throws Exception {
        long start = System.nanoTime();
        try (ProxyClient c = ProxyClient.connect(STAPLED.port("lb"), "PROXY TCP4 ".getBytes())) {
            assertTrue(c.closedByServer());
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis >= 900 && millis < 5000, "closed after " + millis + "ms, timeout is 1s");
    }

    @Test
    void aPeerOutsideTrustedSourcesIsClosedEvenWithAValidHeader() throws Exception {
        int before = requests();
        double refusedBefore = refused("untrusted", "untrusted");
        try (ProxyClient c = ProxyClient.connect(STAPLED.port("untrusted"),
                ProxyClient.v1("PROXY TCP4 10.0.0.1 127.0.0.1 51000 443"))) {
            assertTrue(c.closedByServer());
        }
        assertEquals(before, requests());
        assertEquals(refusedBefore + 1, refused("untrusted", "untrusted"));
        assertTrue(STAPLED.server().metrics().registry().scrape().contains(
                "stapled_frontend_proxy_protocol_refused_total{frontend=\"untrusted\",reason=\"untrusted\"} 1.0"));
    }

    @Test
    void theHandshakeLimitCountsTheClientNotTheBalancer() throws Exception {
        int port = STAPLED.port("limited");
        // Client 203.0.113.1 holds one connection in the handshake (header sent, no ClientHello yet).
        try (ProxyClient held = ProxyClient.connect(port, ProxyClient.v1("PROXY TCP4 203.0.113.1 127.0.0.1 1 443"))) {
            Poll.until(Duration.ofSeconds(5), "the held connection counted",
                    () -> STAPLED.server().frontends().get(1).limiter().handshakes()
                            .inHandshake(addr("203.0.113.1")) == 1);
            // Another client through the same balancer is not limited by it.
            try (ProxyClient other = ProxyClient.connect(port, ProxyClient.v1("PROXY TCP4 203.0.113.2 127.0.0.1 2 443"))) {
                assertTrue(other.handshake(STAPLED.root(), "limited.test").get("limited.test", "/").endsWith(" 203.0.113.2"));
            }
            // The same client again is over its limit of 1.
            try (ProxyClient again = ProxyClient.connect(port, ProxyClient.v1("PROXY TCP4 203.0.113.1 127.0.0.1 3 443"))) {
                assertTrue(again.closedByServer());
            }
        }
    }

    private static InetAddress addr(String text) {
        return io.netty.util.NetUtil.createInetAddressFromIpAddressString(text);
    }
}
