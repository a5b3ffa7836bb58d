package io.stapled.proxy.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.stapled.config.BackendConfig;
import io.stapled.config.BackendConfig.Balance;
import io.stapled.config.BackendConfig.HealthCheckConfig;
import io.stapled.config.BackendConfig.ServerConfig;
import io.stapled.testing.EventLoopGroupExtension;
import io.stapled.testing.LoopbackServer;
import io.stapled.testkit.Poll;

/**
 * HTTP check {@code method}, {@code host} and {@code expect_body} against a real server whose answer
 * the test changes: the body must contain the string within the first 16 KiB.
 */
@Timeout(20)
class HttpCheckOptionsTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    @RegisterExtension
    static final EventLoopGroupExtension loops = new EventLoopGroupExtension(1);

    /** Answers every request with 200 and the current {@code body}, recording the request line and Host. */
    private static LoopbackServer server(AtomicReference<String> body, AtomicReference<String> request) {
        return LoopbackServer.of(loops.group(), () -> new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(4096),
                        new SimpleChannelInboundHandler<FullHttpRequest>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                                request.set(req.method() + " " + req.uri() + " host=" + req.headers().get("host"));
                                FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                        HttpResponseStatus.OK,
                                        Unpooled.copiedBuffer(body.get(), StandardCharsets.UTF_8));
                                res.headers().set(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
                                res.headers().set(HttpHeaderNames.CONNECTION, "close");
                                ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
                            }
                        });
            }
        });
    }

    private static BackendPool pool(LoopbackServer server, String method, String host, String expectBody) {
        HealthCheckConfig check = new HealthCheckConfig(HealthCheckConfig.Type.HTTP, "/ready", 200,
                Duration.ofMillis(100), Duration.ofMillis(500), 1, 1, method, host, expectBody);
        return new BackendPool(new BackendConfig("app", Balance.ROUNDROBIN,
                List.of(new ServerConfig("s1", server.hostPort(), 1)), check, Duration.ofSeconds(1),
                Duration.ofSeconds(5), 4, Duration.ofSeconds(30)));
    }

    private static void awaitStatus(BackendServer s, CheckStatus status) {
        Poll.until(WAIT, "check " + status, () -> s.lastCheck() != null && s.lastCheck().status() == status);
    }

    @Test
    void expectBodyFollowsWhatTheServerAnswers() {
        AtomicReference<String> body = new AtomicReference<>("{\"status\":\"ready\"}");
        AtomicReference<String> request = new AtomicReference<>();
        try (LoopbackServer server = server(body, request)) {
            BackendPool pool = pool(server, "OPTIONS", "health.internal", "\"status\":\"ready\"");
            BackendServer s1 = pool.server("s1");
            pool.start(loops.group(), NioSocketChannel.class);
            try {
                awaitStatus(s1, CheckStatus.L7OK);
                assertEquals("OPTIONS /ready host=health.internal", request.get());
                assertEquals("HTTP content check matched", s1.lastCheck().description());

                body.set("{\"status\":\"starting\"}"); // still 200: only the body says it is not ready
                Poll.until(WAIT, "s1 down", () -> !s1.isHealthy());
                assertEquals(CheckStatus.L7RSP, s1.lastCheck().status());
                assertTrue(s1.lastCheck().description().startsWith("HTTP content check did not match"),
                        s1.lastCheck().description());

                body.set("{\"status\":\"ready\"}");
                Poll.until(WAIT, "s1 up", s1::isHealthy);
            } finally {
                pool.close();
            }
        }
    }

    @Test
    void onlyTheFirst16KiBOfTheBodyAreRead() {
        // the string right after 16 KiB of padding is not seen; within the first 16 KiB it is
        AtomicReference<String> body = new AtomicReference<>("x".repeat(HealthChecker.MAX_CHECKED_BODY) + "OK");
        AtomicReference<String> request = new AtomicReference<>();
        try (LoopbackServer server = server(body, request)) {
            BackendPool pool = pool(server, "GET", null, "OK");
            BackendServer s1 = pool.server("s1");
            pool.start(loops.group(), NioSocketChannel.class);
            try {
                awaitStatus(s1, CheckStatus.L7RSP);
                assertEquals("HTTP content check did not match in the first 16384 bytes",
                        s1.lastCheck().description());
                assertTrue(request.get().startsWith("GET /ready host=127.0.0.1:"), request.get());
                body.set("x".repeat(HealthChecker.MAX_CHECKED_BODY - 2) + "OK");
                awaitStatus(s1, CheckStatus.L7OK);
            } finally {
                pool.close();
            }
        }
    }
}
