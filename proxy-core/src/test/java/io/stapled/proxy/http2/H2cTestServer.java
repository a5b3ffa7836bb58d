package io.stapled.proxy.http2;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
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
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * A cleartext HTTP/2 server (h2c with prior knowledge, Netty's codec) behind the {@code proto: h2}
 * tests. It counts the connections it accepted and has open, records every request it read to its end
 * (pseudo-headers, fields, body, trailers) and every stream the proxy reset, and answers:
 * <ul>
 * <li>{@code /stall...}: nothing until {@link #release()};</li>
 * <li>{@code /end-on-headers}: a 404 on one HEADERS frame with END_STREAM;</li>
 * <li>{@code /big/N}: N bytes of {@code x}, written as the stream's window allows;</li>
 * <li>{@code /goaway...}: the echo, then GOAWAY(NO_ERROR) on the connection;</li>
 * <li>{@code /crlf-header}, {@code /upper-header}: a 200 whose header has a CR LF in its value, or an
 * uppercase name (what an HTTP/2 response must not have);</li>
 * <li>{@code /trailers...}: the echo below, then trailers {@code x-result: done};</li>
 * <li>anything else: 200 with the request echoed, one {@code name: value} a line.</li>
 * </ul>
 */
final class H2cTestServer implements AutoCloseable {
    /**
     * A request read to its END_STREAM: on which connection ({@code connection}, the channel's id), and
     * whether the END_STREAM came on a DATA frame rather than the HEADERS.
     */
    record Received(Http2Headers headers, String body, Http2Headers trailers, String connection, boolean endedOnData) {
        String header(String name) {
            CharSequence v = headers.get(name);
            return v == null ? null : v.toString();
        }

        String path() {
            return header(":path");
        }
    }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private final java.util.Set<String> closed = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final List<Long> resets = new CopyOnWriteArrayList<>();
    private final AtomicInteger stalled = new AtomicInteger();
    private final List<Runnable> stalledAnswers = new CopyOnWriteArrayList<>();

    /** SNI names of the TLS handshakes ("" for none), and the ALPN protocols they selected ("" for none). */
    private final List<String> serverNames = new CopyOnWriteArrayList<>();
    private final List<String> selectedAlpn = new CopyOnWriteArrayList<>();
    private final AtomicInteger resumed = new AtomicInteger();

    /** A server allowing {@code maxConcurrentStreams} streams per connection. */
    H2cTestServer(long maxConcurrentStreams) {
        this(maxConcurrentStreams, null);
    }

    /**
     * As {@link #H2cTestServer(long)}, over TLS with {@code tls} when it is not null (h2 rather than
     * h2c: the context should offer ALPN h2), recording each handshake's SNI and selected ALPN.
     */
    H2cTestServer(long maxConcurrentStreams, SslContext tls) {
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted.incrementAndGet();
                        open.incrementAndGet();
                        ch.closeFuture().addListener(f -> {
                            closed.add(ch.id().asShortText());
                            open.decrementAndGet();
                        });
                        if (tls != null) {
                            ch.pipeline().addLast(new SniHandler(name -> {
                                serverNames.add(name == null ? "" : name);
                                return tls;
                            }));
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                    if (evt instanceof SslHandshakeCompletionEvent e && e.isSuccess()) {
                                        String p = ctx.pipeline().get(SslHandler.class).applicationProtocol();
                                        selectedAlpn.add(p == null ? "" : p);
                                        // Only now: the server's SETTINGS written before the SniHandler has
                                        // become an SslHandler would go out in the clear.
                                        addHttp2(ctx.channel(), maxConcurrentStreams);
                                        if (io.stapled.tls.TlsAttributes.sessionReused(
                                                ctx.pipeline().get(SslHandler.class).engine())) {
                                            resumed.incrementAndGet();
                                        }
                                    }
                                    ctx.fireUserEventTriggered(evt);
                                }
                            });
                        } else {
                            addHttp2(ch, maxConcurrentStreams);
                        }
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
    }

    private void addHttp2(Channel ch, long maxConcurrentStreams) {
        ch.pipeline().addLast(Http2FrameCodecBuilder.forServer()
                .initialSettings(Http2Settings.defaultSettings().maxConcurrentStreams(maxConcurrentStreams))
                .build());
        ch.pipeline().addLast(new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                stream.pipeline().addLast(new StreamHandler());
            }
        }));
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    List<String> serverNames() {
        return serverNames;
    }

    List<String> selectedAlpn() {
        return selectedAlpn;
    }

    /** TLS handshakes that resumed a session. */
    int resumed() {
        return resumed.get();
    }

    /** Connections accepted since the start. */
    int accepted() {
        return accepted.get();
    }

    /** Connections open now. */
    int open() {
        return open.get();
    }

    /** Whether the connection with this id (a {@link Received#connection()}) has closed. */
    boolean isClosed(String connection) {
        return closed.contains(connection);
    }

    List<Received> received() {
        return received;
    }

    /** Error codes of the RST_STREAM frames the proxy sent. */
    List<Long> resets() {
        return resets;
    }

    int stalledCount() {
        return stalled.get();
    }

    /** Answers the stalled requests (200 with their echo). */
    void release() {
        for (Runnable r : stalledAnswers) {
            r.run();
        }
        stalledAnswers.clear();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class StreamHandler extends ChannelInboundHandlerAdapter {
        private Http2Headers head;
        private final StringBuilder body = new StringBuilder();
        /** What is left of a /big response. */
        private long bigLeft;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof Http2HeadersFrame h) {
                    if (head == null) {
                        head = h.headers();
                        if (h.isEndStream()) {
                            answer(ctx, null, false);
                        }
                    } else {
                        answer(ctx, h.headers(), false);
                    }
                } else if (msg instanceof Http2DataFrame d) {
                    body.append(d.content().toString(StandardCharsets.UTF_8));
                    if (d.isEndStream()) {
                        answer(ctx, null, true);
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            writeBig(ctx);
            ctx.fireChannelWritabilityChanged();
        }

        private void writeBig(ChannelHandlerContext ctx) {
            while (bigLeft > 0 && ctx.channel().isWritable()) {
                int n = (int) Math.min(16 * 1024, bigLeft);
                bigLeft -= n;
                byte[] chunk = new byte[n];
                java.util.Arrays.fill(chunk, (byte) 'x');
                ctx.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(chunk), bigLeft == 0));
            }
            ctx.flush();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof Http2ResetFrame reset) {
                resets.add(reset.errorCode());
            }
            ReferenceCountUtil.release(evt);
        }

        private void answer(ChannelHandlerContext ctx, Http2Headers trailers, boolean onData) {
            received.add(new Received(head, body.toString(), trailers, ctx.channel().parent().id().asShortText(),
                    onData));
            String path = String.valueOf(head.path());
            if (path.startsWith("/stall")) {
                stalled.incrementAndGet();
                stalledAnswers.add(() -> ctx.executor().execute(() -> respond(ctx, path, trailers)));
                return;
            }
            respond(ctx, path, trailers);
        }

        private void respond(ChannelHandlerContext ctx, String path, Http2Headers trailers) {
            if (!ctx.channel().isActive()) {
                return;
            }
            if (path.startsWith("/big/")) {
                bigLeft = Long.parseLong(path.substring("/big/".length()));
                ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")
                        .add("content-length", Long.toString(bigLeft)), false));
                writeBig(ctx);
                return;
            }
            if (path.startsWith("/crlf-header") || path.startsWith("/upper-header")) {
                Http2Headers bad = new DefaultHttp2Headers(false).status("200");
                if (path.startsWith("/crlf-header")) {
                    bad.add("x-split", "a\r\nset-cookie: evil=1");
                } else {
                    bad.add("X-Upper", "1");
                }
                ctx.writeAndFlush(new DefaultHttp2HeadersFrame(bad, true));
                return;
            }
            if (path.startsWith("/end-on-headers")) {
                ctx.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("404")
                        .add("x-why", "nothing here"), true));
                return;
            }
            StringBuilder echo = new StringBuilder();
            for (Map.Entry<CharSequence, CharSequence> e : head) {
                echo.append(e.getKey()).append(": ").append(e.getValue()).append('\n');
            }
            echo.append("body: ").append(body).append('\n');
            if (trailers != null) {
                for (Map.Entry<CharSequence, CharSequence> e : trailers) {
                    echo.append("trailer ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
                }
            }
            ByteBuf content = Unpooled.copiedBuffer(echo, StandardCharsets.UTF_8);
            boolean withTrailers = path.startsWith("/trailers");
            ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")
                    .add("content-type", "text/plain"), false));
            ctx.write(new DefaultHttp2DataFrame(content, !withTrailers));
            if (withTrailers) {
                ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().add("x-result", "done"), true));
            }
            ctx.flush();
            if (path.startsWith("/goaway")) {
                ctx.channel().parent().writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
            }
        }
    }
}
