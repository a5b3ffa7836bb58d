package io.stapled.proxy.conn;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;

/** A plain echo listener whose child pipelines start with a limiter and a tracker, as a frontend's do. */
final class PlainFront implements AutoCloseable {
    private final Channel serverChannel;

    PlainFront(EventLoopGroup group, ConnectionLimiter limiter, ConnectionTracker tracker) {
        serverChannel = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (limiter != null) {
                            ch.pipeline().addLast("limit", limiter);
                        }
                        if (tracker != null) {
                            ch.pipeline().addLast("track", tracker);
                        }
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ctx.writeAndFlush(msg);
                            }
                        });
                    }
                })
                .bind("127.0.0.1", 0).syncUninterruptibly().channel();
    }

    Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", ((InetSocketAddress) serverChannel.localAddress()).getPort()),
                5_000);
        s.setSoTimeout(5_000);
        return s;
    }

    /** Sends a byte and expects it back: the connection is open and served. */
    static void assertServed(Socket s) throws IOException {
        s.getOutputStream().write('x');
        s.getOutputStream().flush();
        int r = s.getInputStream().read();
        if (r != 'x') {
            throw new AssertionError("connection not served, read " + r);
        }
    }

    /** The server closed this connection: end of stream or reset, not a timeout. */
    static void assertClosedByServer(Socket s) throws IOException {
        try {
            int r = s.getInputStream().read();
            if (r != -1) {
                throw new AssertionError("expected a closed connection, read " + r);
            }
        } catch (java.net.SocketTimeoutException e) {
            throw new AssertionError("the server did not close the connection");
        } catch (java.net.SocketException reset) {
            // closed with a reset: closed as well
        }
    }

    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
    }
}
