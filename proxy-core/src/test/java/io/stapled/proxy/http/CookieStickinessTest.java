package io.stapled.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.stapled.proxy.backend.BackendServer;
import io.stapled.testing.Curl;
import io.stapled.testing.LoopbackServer;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.pki.IssuedCertificate;

/**
 * Cookie stickiness through the real proxy with curl (HTTP/1.1 and HTTP/2 over TLS): insert, rewrite and
 * prefix modes, a cookie naming a down or unknown server balanced and re-inserted. The two backends
 * answer {@code server=NAME cookie=<the Cookie header they got>} and set their own cookie {@code app=v1}.
 */
@Timeout(90)
class CookieStickinessTest {
    private static final NioEventLoopGroup GROUP = new NioEventLoopGroup(1);
    private static final LoopbackServer A = server("a");
    private static final LoopbackServer B = server("b");

    private static LoopbackServer server(String name) {
        return LoopbackServer.of(GROUP, () -> new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(4096),
                        new SimpleChannelInboundHandler<FullHttpRequest>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                                String body = "server=" + name + " cookie=" + req.headers().get(HttpHeaderNames.COOKIE);
                                FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                        HttpResponseStatus.OK, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
                                res.headers().set(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
                                String own = req.uri().startsWith("/srvid") ? "SRVID=app-chosen; Path=/" : "app=v1; Path=/";
                                res.headers().set(HttpHeaderNames.SET_COOKIE, own);
                                ctx.writeAndFlush(res);
                            }
                        });
            }
        });
    }

    @RegisterExtension
    static final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            frontends:
              - name: insert
                bind: 127.0.0.1:0
                backend: insert
                certificates: [ { crt: ${cert:site.test} } ]
                http2: { max_concurrent_streams: 100 }
              - { name: rewrite, bind: 127.0.0.1:0, backend: rewrite, certificates: [ { crt: ${cert:site.test} } ] }
              - { name: prefix, bind: 127.0.0.1:0, backend: prefix, certificates: [ { crt: ${cert:site.test} } ] }
            backends:
              - name: insert
                cookie: { name: SRVID, mode: insert, httponly: true, secure: true, nocache: true }
                servers: [ { name: a, address: 127.0.0.1:%1$d }, { name: b, address: 127.0.0.1:%2$d, cookie: bee } ]
              - name: rewrite
                cookie: { name: SRVID, mode: rewrite }
                servers: [ { name: a, address: 127.0.0.1:%1$d }, { name: b, address: 127.0.0.1:%2$d, cookie: bee } ]
              - name: prefix
                cookie: { name: app, mode: prefix }
                servers: [ { name: a, address: 127.0.0.1:%1$d }, { name: b, address: 127.0.0.1:%2$d, cookie: bee } ]
            """.formatted(A.port(), B.port()));

    private static Curl curl;

    @BeforeAll
    static void trustRoot() throws Exception {
        Path root = stapled.dir().resolve("root.pem");
        Files.writeString(root, IssuedCertificate.pem(stapled.root()));
        curl = new Curl(root);
    }

    @AfterAll
    static void stopBackends() {
        A.close();
        B.close();
        GROUP.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static Curl.Response get(String frontend, String path, String... args) throws Exception {
        Curl.Response r = curl.get("https", "site.test", stapled.port(frontend), path, args);
        assertEquals(200, r.status(), r.body());
        return r;
    }

    @Test
    void insertSetsTheCookieOnceAndTheCookieKeepsTheClientOnItsServer() throws Exception {
        for (String version : new String[] {"--http1.1", "--http2"}) {
            Curl.Response first = get("insert", "/srvid", version);
            String setCookie = first.header("set-cookie");
            String server = first.body().startsWith("server=a") ? "a" : "bee";
            assertEquals("SRVID=" + server + "; path=/; HttpOnly; Secure", setCookie, version);
            assertEquals("private", first.header("cache-control"), "nocache");
            // (the server's own SRVID=app-chosen was removed: in insert mode the proxy owns the cookie)
            for (int i = 0; i < 4; i++) {
                Curl.Response again = get("insert", "/srvid", version, "-b", "SRVID=" + server + "; other=1");
                assertTrue(again.body().startsWith("server=" + server.charAt(0)), version + ": " + again.body());
                assertTrue(again.body().endsWith("cookie=other=1"), "the proxy's cookie is not forwarded: " + again.body());
                assertNull(again.header("set-cookie"), "a client that has a valid cookie is not sent it again");
            }
        }
    }

    @Test
    void aCookieNamingADownOrUnknownServerIsBalancedAndReinserted() throws Exception {
        BackendServer b = stapled.server().backends().get("insert").server("b");
        b.setAdminState(BackendServer.AdminState.MAINT);
        try {
            Curl.Response r = get("insert", "/srvid", "-b", "SRVID=bee");
            assertTrue(r.body().startsWith("server=a"), r.body());
            assertTrue(r.header("set-cookie").startsWith("SRVID=a;"), r.header("set-cookie"));
        } finally {
            b.setAdminState(BackendServer.AdminState.READY);
        }
        Set<String> servers = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            Curl.Response r = get("insert", "/srvid", "-b", "SRVID=nosuch");
            servers.add(r.body().substring(0, 8));
            assertTrue(r.header("set-cookie").startsWith("SRVID="), "re-inserted");
        }
        assertEquals(Set.of("server=a", "server=b"), servers, "balanced round robin");
    }

    @Test
    void rewriteReplacesTheValueOfTheServersOwnCookie() throws Exception {
        Curl.Response r = get("rewrite", "/srvid", "-b", "SRVID=bee");
        assertTrue(r.body().startsWith("server=b cookie=SRVID=bee"), "forwarded as is: " + r.body());
        assertEquals("SRVID=bee; Path=/", r.header("set-cookie"));
        assertEquals("app=v1; Path=/", get("rewrite", "/").header("set-cookie"), "another cookie is left alone");
    }

    @Test
    void prefixPrefixesTheServersCookieAndStripsThePrefixFromRequests() throws Exception {
        Curl.Response r = get("prefix", "/", "-b", "app=bee~v1; other=2");
        assertEquals("server=b cookie=app=v1; other=2", r.body(), "the server sees its own value");
        assertEquals("app=bee~v1; Path=/", r.header("set-cookie"));
        Curl.Response a = get("prefix", "/", "-b", "app=a~v7");
        assertEquals("server=a cookie=app=v7", a.body());
    }
}
