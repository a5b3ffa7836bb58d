package io.stapled.testing;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Real backends that say who they are, one loopback server per name: HTTP ones answer every request
 * with {@code backend=NAME method=M uri=U proto=X-Forwarded-Proto} (keep-alive as the request asks),
 * TCP ones greet with {@code backend=NAME} and close. For routing tests: the answer names the backend
 * a request reached.
 */
public final class NamedBackends implements AutoCloseable {
    private final Map<String, LoopbackServer> servers = new LinkedHashMap<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();

    private NamedBackends() {
    }

    public static NamedBackends http(EventLoopGroup group, List<String> names) {
        NamedBackends b = new NamedBackends();
        for (String name : names) {
            AtomicInteger count = b.requests.computeIfAbsent(name, n -> new AtomicInteger());
            b.servers.put(name, LoopbackServer.of(group, () -> httpHandler(name, count)));
        }
        return b;
    }

    public static NamedBackends tcp(EventLoopGroup group, List<String> names) {
        NamedBackends b = new NamedBackends();
        for (String name : names) {
            b.servers.put(name, LoopbackServer.of(group, () -> new ChannelInboundHandlerAdapter() {
                @Override
                public void channelActive(ChannelHandlerContext ctx) {
                    ctx.writeAndFlush(Unpooled.copiedBuffer("backend=" + name + "\n", StandardCharsets.US_ASCII))
                            .addListener(ChannelFutureListener.CLOSE);
                }
            }));
        }
        return b;
    }

    public int port(String name) {
        LoopbackServer s = servers.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no backend " + name);
        }
        return s.port();
    }

    /** Connections a backend accepted so far. */
    public int accepted(String name) {
        return servers.get(name).accepted.get();
    }

    /** HTTP requests a backend answered so far. */
    public int requests(String name) {
        return requests.get(name).get();
    }

    /** {@code backends:} YAML for every name, one server each. */
    public String yaml() {
        StringBuilder sb = new StringBuilder("backends:\n");
        servers.forEach((name, s) -> sb.append("  - name: ").append(name).append("\n    servers:\n")
                .append("      - { name: ").append(name).append("1, address: 127.0.0.1:").append(s.port())
                .append(" }\n"));
        return sb.toString();
    }

    private static ChannelInitializer<Channel> httpHandler(String name, AtomicInteger count) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                        new SimpleChannelInboundHandler<FullHttpRequest>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                                count.incrementAndGet();
                                String text = "backend=" + name + " method=" + req.method() + " uri=" + req.uri()
                                        + " proto=" + req.headers().get("x-forwarded-proto") + "\n";
                                FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                        HttpResponseStatus.OK,
                                        Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
                                res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
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

    @Override
    public void close() {
        servers.values().forEach(LoopbackServer::close);
    }
}
