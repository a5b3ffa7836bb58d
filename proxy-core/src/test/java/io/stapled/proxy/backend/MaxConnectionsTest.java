package io.stapled.proxy.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
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
import io.stapled.testing.LoopbackServer;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.Poll;
import io.stapled.testkit.TlsTestClient;

/**
 * A server's {@code max_connections} through the real proxy: a request over the cap waits in the
 * server's queue and is served when a slot frees; a full queue ({@code max_queue}) and a wait beyond
 * {@code queue_timeout} are 503; a client that goes away leaves the queue. The backend holds each
 * request until the test answers it, so nothing depends on timing but the queue timeout itself.
 */
@Timeout(60)
class MaxConnectionsTest {
    private static final NioEventLoopGroup GROUP = new NioEventLoopGroup(1);
    /** Requests the backend holds, answered by {@link #answerOne}. */
    private static final BlockingQueue<ChannelHandlerContext> HELD = new LinkedBlockingQueue<>();
    private static final LoopbackServer HOLDING = LoopbackServer.of(GROUP, () -> new ChannelInitializer<Channel>() {
        @Override
        protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(4096),
                    new SimpleChannelInboundHandler<FullHttpRequest>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                            HELD.add(ctx);
                        }
                    });
        }
    });

    @RegisterExtension
    static final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            frontends:
              - { name: web, bind: 127.0.0.1:0, backend: capped, certificates: [ { crt: ${cert:site.test} } ] }
              - { name: quick, bind: 127.0.0.1:0, backend: quick, certificates: [ { crt: ${cert:site.test} } ] }
            backends:
              - name: capped
                queue_timeout: 30s
                servers: [ { name: s1, address: 127.0.0.1:%1$d, max_connections: 1, max_queue: 1 } ]
              - name: quick
                queue_timeout: 300ms
                servers: [ { name: s1, address: 127.0.0.1:%1$d, max_connections: 1 } ]
            """.formatted(HOLDING.port()));

    @AfterEach
    void answerEverything() throws Exception {
        ChannelHandlerContext ctx;
        while ((ctx = HELD.poll()) != null) {
            answer(ctx);
        }
    }

    @AfterAll
    static void stopBackend() {
        HOLDING.close();
        GROUP.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static void answer(ChannelHandlerContext ctx) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.copiedBuffer("answered", StandardCharsets.US_ASCII));
        res.headers().set(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
        ctx.writeAndFlush(res);
    }

    private static void answerOne() throws Exception {
        ChannelHandlerContext ctx = HELD.poll(10, TimeUnit.SECONDS);
        assertTrue(ctx != null, "the backend got no request");
        answer(ctx);
    }

    private static TlsTestClient.Connection open(String frontend) throws Exception {
        return stapled.client().open(stapled.port(frontend), "site.test", false, stapled.root());
    }

    private static CompletableFuture<TlsTestClient.Response> getAsync(TlsTestClient.Connection c) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return c.get("/");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static ServerQueue queue(String backend) {
        return stapled.server().backends().get(backend).server("s1").queue();
    }

    @Test
    void overTheCapARequestWaitsAndAFullQueueIs503() throws Exception {
        ServerQueue q = queue("capped");
        try (TlsTestClient.Connection a = open("web"); TlsTestClient.Connection b = open("web");
                TlsTestClient.Connection c = open("web")) {
            CompletableFuture<TlsTestClient.Response> first = getAsync(a);
            Poll.until(Duration.ofSeconds(10), "first request at the backend", () -> HELD.size() == 1);
            CompletableFuture<TlsTestClient.Response> second = getAsync(b);
            Poll.until(Duration.ofSeconds(10), "second request queued", () -> q.queued() == 1);
            assertEquals(1, HELD.size(), "the queued request did not reach the server");
            assertEquals(503, c.get("/").status(), "max_queue 1 is full");
            assertEquals(1, q.refused());

            answerOne();
            assertEquals(200, first.get(10, TimeUnit.SECONDS).status());
            answerOne(); // the queued request reached the server once the first slot was free
            assertEquals(200, second.get(10, TimeUnit.SECONDS).status());
            assertEquals(0, q.queued());
            assertEquals(1, q.maxQueued());
        }
        Poll.until(Duration.ofSeconds(5), "slots given back", () -> q.inUse() == 0);
    }

    @Test
    void aClientThatGoesAwayLeavesTheQueue() throws Exception {
        ServerQueue q = queue("capped");
        try (TlsTestClient.Connection a = open("web")) {
            CompletableFuture<TlsTestClient.Response> first = getAsync(a);
            Poll.until(Duration.ofSeconds(10), "first request at the backend", () -> HELD.size() == 1);
            TlsTestClient.Connection b = open("web");
            getAsync(b);
            Poll.until(Duration.ofSeconds(10), "second request queued", () -> q.queued() == 1);
            b.close();
            Poll.until(Duration.ofSeconds(10), "the queue emptied", () -> q.queued() == 0);
            // its place is free again: a third client queues instead of a 503
            try (TlsTestClient.Connection c = open("web")) {
                CompletableFuture<TlsTestClient.Response> third = getAsync(c);
                Poll.until(Duration.ofSeconds(10), "third request queued", () -> q.queued() == 1);
                answerOne();
                assertEquals(200, first.get(10, TimeUnit.SECONDS).status());
                answerOne();
                assertEquals(200, third.get(10, TimeUnit.SECONDS).status());
            }
        }
        Poll.until(Duration.ofSeconds(5), "slots given back", () -> q.inUse() == 0);
    }

    @Test
    void aWaitBeyondQueueTimeoutIs503() throws Exception {
        ServerQueue q = queue("quick");
        try (TlsTestClient.Connection a = open("quick"); TlsTestClient.Connection b = open("quick")) {
            CompletableFuture<TlsTestClient.Response> first = getAsync(a);
            Poll.until(Duration.ofSeconds(10), "first request at the backend", () -> HELD.size() == 1);
            long start = System.nanoTime();
            assertEquals(503, b.get("/").status());
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(waitedMillis >= 250, "answered after " + waitedMillis + "ms, before queue_timeout 300ms");
            assertEquals(1, q.timedOut());
            assertEquals(0, q.queued());
            answerOne();
            assertEquals(200, first.get(10, TimeUnit.SECONDS).status());
        }
        Poll.until(Duration.ofSeconds(5), "slots given back", () -> q.inUse() == 0);
    }
}
