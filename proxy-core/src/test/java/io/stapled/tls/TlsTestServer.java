package io.stapled.tls;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;

/**
 * A real listener whose pipeline is the frontend's handler and a responder that, once the handshake
 * is done, records what the server saw, writes {@code hello} and closes.
 */
final class TlsTestServer implements AutoCloseable {
    static final String GREETING = "hello\n";

    /** What the server side of one finished handshake looked like. */
    record Seen(LoadedCertificate certificate, String serverName, boolean statusRequested, boolean stapled,
                boolean reused, String protocol, ClientCertificate clientCertificate, boolean open) { }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    final BlockingQueue<Seen> handshakes = new LinkedBlockingQueue<>();
    final BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();

    TlsTestServer(TlsFrontend frontend) throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted.add(ch);
                        ch.pipeline().addLast(frontend.newHandler(), new Responder());
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    Seen nextHandshake() throws InterruptedException {
        Seen s = handshakes.poll(10, TimeUnit.SECONDS);
        if (s == null) {
            throw new AssertionError("no handshake completed on the server within 10 s");
        }
        return s;
    }

    private final class Responder extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent e) {
                if (!e.isSuccess()) {
                    ctx.close();
                    return;
                }
                Channel ch = ctx.channel();
                SslHandler ssl = ch.pipeline().get(SslHandler.class);
                TlsSelection selection = ch.attr(TlsAttributes.SELECTION).get();
                handshakes.add(new Seen(selection.certificate(), selection.serverName(),
                        selection.statusRequested(), selection.stapled(),
                        TlsAttributes.sessionReused(ssl.engine()), ssl.engine().getSession().getProtocol(),
                        ch.attr(TlsAttributes.CLIENT_CERTIFICATE).get(), ch.isActive()));
                ctx.writeAndFlush(Unpooled.copiedBuffer(GREETING, StandardCharsets.US_ASCII))
                        .addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            io.netty.util.ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
