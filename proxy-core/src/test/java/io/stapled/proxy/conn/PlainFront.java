package io.stapled.proxy.conn;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;

/**
 * A plain echo listener with a frontend's limiter on the listening channel and its handshake limiter
 * and tracker first in each child pipeline; a {@link #HANDSHAKE} byte counts as a finished handshake.
 */
final class PlainFront implements AutoCloseable {
    /** A first byte that ends the "handshake", as a completed TLS handshake would. */
    static final byte HANDSHAKE = 'H';

    private final Channel serverChannel;

    PlainFront(EventLoopGroup group, ConnectionLimiter limiter, ConnectionTracker tracker) {
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (limiter != null) {
                            ch.pipeline().addLast("limit", limiter.handshakes());
                        }
                        if (tracker != null) {
                            ch.pipeline().addLast("track", tracker);
                        }
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                if (((ByteBuf) msg).getByte(0) == HANDSHAKE) {
                                    // stands in for the TLS handler announcing the end of the handshake
                                    ctx.fireUserEventTriggered(SslHandshakeCompletionEvent.SUCCESS);
                                }
                                ctx.writeAndFlush(msg);
                            }
                        });
                        if (limiter != null) {
                            ch.pipeline().addLast("handshake-done", limiter.handshakes().completion());
                        }
                    }
                });
        if (limiter != null) {
            b.handler(limiter);
        }
        serverChannel = b.bind("127.0.0.1", 0).syncUninterruptibly().channel();
    }

    Socket connect() throws IOException {
        return connectFrom(null);
    }

    /** Connects from {@code source} (e.g. 127.0.0.2, another loopback address), or any if null. */
    Socket connectFrom(String source) throws IOException {
        Socket s = new Socket();
        if (source != null) {
            s.bind(new InetSocketAddress(source, 0));
        }
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
