package io.stapled.testing;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLEngine;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;

/** An in-process TLS client: connect, handshake with SNI, read the greeting, report what it got. */
public final class TlsTestClient implements AutoCloseable {

    public record Result(X509Certificate leaf, byte[] ocspResponse, String protocol, String alpn, String greeting) { }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    public static SslContextBuilder builder(SslProvider provider) {
        return SslContextBuilder.forClient().sslProvider(provider)
                .trustManager(InsecureTrustManagerFactory.INSTANCE);
    }

    /** One handshake; {@code ctx} is used, not released. {@code sni} null sends no server name. */
    public Result connect(SslContext ctx, String sni, int port) throws Exception {
        CompletableFuture<Result> result = new CompletableFuture<>();
        Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                        SSLEngine engine = sni == null ? ctx.newEngine(c.alloc())
                                : ctx.newEngine(c.alloc(), sni, port);
                        SslHandler ssl = new SslHandler(engine);
                        c.pipeline().addLast(ssl, new ChannelInboundHandlerAdapter() {
                            private final StringBuilder text = new StringBuilder();

                            @Override
                            public void channelRead(ChannelHandlerContext hctx, Object msg) {
                                ByteBuf b = (ByteBuf) msg;
                                text.append(b.toString(StandardCharsets.US_ASCII));
                                b.release();
                                if (text.toString().endsWith("\n")) {
                                    finish(ssl, text.toString());
                                }
                            }

                            @Override
                            public void channelInactive(ChannelHandlerContext hctx) {
                                result.completeExceptionally(new IllegalStateException("closed before greeting"));
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext hctx, Throwable cause) {
                                result.completeExceptionally(cause);
                                hctx.close();
                            }

                            private void finish(SslHandler ssl, String greeting) {
                                try {
                                    SSLEngine e = ssl.engine();
                                    byte[] ocsp = e instanceof ReferenceCountedOpenSslEngine o && ctxOcsp(o)
                                            ? o.getOcspResponse() : null;
                                    result.complete(new Result((X509Certificate) e.getSession().getPeerCertificates()[0],
                                            ocsp, e.getSession().getProtocol(), ssl.applicationProtocol(), greeting));
                                } catch (Exception ex) {
                                    result.completeExceptionally(ex);
                                }
                            }
                        });
                    }
                })
                .connect("127.0.0.1", port).sync().channel();
        try {
            return result.get(10, TimeUnit.SECONDS);
        } finally {
            ch.close().sync();
        }
    }

    private static boolean ctxOcsp(ReferenceCountedOpenSslEngine e) {
        try {
            e.getOcspResponse();
            return true;
        } catch (IllegalStateException notEnabled) {
            return false;
        }
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
