package io.stapled.testing;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;

/**
 * A real HTTPS client for end-to-end tests: BoringSSL, SNI, optionally asking for a staple
 * ({@code status_request}), verifying the server against the test root, then HTTP/1.1 keep-alive
 * requests on the one connection.
 */
public final class HttpsTestClient implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    public record Response(int status, HttpHeaders headers, String body) { }

    /** Opens a TLS connection and completes the handshake. */
    public Connection connect(int port, String sni, boolean requestStatus, X509Certificate trustedRoot)
            throws Exception {
        return connect(port, sni, SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .trustManager(trustedRoot).enableOcsp(requestStatus).build());
    }

    /** A TLS 1.2 client offering only ECDHE-RSA suites (so it cannot take an ECDSA certificate), asking for a staple. */
    public Connection connectRsaOnly(int port, String sni, X509Certificate trustedRoot) throws Exception {
        return connect(port, sni, SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .trustManager(trustedRoot).enableOcsp(true).protocols("TLSv1.2")
                .ciphers(java.util.List.of("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")).build());
    }

    private Connection connect(int port, String sni, SslContext ctx) throws Exception {
        BlockingQueue<Object> responses = new LinkedBlockingQueue<>();
        Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                        c.pipeline().addLast("ssl", new SslHandler(ctx.newEngine(c.alloc(), sni, port)));
                        c.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20),
                                new SimpleChannelInboundHandler<FullHttpResponse>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext h, FullHttpResponse r) {
                                        responses.add(new Response(r.status().code(), r.headers().copy(),
                                                r.content().toString(StandardCharsets.UTF_8)));
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext h, Throwable cause) {
                                        responses.add(cause);
                                        h.close();
                                    }
                                });
                    }
                })
                .connect("127.0.0.1", port).sync().channel();
        SslHandler ssl = (SslHandler) ch.pipeline().get("ssl");
        if (!ssl.handshakeFuture().await(10, TimeUnit.SECONDS)) {
            ch.close();
            throw new AssertionError("handshake did not finish in 10 s");
        }
        if (!ssl.handshakeFuture().isSuccess()) {
            ch.close();
            throw new AssertionError("handshake failed", ssl.handshakeFuture().cause());
        }
        return new Connection(ch, ssl, sni, responses);
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** One open TLS connection. */
    public static final class Connection implements AutoCloseable {
        private final Channel channel;
        private final SslHandler ssl;
        private final String host;
        private final BlockingQueue<Object> responses;

        private Connection(Channel channel, SslHandler ssl, String host, BlockingQueue<Object> responses) {
            this.channel = channel;
            this.ssl = ssl;
            this.host = host;
            this.responses = responses;
        }

        public X509Certificate peerLeaf() throws Exception {
            return (X509Certificate) ssl.engine().getSession().getPeerCertificates()[0];
        }

        /** The stapled OCSP response, or null when the server sent none. */
        public byte[] ocspResponse() {
            byte[] r = ((ReferenceCountedOpenSslEngine) ssl.engine()).getOcspResponse();
            return r == null || r.length == 0 ? null : r;
        }

        public String protocol() {
            return ssl.engine().getSession().getProtocol();
        }

        public boolean isOpen() {
            return channel.isActive();
        }

        public Response get(String path) throws Exception {
            DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
            req.headers().set(HttpHeaderNames.HOST, host);
            channel.writeAndFlush(req);
            Object r = responses.poll(10, TimeUnit.SECONDS);
            if (r instanceof Throwable t) {
                throw new AssertionError("request failed", t);
            }
            if (r == null) {
                throw new AssertionError("no response to GET " + path + " in 10 s");
            }
            return (Response) r;
        }

        @Override
        public void close() {
            channel.close().syncUninterruptibly();
        }
    }
}
