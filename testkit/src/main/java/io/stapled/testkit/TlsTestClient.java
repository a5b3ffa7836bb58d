package io.stapled.testkit;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLEngine;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
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
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;

/**
 * The one in-process TLS test client (Netty, BoringSSL or the JDK). Three ways to use it:
 * <ul>
 *   <li>{@link #handshake}: one handshake, then what the server presented (certificate, staple, protocol,
 *       ALPN), for servers that send nothing first;</li>
 *   <li>{@link #connect(SslContext, String, int)}: the same, then waits for the server's one-line greeting
 *       (the TLS and metrics tests' greeter backends);</li>
 *   <li>{@link #open}: a verified HTTPS connection carrying HTTP/1.1 keep-alive requests.</li>
 * </ul>
 * One event-loop thread per client; contexts passed in are used, not released.
 */
public final class TlsTestClient implements AutoCloseable {
    private static final int TIMEOUT_SECONDS = 10;

    /** What one handshake showed; {@code greeting} is null for {@link #handshake}. */
    public record Result(X509Certificate leaf, byte[] ocspResponse, String protocol, String alpn, String greeting) {
        public String serialHex() {
            return leaf.getSerialNumber().toString(16);
        }
    }

    public record Response(int status, HttpHeaders headers, String body) { }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private SslContext askingForStaple;

    /** A client context builder that trusts any server certificate. */
    public static SslContextBuilder builder(SslProvider provider) {
        return SslContextBuilder.forClient().sslProvider(provider)
                .trustManager(io.netty.handler.ssl.util.InsecureTrustManagerFactory.INSTANCE);
    }

    /**
     * One full handshake with a fresh client and context (so no resumption), waiting for the greeting;
     * returns the staple received, or null when none came or {@code requestStatus} is false.
     *
     * @param protocol the only TLS version to offer, checked on the session; null leaves the defaults
     */
    public static byte[] fullHandshakeStaple(InetSocketAddress server, String sni, boolean requestStatus,
                                             String protocol) throws Exception {
        SslContextBuilder builder = builder(SslProvider.OPENSSL).enableOcsp(requestStatus);
        if (protocol != null) {
            builder.protocols(protocol);
        }
        SslContext ctx = builder.build();
        try (TlsTestClient client = new TlsTestClient()) {
            Result result = client.connect(ctx, sni, server.getPort());
            if (protocol != null && !protocol.equals(result.protocol())) {
                throw new AssertionError(result.protocol());
            }
            return result.ocspResponse();
        } finally {
            ReferenceCountUtil.release(ctx);
        }
    }

    /** One BoringSSL handshake asking for a staple, trusting any certificate; returns once it completes. */
    public Result handshake(int port, String sni) throws Exception {
        synchronized (this) {
            if (askingForStaple == null) {
                askingForStaple = builder(SslProvider.OPENSSL).enableOcsp(true).build();
            }
        }
        return handshake(askingForStaple, sni, port);
    }

    /** One handshake with {@code ctx}; returns once it completes. {@code sni} null sends no server name. */
    public Result handshake(SslContext ctx, String sni, int port) throws Exception {
        return exchange(ctx, sni, port, false);
    }

    /** One handshake, then the server's greeting line. {@code sni} null sends no server name. */
    public Result connect(SslContext ctx, String sni, int port) throws Exception {
        return exchange(ctx, sni, port, true);
    }

