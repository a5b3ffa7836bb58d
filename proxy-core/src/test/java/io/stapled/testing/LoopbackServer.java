package io.stapled.testing;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.stapled.config.HostPort;

/**
 * A real server on 127.0.0.1 standing in for a backend in tests: echo, HTTP with a settable status, or any
 * handler. {@link #stop()} only stops listening; {@link #close()} also closes the accepted connections.
 */
public final class LoopbackServer implements AutoCloseable {
    private final EventLoopGroup group;
    private final Supplier<ChannelHandler> handler;
    /** Connections accepted so far (health checks included). */
    public final AtomicInteger accepted = new AtomicInteger();
    private final ChannelGroup children = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private volatile Channel serverChannel;
    private volatile int port;

    private LoopbackServer(EventLoopGroup group, Supplier<ChannelHandler> handler) {
        this.group = group;
        this.handler = handler;
    }

    public static LoopbackServer of(EventLoopGroup group, Supplier<ChannelHandler> handler) {
        LoopbackServer s = new LoopbackServer(group, handler);
        s.bind(0);
        return s;
    }

    /** Writes back what it reads. */
    public static LoopbackServer echo(EventLoopGroup group) {
        return of(group, EchoHandler::new);
    }

    /** Accepts and never says anything. */
    public static LoopbackServer silent(EventLoopGroup group) {
        return of(group, () -> new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                io.netty.util.ReferenceCountUtil.release(msg);
            }
        });
    }

    /** Answers every request with {@code status} (read at answer time), recording the last request line and Host. */
    public static LoopbackServer http(EventLoopGroup group, AtomicInteger status, AtomicReference<String> lastRequest) {
        return of(group, () -> new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(4096),
                        new SimpleChannelInboundHandler<FullHttpRequest>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                                lastRequest.set(req.method() + " " + req.uri() + " " + req.protocolVersion()
                                        + " host=" + req.headers().get(HttpHeaderNames.HOST)
                                        + " connection=" + req.headers().get(HttpHeaderNames.CONNECTION));
                                FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                        HttpResponseStatus.valueOf(status.get()), Unpooled.EMPTY_BUFFER);
                                res.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
                                res.headers().set(HttpHeaderNames.CONNECTION, "close");
                                ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
                            }
                        });
            }
        });
    }

    private void bind(int wanted) {
        serverChannel = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted.incrementAndGet();
                        children.add(ch);
                        ch.pipeline().addLast(handler.get());
                    }
                })
                .bind("127.0.0.1", wanted).syncUninterruptibly().channel();
        port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public int port() {
        return port;
    }

    public HostPort hostPort() {
        return new HostPort("127.0.0.1", port);
    }

    /** Stops listening (new connects are refused); accepted connections stay open. */
    public void stop() {
        serverChannel.close().syncUninterruptibly();
    }

    /** Listens again on the same port. */
    public void restart() {
        bind(port);
    }

    /** Stops listening and closes every accepted connection: the server is gone. */
    @Override
    public void close() {
        stop();
        children.close().syncUninterruptibly();
    }

    static final class EchoHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
