package io.stapled.proxy.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.stapled.testing.Curl;
import io.stapled.testing.LoopbackServer;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.Poll;
import io.stapled.testkit.pki.IssuedCertificate;

/**
 * Response compression on the real server, asked with the real curl (which decodes gzip, br and zstd
 * itself with {@code --compressed}) over HTTP/1.1 and HTTP/2, and with the JDK's client and
 * {@link GZIPInputStream} for a body streamed part by part. The backend answers what the query asks:
 * {@code size}, {@code type}, {@code status}, and headers of its own.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CompressionTest {
    private static final NioEventLoopGroup GROUP = new NioEventLoopGroup(1);
    private static final LoopbackServer BACKEND = LoopbackServer.of(GROUP, CompressionTest::backend);
    /** Lets the backend's streamed response ({@code /stream}) send its second part. */
    private static volatile CountDownLatch secondPart = new CountDownLatch(1);

    @RegisterExtension
    static final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            ocsp: { startup_wait: 5s, persist: false }
            frontends:
              - name: web
                bind: 127.0.0.1:0
                default_backend: app
                certificates: [ { crt: ${cert:site.test} } ]
                compression: { algorithms: [gzip, zstd, br], min_size: 1k }
                routes:
                  - path_prefix: /off/
                    backend: app
                    compression: false
                  - path_prefix: /offload/
                    backend: app
                    request_headers: [ { delete: Accept-Encoding } ]
                  - path_prefix: /zstd-only/
                    backend: app
                    compression: { algorithms: [zstd], types: [text/*] }
              - name: plain
                bind: 127.0.0.1:0
                tls: false
                default_backend: app
                compression: true
              - name: none
                bind: 127.0.0.1:0
                tls: false
                default_backend: app
            backends:
              - name: app
                servers: [ { name: app1, address: "127.0.0.1:${port:app}" } ]
            """)
            .port("app", BACKEND::port)
            .beforeServer(x -> io.stapled.testkit.TestPki.write(x.dir().resolve("root.pem"),
                    IssuedCertificate.pem(x.root())));

    @AfterAll
    static void stopBackend() {
        BACKEND.close();
        GROUP.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** {@code size} bytes of text that compresses well, the same for the same size. */
    static String text(int size) {
        StringBuilder b = new StringBuilder(size + 64);
        for (int i = 0; b.length() < size; i++) {
            b.append("line ").append(i).append(": stapled compresses what the backend sends\n");
        }
        return b.substring(0, size);
    }

    private static ChannelInitializer<Channel> backend() {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 16),
                        new SimpleChannelInboundHandler<FullHttpRequest>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                                answer(ctx, req);
                            }
                        });
            }
        };
    }

    private static void answer(ChannelHandlerContext ctx, FullHttpRequest req) {
        QueryStringDecoder q = new QueryStringDecoder(req.uri());
        int size = Integer.parseInt(param(q, "size", "5000"));
        int status = Integer.parseInt(param(q, "status", "200"));
        String type = param(q, "type", "text/html; charset=utf-8");
        if (q.path().endsWith("/stream") || q.path().endsWith("/abort")) {
            boolean abort = q.path().endsWith("/abort");
            DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
            HttpUtil.setTransferEncodingChunked(head, true);
            ctx.write(head);
            ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(text(size), StandardCharsets.US_ASCII)));
            if (abort) {
                ctx.executor().schedule(() -> ctx.close(), 200, TimeUnit.MILLISECONDS);
                return;
            }
            CountDownLatch latch = secondPart;
            CompletableFuture.runAsync(() -> {
                try {
                    latch.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }).thenRun(() -> ctx.executor().execute(() -> {
                DefaultLastHttpContent end = new DefaultLastHttpContent(
                        Unpooled.copiedBuffer(text(2 * size).substring(size), StandardCharsets.US_ASCII));
                ctx.writeAndFlush(end);
            }));
            return;
        }
        byte[] body = text(size).getBytes(StandardCharsets.US_ASCII);
        boolean chunked = q.parameters().containsKey("chunked");
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                status == 204 || status == 304 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
        res.headers().set("X-Backend-Accept-Encoding", req.headers().get(HttpHeaderNames.ACCEPT_ENCODING, "none"));
        for (String h : q.parameters().getOrDefault("h", java.util.List.of())) {
            int colon = h.indexOf(':');
            res.headers().add(h.substring(0, colon), h.substring(colon + 1).strip());
        }
        if (chunked) {
            HttpUtil.setTransferEncodingChunked(res, true);
        } else if (status != 204 && status != 304) {
            HttpUtil.setContentLength(res, res.content().readableBytes());
        }
        if (HttpUtil.isKeepAlive(req)) {
            ctx.writeAndFlush(res);
        } else {
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static String param(QueryStringDecoder q, String name, String fallback) {
        var v = q.parameters().get(name);
        return v == null ? fallback : v.get(0);
    }

    private static Curl.Response curl(String path, String... args) throws Exception {
        return new Curl(stapled.dir().resolve("root.pem")).get("https", "site.test", stapled.port("web"), path, args);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--http1.1", "--http2"})
    void curlCompressedGetsGzipAndAWeakEtag(String proto) throws Exception {
        Curl.Response r = curl("/page?size=20000&h=ETag:%22v1%22&h=Accept-Ranges:bytes&h=Vary:Origin", proto,
                "--compressed");
        assertEquals(200, r.status());
        assertEquals("gzip", r.header("content-encoding"), "curl offers all three, ties go to our order");
        assertEquals(text(20000), r.body(), "curl decoded it");
        assertNull(r.header("content-length"), r.headers().toString());
        assertEquals("W/\"v1\"", r.header("etag"));
        assertNull(r.header("accept-ranges"));
    }

    /** Every Vary line of one response, joined (curl's parse keeps only the first of a repeated header). */
    private static String varyOf(String proto) throws Exception {
        var r = io.stapled.testing.ExternalTool.run(20, java.util.List.of("curl", "-sS", "-o", "/dev/null", "-D", "-",
                proto, "--compressed", "--cacert", stapled.dir().resolve("root.pem").toString(),
                "--resolve", "site.test:" + stapled.port("web") + ":127.0.0.1",
                "https://site.test:" + stapled.port("web") + "/page?size=20000&h=Vary:Origin"));
        StringBuilder vary = new StringBuilder();
        for (String line : r.output().split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("vary:")) {
                vary.append(line.substring(5).strip()).append(',');
            }
        }
        return vary.toString();
    }

    @ParameterizedTest
    @ValueSource(strings = {"--http1.1", "--http2"})
    void varyIsAppendedToTheBackendsOwn(String proto) throws Exception {
        String vary = varyOf(proto);
        assertTrue(vary.contains("Origin") && vary.contains("Accept-Encoding"), vary);
    }

    @ParameterizedTest
    @ValueSource(strings = {"zstd", "br", "gzip;q=0.5, zstd;q=0.8", "gzip;q=0, *;q=0.5"})
    void theClientsPreferenceDecides(String acceptEncoding) throws Exception {
        for (String proto : new String[] {"--http1.1", "--http2"}) {
            Curl.Response r = curl("/page?size=8000", proto, "--compressed", "-H", "Accept-Encoding: " + acceptEncoding);
            String expected = acceptEncoding.equals("br") ? "br" : "zstd";
            assertEquals(expected, r.header("content-encoding"), acceptEncoding + " " + proto);
            assertEquals(text(8000), r.body());
        }
    }

    @Test
    void aChunkedResponseWithoutALengthIsCompressedWhateverItsSize() throws Exception {
        Curl.Response r = curl("/page?size=100&chunked", "--compressed");
        assertEquals("gzip", r.header("content-encoding"));
        assertEquals(text(100), r.body());
    }

    /** Asked with {@code Accept-Encoding: gzip} but not decoded: the body must arrive as the backend sent it. */
    private static void notCompressed(String path, String... more) throws Exception {
        for (String proto : new String[] {"--http1.1", "--http2"}) {
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(proto, "-H",
                    "Accept-Encoding: gzip, br, zstd"));
            args.addAll(java.util.List.of(more));
            Curl.Response r = curl(path, args.toArray(String[]::new));
            assertTrue(r.header("content-encoding") == null || !r.header("content-encoding").equals("gzip"),
                    path + " " + proto + ": " + r.headers());
            if (!args.contains("-I") && r.status() != 204 && r.status() != 304) {
                assertTrue(r.body().startsWith("line 0: "), path + " " + proto + ": " + r.body());
            }
        }
    }

    @Test
    void neverCompressed() throws Exception {
        notCompressed("/small?size=1000");
        notCompressed("/image?type=image/png");
        notCompressed("/no-transform?h=Cache-Control:public,%20no-transform");
        notCompressed("/status?status=206&h=Content-Range:bytes%200-4999/9999");
        notCompressed("/status?status=404");
        notCompressed("/status?status=204");
        notCompressed("/status?status=304");
        notCompressed("/head", "-I");
        notCompressed("/off/page");
        Curl.Response coded = curl("/coded?h=Content-Encoding:identity", "-H", "Accept-Encoding: gzip");
        assertEquals("identity", coded.header("content-encoding"), "already coded: left alone");
    }

    @ParameterizedTest
    @ValueSource(strings = {"--http1.1", "--http2"})
    void noAcceptEncodingNoCompressionButVary(String proto) throws Exception {
        Curl.Response r = curl("/page?size=5000", proto);
        assertNull(r.header("content-encoding"));
        assertEquals("5000", r.header("content-length"));
        assertEquals("Accept-Encoding", r.header("vary"), "a cache must keep the coded and plain apart");
        assertEquals(text(5000), r.body());
        Curl.Response identity = curl("/page?size=5000", proto, "-H", "Accept-Encoding: identity, gzip;q=0.5");
        assertNull(identity.header("content-encoding"), "identity preferred");
    }

    @Test
    void anHttp10ClientGetsThePlainBody() throws Exception {
        Curl.Response r = curl("/page?size=5000", "--http1.0", "-H", "Accept-Encoding: gzip");
        assertNull(r.header("content-encoding"));
        assertEquals(text(5000), r.body());
    }

    @Test
    void aRoutesCompressionReplacesTheFrontends() throws Exception {
        Curl.Response r = curl("/zstd-only/page?type=text/plain", "--compressed");
        assertEquals("zstd", r.header("content-encoding"));
        assertEquals(text(5000), r.body());
        Curl.Response json = curl("/zstd-only/page?type=application/json", "--compressed");
        assertNull(json.header("content-encoding"), "its own types: text/* only");
    }

    @Test
    void theClientsAcceptEncodingIsReadBeforeTheRequestRules() throws Exception {
        Curl.Response r = curl("/offload/page", "--compressed");
        assertEquals("none", r.header("x-backend-accept-encoding"), "the rule removed it towards the backend");
        assertEquals("gzip", r.header("content-encoding"), "HAProxy's compression offload, as a rule");
        assertEquals(text(5000), r.body());
        assertEquals("deflate, gzip, br, zstd", curl("/page", "--compressed").header("x-backend-accept-encoding"),
                "forwarded as sent otherwise");
    }

    @Test
    void offByDefault() throws Exception {
        HttpResponse<byte[]> r = jdk("none", "/page?size=5000");
        assertNull(r.headers().firstValue("content-encoding").orElse(null));
        assertNull(r.headers().firstValue("vary").orElse(null));
        assertArrayEquals(text(5000).getBytes(StandardCharsets.US_ASCII), r.body());
    }

    private static HttpResponse<byte[]> jdk(String frontend, String path) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stapled.port(frontend) + path))
                .header("Accept-Encoding", "gzip").timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void theJdkDecodesIt() throws Exception {
        HttpResponse<byte[]> r = jdk("plain", "/page.json?size=300000&type=application/json");
        assertEquals("gzip", r.headers().firstValue("content-encoding").orElse(null));
        assertTrue(r.body().length < 300000 / 5, "compressed to " + r.body().length);
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(r.body()))) {
            assertEquals(text(300000), new String(in.readAllBytes(), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void aStreamedBodyIsCompressedPartByPart() throws Exception {
        secondPart = new CountDownLatch(1);
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + stapled.port("plain") + "/stream?size=4000")).header("Accept-Encoding", "gzip").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals("gzip", r.headers().firstValue("content-encoding").orElse(null));
        try (InputStream in = new GZIPInputStream(r.body())) {
            byte[] first = in.readNBytes(4000);
            assertEquals(text(4000), new String(first, StandardCharsets.US_ASCII),
                    "the first part decodes while the backend still holds the second");
            secondPart.countDown();
            assertEquals(text(8000).substring(4000), new String(in.readAllBytes(), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void aBackendThatDiesMidBodyEndsTheResponseAndFreesTheCoder() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + stapled.port("plain") + "/abort?size=4000")).header("Accept-Encoding", "gzip").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = new GZIPInputStream(r.body())) {
            assertEquals(text(4000), new String(in.readNBytes(4000), StandardCharsets.US_ASCII));
            assertThrows(IOException.class, in::readAllBytes, "the cut is not a clean end");
        }
        // The leak detector (paranoid) fails the class if the coder's buffers were not released.
        Poll.until(Duration.ofSeconds(5), "a good request after it", () -> {
            try {
                return jdk("plain", "/page?size=5000").statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        });
    }
}
