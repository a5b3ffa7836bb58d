package io.stapled.proxy.headers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.stapled.testing.Curl;
import io.stapled.testing.ExternalTool;
import io.stapled.testing.LoopbackServer;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;

/**
 * Header rules, HSTS and the request id on the real server, asked with the real curl over HTTP/1.1 and
 * HTTP/2: the backend answers with the headers it got (one {@code name: value} line each) and with
 * headers of its own that the response rules rewrite.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class HeaderRulesTest {
    private static final NioEventLoopGroup GROUP = new NioEventLoopGroup(1);
    private static final LoopbackServer ECHO = LoopbackServer.of(GROUP, HeaderRulesTest::echoHeaders);
    private static final IssuedCertificate CLIENT_CA = CertificateBuilder.subject("CN=client ca").ca().build();
    private static final IssuedCertificate ALICE = CertificateBuilder.subject("CN=alice").issuer(CLIENT_CA)
            .clientAuth().build();

    @RegisterExtension
    static final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            ocsp: { startup_wait: 5s, persist: false }
            frontends:
              - name: web
                bind: 127.0.0.1:0
                default_backend: echo
                access_log: true
                certificates: [ { crt: ${cert:site.test} } ]
                tls:
                  client_auth: { mode: optional, ca_file: client-ca.pem }
                hsts: { max_age: 1y, include_subdomains: true }
                request_id: { header: X-Request-Id }
                request_headers:
                  - { set: X-Client, value: "%[src]:%[src_port]" }
                  - { set: X-Tls, value: "%[ssl_fc_sni] %[ssl_fc_protocol] %[ssl_fc_cipher]" }
                  - { set: X-Host-Copy, value: "host=%[req.hdr(host)] 100%%" }
                  - { set: X-Id, value: "%[unique-id]" }
                  - { set: X-Cert, value: "%[ssl_c_s_dn]|%[ssl_c_serial]|%[ssl_c_sha256]|%[ssl_c_verify]" }
                  - { set: X-Forwarded-Proto, value: overridden }
                  - { add: X-Multi, value: one }
                  - { add: X-Multi, value: two }
                  - { delete: X-Secret }
                  - { delete_regex: "^x-internal-" }
                response_headers:
                  - { delete: X-Powered-By }
                  - { delete_regex: "^x-debug-" }
                  - { delete_regex: "^content-" }
                  - { set: X-Frontend, value: web }
                  - { set: X-Echo-Host, value: "%[req.hdr(host)]" }
                routes:
                  - path_prefix: /api/
                    backend: echo
                    request_headers:
                      - { set: X-Route, value: api }
                      - { set: X-Client, value: "route-%[src]" }
                    response_headers:
                      - { set: X-Frontend, value: route }
                      - { set: X-Route-Response, value: "yes" }
                  - path_prefix: /strip
                    backend: echo
                    strip_prefix: /strip
                  - path_prefix: /old/
                    backend: echo
                    replace_prefix: { prefix: /old/, with: /new/v2/ }
              - name: trusting
                bind: 127.0.0.1:0
                backend: echo
                certificates: [ { crt: ${cert:site.test} } ]
                request_id: { header: X-Trace-Id, trust_incoming: true }
              - name: plain
                bind: 127.0.0.1:0
                tls: false
                backend: echo
                request_headers: [ { set: X-Plain, value: "%[src]" } ]
            backends:
              - name: echo
                servers: [ { name: echo1, address: "127.0.0.1:${port:echo}" } ]
            """)
            .port("echo", ECHO::port)
            .beforeServer(x -> {
                TestPki.write(x.dir().resolve("client-ca.pem"), CLIENT_CA.certificatePem());
                TestPki.write(x.dir().resolve("alice.crt"), ALICE.certificatePem());
                TestPki.write(x.dir().resolve("alice.key"), ALICE.privateKeyPem());
                TestPki.write(x.dir().resolve("root.pem"), IssuedCertificate.pem(x.root()));
            });

    private ListAppender<ILoggingEvent> access;

    private static ChannelInitializer<Channel> echoHeaders() {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                        new SimpleChannelInboundHandler<FullHttpRequest>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                                StringBuilder text = new StringBuilder("uri: " + req.uri() + "\n");
                                for (Map.Entry<String, String> e : req.headers()) {
                                    text.append(e.getKey().toLowerCase(Locale.ROOT)).append(": ")
                                            .append(e.getValue()).append('\n');
                                }
                                FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                        HttpResponseStatus.OK, Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
                                res.headers().set("Content-Type", "text/plain");
                                res.headers().set("X-Powered-By", "php");
                                res.headers().set("X-Debug-Trace", "1");
                                res.headers().set("X-Backend", "echo");
                                res.headers().set("Strict-Transport-Security", "max-age=1");
                                HttpUtil.setContentLength(res, res.content().readableBytes());
                                boolean keepAlive = HttpUtil.isKeepAlive(req);
                                HttpUtil.setKeepAlive(res, keepAlive);
                                if (keepAlive) {
                                    ctx.writeAndFlush(res);
                                } else {
                                    ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
                                }
                            }
                        });
            }
        };
    }

    @AfterAll
    static void stopBackend() {
        ECHO.close();
        GROUP.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @BeforeEach
    void captureAccessLog() {
        access = new ListAppender<>();
        access.start();
        ((Logger) LoggerFactory.getLogger("stapled.access")).addAppender(access);
    }

    @AfterEach
    void stopCapture() {
        ((Logger) LoggerFactory.getLogger("stapled.access")).detachAppender(access);
    }

    private static Curl curl() {
        return new Curl(stapled.dir().resolve("root.pem"));
    }

    /** The values of {@code name} the backend got, in order. */
    private static List<String> got(Curl.Response r, String name) {
        List<String> values = new ArrayList<>();
        for (String line : r.body().split("\n")) {
            if (line.startsWith(name + ": ")) {
                values.add(line.substring(name.length() + 2));
            }
        }
        return values;
    }

    private static String one(Curl.Response r, String name) {
        List<String> v = got(r, name);
        assertEquals(1, v.size(), name + " in " + r.body());
        return v.get(0);
    }

    private static Curl.Response get(String frontend, String path, String... args) throws Exception {
        Curl.Response r = curl().get("https", "site.test", stapled.port(frontend), path, args);
        assertEquals(200, r.status(), r.toString());
        return r;
    }

    private static List<String> withCert(String proto, String... more) {
        List<String> args = new ArrayList<>(List.of(proto,
                "--cert", stapled.dir().resolve("alice.crt").toString(),
                "--key", stapled.dir().resolve("alice.key").toString()));
        args.addAll(List.of(more));
        return args;
    }

    @ParameterizedTest
    @ValueSource(strings = {"--http1.1", "--http2"})
    void requestRulesSeeTheConnectionAndRunAfterTheForwardedHeaders(String proto) throws Exception {
        Curl.Response r = get("web", "/", withCert(proto, "-H", "X-Secret: s", "-H", "X-Internal-Token: t",
                "-H", "X-Internal-Other: u", "-H", "X-Multi: zero").toArray(String[]::new));
        assertTrue(one(r, "x-client").matches("127\\.0\\.0\\.1:[0-9]+"), r.body());
        assertNotEquals("127.0.0.1:" + stapled.port("web"), one(r, "x-client"), "the client's port, not ours");
        String tls = one(r, "x-tls");
        assertTrue(tls.startsWith("site.test TLSv1.3 TLS_"), tls);
        assertEquals("host=site.test:" + stapled.port("web") + " 100%", one(r, "x-host-copy"));
        assertEquals("overridden", one(r, "x-forwarded-proto"), "a rule overrides the forwarded headers");
        assertEquals(List.of("127.0.0.1"), got(r, "x-forwarded-for"));
        assertEquals(List.of("zero", "one", "two"), got(r, "x-multi"));
        assertEquals(List.of(), got(r, "x-secret"));
        assertEquals(List.of(), got(r, "x-internal-token"));
        assertEquals(List.of(), got(r, "x-internal-other"));
        String[] cert = one(r, "x-cert").split("\\|");
        assertEquals("CN=alice", cert[0]);
        assertEquals(ALICE.certificate().getSerialNumber().toString(16).toUpperCase(Locale.ROOT),
                cert[1].replaceFirst("^0+", ""));
        assertTrue(cert[2].matches("[0-9A-F]{64}"), cert[2]);
        assertEquals("0", cert[3]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--http1.1", "--http2"})
    void responseRulesAndHsts(String proto) throws Exception {
        Curl.Response r = get("web", "/", proto);
        assertNull(r.header("x-powered-by"));
        assertNull(r.header("x-debug-trace"));
        assertNull(r.header("content-type"), "^content- removes Content-Type");
        assertTrue(r.body().startsWith("uri: /\n"), "but not Content-Length: the body is framed: " + r.body());
        assertTrue(r.header("content-length") != null || "--http2".equals(proto), r.headers().toString());
        assertEquals("echo", r.header("x-backend"), "other headers stay");
        assertEquals("web", r.header("x-frontend"));
        assertEquals("site.test:" + stapled.port("web"), r.header("x-echo-host"), "req.hdr in a response rule");
        assertEquals("max-age=31536000; includeSubDomains", r.header("strict-transport-security"),
                "hsts replaces the backend's");
        assertEquals("|||", one(r, "x-cert"), "no client certificate: the fetches are empty");
    }

    @ParameterizedTest
    @ValueSource(strings = {"--http1.1", "--http2"})
    void routeRulesRunAfterTheFrontendsOnRequestsAndBeforeOnResponses(String proto) throws Exception {
        Curl.Response r = get("web", "/api/x", proto);
        assertEquals("api", one(r, "x-route"));
        assertEquals("route-127.0.0.1", one(r, "x-client"), "the route's rule ran last");
        assertEquals("web", r.header("x-frontend"), "the frontend's response rule ran last");
        assertEquals("yes", r.header("x-route-response"));
        Curl.Response other = get("web", "/other", proto);
        assertEquals(List.of(), got(other, "x-route"), "a route's rules are its own");
        assertNull(other.header("x-route-response"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"--http1.1", "--http2"})
    void aRequestIdIsAddedForwardedLoggedAndAFetch(String proto) throws Exception {
        Curl.Response r = get("web", "/", proto, "-H", "X-Request-Id: forged");
        String id = one(r, "x-request-id");
        assertTrue(id.matches("[0-9a-f]{32}"), "the client's is replaced: " + id);
        assertEquals(id, one(r, "x-id"), "%[unique-id] is the same id");
        assertNotEquals(id, one(get("web", "/", proto), "x-request-id"), "one per request");
        io.stapled.testkit.Poll.until(java.time.Duration.ofSeconds(5), "access log line", () -> access.list.stream()
                .anyMatch(e -> e.getFormattedMessage().contains(" request_id=\"" + id + "\"")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"--http1.1", "--http2"})
    void routesRewriteThePathBeforeForwarding(String proto) throws Exception {
        assertEquals("/a/b?q=1", one(get("web", "/strip/a/b?q=1", proto), "uri"));
        assertEquals("/", one(get("web", "/strip", proto), "uri"), "nothing left is /");
        assertEquals("/?x=y", one(get("web", "/strip?x=y", proto), "uri"));
        assertEquals("/stripped", one(get("web", "/stripped", proto), "uri"), "whole segments only");
        assertEquals("/new/v2/x?y=1", one(get("web", "/old/x?y=1", proto), "uri"));
        io.stapled.testkit.Poll.until(java.time.Duration.ofSeconds(5),
                "the access log line with the request as the client sent it", () -> access.list.stream()
                .anyMatch(e -> e.getFormattedMessage().contains("\"GET /old/x?y=1 HTTP/")));
    }

    @Test
    void trustIncomingKeepsTheClientsId() throws Exception {
        assertEquals("abc-123", one(get("trusting", "/", "-H", "X-Trace-Id: abc-123"), "x-trace-id"));
        assertTrue(one(get("trusting", "/"), "x-trace-id").matches("[0-9a-f]{32}"), "added when absent");
    }

    @Test
    void plainFrontendGetsItsRulesAndNoHsts() throws Exception {
        ExternalTool.assumeInstalled("curl");
        Curl.Response r = new Curl(null).get("http", "site.test", stapled.port("plain"), "/");
        assertEquals(200, r.status());
        assertEquals("127.0.0.1", one(r, "x-plain"));
        assertEquals("max-age=1", r.header("strict-transport-security"), "the backend's own, untouched");
        assertEquals(List.of(), got(r, "x-request-id"), "request_id is off unless configured");
    }
}
