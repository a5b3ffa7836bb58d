package io.stapled.testing;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLPeerUnverifiedException;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.tls.TlsAttributes;

/**
 * A real HTTPS backend on 127.0.0.1:0 (Netty with BoringSSL) that records what each TLS client did:
 * the SNI it sent, whether it resumed a session, the client certificate it presented. Each request gets
 * 200 {@code tls-backend} (or, at {@code /who}, the client certificate's subject).
 */
public final class TlsBackend implements AutoCloseable {
    /** SNI names received, "" for a ClientHello without one. */
    public final Queue<String> serverNames = new ConcurrentLinkedQueue<>();
    /** Subjects of the client certificates of completed handshakes. */
    public final Queue<String> clientSubjects = new ConcurrentLinkedQueue<>();
    public final AtomicInteger handshakes = new AtomicInteger();
    public final AtomicInteger resumed = new AtomicInteger();
    public final AtomicInteger failedHandshakes = new AtomicInteger();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final SslContext context;
    private final Channel server;

    /**
     * @param certificate served, with its chain
     * @param clientCa    when not null, a client certificate issued by it is required
     */
    public TlsBackend(IssuedCertificate certificate, X509Certificate clientCa) throws Exception {
        List<X509Certificate> chain = certificate.chain();
        SslContextBuilder b = SslContextBuilder.forServer(certificate.keyPair().getPrivate(),
                chain.toArray(X509Certificate[]::new)).sslProvider(SslProvider.OPENSSL);
        if (clientCa != null) {
            b.trustManager(clientCa).clientAuth(ClientAuth.REQUIRE);
        }
        context = b.build();
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new SniHandler(name -> {
                            serverNames.add(name == null ? "" : name);
                            return context;
                        }));
                        ch.pipeline().addLast(new HttpServerCodec(), new Handler());
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    public int port() {
        return ((java.net.InetSocketAddress) server.localAddress()).getPort();
    }

    private final class Handler extends ChannelInboundHandlerAdapter {
        private String subject = "";

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent e) {
                if (!e.isSuccess()) {
                    failedHandshakes.incrementAndGet();
                } else {
                    handshakes.incrementAndGet();
                    SslHandler ssl = ctx.pipeline().get(SslHandler.class);
                    if (TlsAttributes.sessionReused(ssl.engine())) {
                        resumed.incrementAndGet();
                    }
                    try {
                        subject = ((X509Certificate) ssl.engine().getSession().getPeerCertificates()[0])
                                .getSubjectX500Principal().getName();
                        clientSubjects.add(subject);
                    } catch (SSLPeerUnverifiedException none) {
                        // no client certificate
                    }
                }
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest req) {
                    String body = req.uri().equals("/who") ? subject : "tls-backend";
                    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                            Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
                    res.headers().set(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
                    ctx.writeAndFlush(res);
                } else if (msg instanceof LastHttpContent) {
                    // the request has ended; the response went out with its head
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        ReferenceCountUtil.release(context);
    }
}
