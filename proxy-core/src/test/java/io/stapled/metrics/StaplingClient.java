package io.stapled.metrics;

import java.net.SocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;

/** Client side of the metrics tests' TLS listeners (see {@link Greeter}): one full handshake, then the staple. */
final class StaplingClient {
    private StaplingClient() { }

    /**
     * One full handshake with a fresh client context (no resumption), waiting for the greeting; returns the
     * staple received, or null when none came or {@code requestStatus} is false.
     *
     * @param protocol the only TLS version to offer, checked on the session; null leaves the defaults
     */
    static byte[] handshake(EventLoopGroup group, SocketAddress server, String sni, boolean requestStatus,
                            String protocol) throws Exception {
        SslContextBuilder builder = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .trustManager(InsecureTrustManagerFactory.INSTANCE).enableOcsp(requestStatus);
        if (protocol != null) {
            builder.protocols(protocol);
        }
        SslContext ctx = builder.build();
        CompletableFuture<byte[]> staple = new CompletableFuture<>();
        Channel ch = null;
        try {
            ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel c) {
                            SslHandler ssl = ctx.newHandler(c.alloc(), sni, 443);
                            c.pipeline().addLast(ssl, new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext hctx, Object msg) {
                                    ReferenceCountUtil.release(msg);
                                    ReferenceCountedOpenSslEngine e = (ReferenceCountedOpenSslEngine) ssl.engine();
                                    if (protocol != null && !protocol.equals(e.getSession().getProtocol())) {
                                        staple.completeExceptionally(new AssertionError(e.getSession().getProtocol()));
                                    }
                                    staple.complete(requestStatus ? e.getOcspResponse() : null);
                                }

                                @Override
                                public void exceptionCaught(ChannelHandlerContext hctx, Throwable cause) {
                                    staple.completeExceptionally(cause);
                                }

                                @Override
                                public void channelInactive(ChannelHandlerContext hctx) {
                                    staple.completeExceptionally(new IllegalStateException("closed before greeting"));
                                }
                            });
                        }
                    }).connect(server).sync().channel();
            return staple.get(10, TimeUnit.SECONDS);
        } finally {
            if (ch != null) {
                ch.close().sync();
            }
            ReferenceCountUtil.release(ctx);
        }
    }
}
