package io.stapled.admin;

import java.security.cert.X509Certificate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLEngine;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.stapled.net.Transport;

/** A BoringSSL client that asks for a staple: one handshake, then the served certificate and staple. */
final class TlsProbe implements AutoCloseable {

    record Seen(X509Certificate leaf, byte[] staple) {
        String serialHex() {
            return leaf.getSerialNumber().toString(16);
        }
    }

    private final Transport transport = Transport.best();
    private final EventLoopGroup group = transport.newGroup(1, "probe");
    private final SslContext ctx;

    TlsProbe() throws Exception {
        ctx = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL).enableOcsp(true)
                .trustManager(InsecureTrustManagerFactory.INSTANCE).build();
    }

    Seen handshake(int port, String sni) throws Exception {
        CompletableFuture<Seen> seen = new CompletableFuture<>();
        Channel ch = new Bootstrap().group(group).channel(transport.socketChannel())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                        SSLEngine engine = ctx.newEngine(c.alloc(), sni, port);
                        c.pipeline().addLast(new SslHandler(engine), new ChannelInboundHandlerAdapter() {
                            @Override
                            public void userEventTriggered(ChannelHandlerContext h, Object evt) {
                                if (evt instanceof SslHandshakeCompletionEvent e) {
                                    if (!e.isSuccess()) {
                                        seen.completeExceptionally(e.cause());
                                        return;
                                    }
                                    try {
                                        seen.complete(new Seen(
                                                (X509Certificate) engine.getSession().getPeerCertificates()[0],
                                                ((ReferenceCountedOpenSslEngine) engine).getOcspResponse()));
                                    } catch (Exception ex) {
                                        seen.completeExceptionally(ex);
                                    }
                                    h.close();
                                }
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext h, Throwable cause) {
                                seen.completeExceptionally(cause);
                                h.close();
                            }
                        });
                    }
                }).connect("127.0.0.1", port).sync().channel();
        try {
            return seen.get(10, TimeUnit.SECONDS);
        } finally {
            ch.close().sync();
        }
    }

    @Override
    public void close() {
        io.netty.util.ReferenceCountUtil.release(ctx);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
