package io.stapled.metrics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the admin paths: {@code /metrics} (Prometheus text), {@code /healthz}, {@code /readyz};
 * 404 for any other path, 405 for any method but GET. The scrape only formats numbers already in
 * memory, so it runs on the event loop.
 *
 * <p>With a {@link BearerToken}, {@code /metrics} answers 401 without it, and {@code /readyz} answers only
 * its status line ({@code ready} or {@code not ready}), not the problem and detail lines. {@code /healthz}
 * and {@code /readyz}'s status stay open, as the Kubernetes API server keeps its own probes: a kubelet
 * probe carries no secret.
 */
@Sharable
final class AdminHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(AdminHttpHandler.class);
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String PLAIN = "text/plain; charset=utf-8";

    private final Readiness readiness;
    private final PrometheusMeterRegistry registry;
    private final BearerToken token;
    private final Runnable beforeScrape;

    /**
     * @param token        what {@code /metrics} and {@code /readyz}'s details need, or null: open
     * @param beforeScrape brings meters that follow run-time state (served certificates) up to date
     */
    AdminHttpHandler(Readiness readiness, PrometheusMeterRegistry registry, BearerToken token, Runnable beforeScrape) {
        this.readiness = readiness;
        this.registry = registry;
        this.token = token;
        this.beforeScrape = beforeScrape;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            send(ctx, request, HttpResponseStatus.BAD_REQUEST, text("bad request\n"), PLAIN, false);
            return;
        }
        String path = path(request.uri());
        boolean known = path.equals("/metrics") || path.equals("/healthz") || path.equals("/readyz");
        if (!known) {
            send(ctx, request, HttpResponseStatus.NOT_FOUND, text("not found\n"), PLAIN, true);
            return;
        }
        if (!HttpMethod.GET.equals(request.method())) {
            FullHttpResponse r = response(HttpResponseStatus.METHOD_NOT_ALLOWED, text("method not allowed\n"), PLAIN);
            r.headers().set(HttpHeaderNames.ALLOW, "GET");
            write(ctx, request, r, true);
            return;
        }
        boolean authorized = token == null || token.accepts(request.headers().get(HttpHeaderNames.AUTHORIZATION));
        switch (path) {
            case "/metrics" -> {
                if (authorized) {
                    metrics(ctx, request);
                } else {
                    unauthorized(ctx, request);
                }
            }
            case "/healthz" -> send(ctx, request, HttpResponseStatus.OK, text("ok\n"), PLAIN, true);
            default -> ready(ctx, request, authorized);
        }
    }

    private static void unauthorized(ChannelHandlerContext ctx, FullHttpRequest request) {
        FullHttpResponse r = response(HttpResponseStatus.UNAUTHORIZED, text("unauthorized\n"), PLAIN);
        r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"stapled\"");
        write(ctx, request, r, true);
    }

    private void metrics(ChannelHandlerContext ctx, FullHttpRequest request) {
        ByteBuf body = ctx.alloc().buffer(16 * 1024);
        try (ByteBufOutputStream out = new ByteBufOutputStream(body)) {
            beforeScrape.run();
            registry.scrape(out);
        } catch (IOException | RuntimeException e) {
            body.release();
            log.warn("admin: /metrics scrape failed: {}", e.toString());
            send(ctx, request, HttpResponseStatus.INTERNAL_SERVER_ERROR, text("scrape failed\n"), PLAIN, true);
            return;
        }
        send(ctx, request, HttpResponseStatus.OK, body, PROMETHEUS_TEXT, true);
    }

    private void ready(ChannelHandlerContext ctx, FullHttpRequest request, boolean authorized) {
        List<String> problems = readiness.problems();
        if (!authorized) {
            send(ctx, request, problems.isEmpty() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                    text(problems.isEmpty() ? "ready\n" : "not ready\n"), PLAIN, true);
            return;
        }
        List<String> details = readiness.details();
        StringBuilder sb = new StringBuilder();
        if (problems.isEmpty()) {
            sb.append("ready\n");
        }
        for (String p : problems) {
            // One line per problem, whatever the check wrote.
            sb.append(p.replace('\r', ' ').replace('\n', ' ')).append('\n');
        }
        for (String d : details) {
            sb.append(d.replace('\r', ' ').replace('\n', ' ')).append('\n');
        }
        send(ctx, request, problems.isEmpty() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                text(sb.toString()), PLAIN, true);
    }

    private static String path(String uri) {
        int q = uri.indexOf('?');
        return q >= 0 ? uri.substring(0, q) : uri;
    }

    private static ByteBuf text(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    private static FullHttpResponse response(HttpResponseStatus status, ByteBuf body, String contentType) {
        FullHttpResponse r = new DefaultFullHttpResponse(io.netty.handler.codec.http.HttpVersion.HTTP_1_1, status, body);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        return r;
    }

    private static void send(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
                             ByteBuf body, String contentType, boolean keepAliveAllowed) {
        write(ctx, request, response(status, body, contentType), keepAliveAllowed);
    }

    private static void write(ChannelHandlerContext ctx, FullHttpRequest request, FullHttpResponse response,
                              boolean keepAliveAllowed) {
        boolean keepAlive = keepAliveAllowed && HttpUtil.isKeepAlive(request);
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ChannelFuture f = ctx.writeAndFlush(response);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("admin: {} closed: {}", ctx.channel(), cause.toString());
        ctx.close();
    }
}