    private Result exchange(SslContext ctx, String sni, int port, boolean readGreeting) throws Exception {
        CompletableFuture<Result> result = new CompletableFuture<>();
        Channel ch = dial(ctx, sni, port, ssl -> new ChannelInboundHandlerAdapter() {
            private final StringBuilder text = new StringBuilder();

            @Override
            public void userEventTriggered(ChannelHandlerContext h, Object evt) {
                if (evt instanceof SslHandshakeCompletionEvent e) {
                    if (!e.isSuccess()) {
                        result.completeExceptionally(e.cause());
                    } else if (!readGreeting) {
                        finish(ssl, null);
                    }
                }
                h.fireUserEventTriggered(evt);
            }

            @Override
            public void channelRead(ChannelHandlerContext h, Object msg) {
                ByteBuf b = (ByteBuf) msg;
                text.append(b.toString(StandardCharsets.US_ASCII));
                b.release();
                if (readGreeting && text.toString().endsWith("\n")) {
                    finish(ssl, text.toString());
                }
            }

            @Override
            public void channelInactive(ChannelHandlerContext h) {
                result.completeExceptionally(new IllegalStateException(readGreeting
                        ? "closed before greeting" : "closed before the handshake completed"));
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext h, Throwable cause) {
                result.completeExceptionally(cause);
                h.close();
            }

            private void finish(SslHandler ssl, String greeting) {
                try {
                    SSLEngine e = ssl.engine();
                    byte[] ocsp = e instanceof ReferenceCountedOpenSslEngine o && ocspEnabled(o)
                            ? o.getOcspResponse() : null;
                    result.complete(new Result((X509Certificate) e.getSession().getPeerCertificates()[0],
                            ocsp, e.getSession().getProtocol(), ssl.applicationProtocol(), greeting));
                } catch (Exception ex) {
                    result.completeExceptionally(ex);
                }
            }
        });
        try {
            return result.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } finally {
            ch.close().sync();
        }
    }

    /**
     * Opens a BoringSSL connection verified against {@code trustedRoot}, optionally asking for a staple
     * ({@code status_request}), and completes the handshake.
     */
    public Connection open(int port, String sni, boolean requestStatus, X509Certificate trustedRoot)
            throws Exception {
        return open(port, sni, SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .trustManager(trustedRoot).enableOcsp(requestStatus).build());
    }

    /** A TLS 1.2 client offering only ECDHE-RSA suites (so it cannot take an ECDSA certificate), asking for a staple. */
    public Connection openRsaOnly(int port, String sni, X509Certificate trustedRoot) throws Exception {
        return open(port, sni, SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .trustManager(trustedRoot).enableOcsp(true).protocols("TLSv1.2")
                .ciphers(List.of("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")).build());
    }

    private Connection open(int port, String sni, SslContext ctx) throws Exception {
        BlockingQueue<Object> responses = new LinkedBlockingQueue<>();
        Channel ch = dial(ctx, sni, port, ssl -> new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel c) {
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
        });
        SslHandler ssl = ch.pipeline().get(SslHandler.class);
        if (!ssl.handshakeFuture().await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            ch.close();
            throw new AssertionError("handshake did not finish in " + TIMEOUT_SECONDS + " s");
        }
        if (!ssl.handshakeFuture().isSuccess()) {
            ch.close();
            throw new AssertionError("handshake failed", ssl.handshakeFuture().cause());
        }
        return new Connection(ch, ssl, sni, responses);
    }

    private interface AfterTls {
        ChannelHandler handler(SslHandler ssl);
    }

    private Channel dial(SslContext ctx, String sni, int port, AfterTls after) throws InterruptedException {
        return new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                        SSLEngine engine = sni == null ? ctx.newEngine(c.alloc()) : ctx.newEngine(c.alloc(), sni, port);
                        SslHandler ssl = new SslHandler(engine);
                        c.pipeline().addLast(ssl, after.handler(ssl));
                    }
                })
                .connect("127.0.0.1", port).sync().channel();
    }

    private static boolean ocspEnabled(ReferenceCountedOpenSslEngine e) {
        try {
            e.getOcspResponse();
            return true;
        } catch (IllegalStateException notEnabled) {
            return false;
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (askingForStaple != null) {
                ReferenceCountUtil.release(askingForStaple);
            }
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** One open HTTPS connection. */
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
            Object r = responses.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (r instanceof Throwable t) {
                throw new AssertionError("request failed", t);
            }
            if (r == null) {
                throw new AssertionError("no response to GET " + path + " in " + TIMEOUT_SECONDS + " s");
            }
            return (Response) r;
        }

        @Override
        public void close() {
            channel.close().syncUninterruptibly();
        }
    }
}
