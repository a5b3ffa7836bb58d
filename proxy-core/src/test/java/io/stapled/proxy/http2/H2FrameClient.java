package io.stapled.proxy.http2;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Flags;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;

/**
 * A raw HTTP/2 client for tests: it writes frames exactly as told (no validation, so malformed requests
 * and floods can be sent) with Netty's frame writer, and records every frame the server sends with
 * Netty's frame reader. SETTINGS and PING are acknowledged; nothing else is done on its own.
 */
final class H2FrameClient implements AutoCloseable {
    /** One frame from the server. */
    record Frame(String type, int streamId, boolean endStream, Http2Headers headers, String data, long errorCode,
                 int lastStreamId) {
        String status() {
            return headers == null || headers.status() == null ? null : headers.status().toString();
        }
    }

    private static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    private final LinkedBlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
    private final List<Frame> seen = new ArrayList<>();
    private final DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
    private final CompletableFuture<String> protocol = new CompletableFuture<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final AtomicLong pingAcks = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final Channel channel;
    private final Http2Settings settings;
    private volatile ChannelHandlerContext ctx;

    private H2FrameClient(int port, String sni, Http2Settings settings, int receiveBuffer) throws Exception {
        this.settings = settings;
        SslContext ssl = SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE)
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_2))
                .build();
        Bootstrap bootstrap = new Bootstrap().group(GROUP).channel(NioSocketChannel.class);
        if (receiveBuffer > 0) {
            // Before connect, so that the TCP window the server sees stays this small.
            bootstrap.option(ChannelOption.SO_RCVBUF, receiveBuffer);
        }
        channel = bootstrap
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
                            @Override
                            public void write(ChannelHandlerContext c, Object msg, ChannelPromise promise) {
                                if (msg instanceof ByteBuf b) {
                                    written.addAndGet(b.readableBytes());
                                }
                                c.write(msg, promise);
                            }
                        });
                        ch.pipeline().addLast(ssl.newHandler(ch.alloc(), sni, port));
                        ch.pipeline().addLast(new Reader());
                    }
                }).connect("127.0.0.1", port).sync().channel();
        String p = protocol.get(10, TimeUnit.SECONDS);
        if (!ApplicationProtocolNames.HTTP_2.equals(p)) {
            throw new IllegalStateException("ALPN selected " + p);
        }
    }

    /** Connects; the preface and an empty SETTINGS frame go out as soon as the handshake is done. */
    static H2FrameClient connect(int port, String sni) throws Exception {
        return new H2FrameClient(port, sni, new Http2Settings(), 0);
    }

    /**
     * Connects with {@code settings} as the client's SETTINGS (an initial window of 0: the server may
     * send no DATA at all) and, if positive, a socket receive buffer of {@code receiveBuffer} bytes (a
     * client that then stops reading stops the server's writes soon).
     */
    static H2FrameClient connect(int port, String sni, Http2Settings settings, int receiveBuffer) throws Exception {
        return new H2FrameClient(port, sni, settings, receiveBuffer);
    }

    static Http2Headers get(String path) {
        return request("GET", path);
    }

    /** Request pseudo-headers for {@code a.test}, without validation: add what the test needs. */
    static Http2Headers request(String method, String path) {
        Http2Headers h = new DefaultHttp2Headers(false);
        h.method(method).scheme("https").authority("a.test").path(path);
        return h;
    }

    void headers(int streamId, Http2Headers headers, boolean endStream) {
        run(ctx -> writer.writeHeaders(ctx, streamId, headers, 0, endStream, ctx.newPromise()));
    }

    void data(int streamId, String body, boolean endStream) {
        run(ctx -> writer.writeData(ctx, streamId, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8), 0,
                endStream, ctx.newPromise()));
    }

    /** {@code length} bytes of 'x' as one DATA frame. */
    void data(int streamId, int length, boolean endStream) {
        run(ctx -> {
            ByteBuf buf = ctx.alloc().buffer(length);
            buf.writeBytes(new byte[length]);
            writer.writeData(ctx, streamId, buf, 0, endStream, ctx.newPromise());
        });
    }

    void reset(int streamId, long errorCode) {
        run(ctx -> writer.writeRstStream(ctx, streamId, errorCode, ctx.newPromise()));
    }

    /** Any frame, as given: a CONTINUATION, a HEADERS frame with a hand-made HPACK block, a PRIORITY. */
    void frame(byte type, int streamId, Http2Flags flags, byte[] payload) {
        run(ctx -> writer.writeFrame(ctx, type, streamId, flags, Unpooled.wrappedBuffer(payload), ctx.newPromise()));
    }

    void ping(long data) {
        run(ctx -> writer.writePing(ctx, false, data, ctx.newPromise()));
    }

    void settings(Http2Settings s) {
        run(ctx -> writer.writeSettings(ctx, s, ctx.newPromise()));
    }

    void windowUpdate(int streamId, int increment) {
        run(ctx -> writer.writeWindowUpdate(ctx, streamId, increment, ctx.newPromise()));
    }

    void priority(int streamId, int dependency, short weight, boolean exclusive) {
        run(ctx -> writer.writePriority(ctx, streamId, dependency, weight, exclusive, ctx.newPromise()));
    }

    /**
     * Stops reading from the socket: what the server sends stays in its buffers and then in its
     * outbound queue. The client notices the close only when a write fails.
     */
    void stopReading() {
        channel.eventLoop().submit(() -> channel.config().setAutoRead(false)).syncUninterruptibly();
    }

    void resumeReading() {
        channel.eventLoop().submit(() -> channel.config().setAutoRead(true)).syncUninterruptibly();
    }

    /** PING acknowledgements read so far. */
    long pingAcks() {
        return pingAcks.get();
    }

    /** Bytes written to the socket so far. */
    long bytesWritten() {
        return written.get();
    }

    void flush() {
        run(ChannelHandlerContext::flush);
    }

    /** Writes and flushes in one event-loop task, so that the frames leave together. */
    void batch(Runnable writes) {
        channel.eventLoop().submit(() -> {
            writes.run();
            ctx.flush();
        }).syncUninterruptibly();
    }

    /**
     * Like {@link #batch}, then waits (at most 10 s) until the frames have left for the socket, so that
     * a flood is not queued in the client's own memory. Returns early if the connection closed.
     */
    void batchAndWait(Runnable writes) {
        io.netty.channel.ChannelFuture last = channel.eventLoop().submit(() -> {
            writes.run();
            return ctx.writeAndFlush(Unpooled.EMPTY_BUFFER);
        }).syncUninterruptibly().getNow();
        last.awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    private interface Op {
        void apply(ChannelHandlerContext ctx) throws Exception;
    }

    private void run(Op op) {
        if (channel.eventLoop().inEventLoop()) {
            try {
                op.apply(ctx);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return;
        }
        channel.eventLoop().submit(() -> {
            op.apply(ctx);
            ctx.flush();
            return null;
        }).syncUninterruptibly();
    }

    /** The next frame (skipped ones are kept in {@link #seen}) matching {@code what}, or an error after {@code timeout}. */
    Frame await(Duration timeout, String description, Predicate<Frame> what) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (seen) {
            for (Frame f : seen) {
                if (what.test(f)) {
                    seen.remove(f);
                    return f;
                }
            }
        }
        while (true) {
            long left = end - System.nanoTime();
            Frame f = left <= 0 ? null : frames.poll(left, TimeUnit.NANOSECONDS);
            if (f == null) {
                throw new AssertionError("no " + description + " within " + timeout + "; frames seen: " + seen);
            }
            if (what.test(f)) {
                return f;
            }
            synchronized (seen) {
                seen.add(f);
            }
        }
    }

    /** Like {@link #await}, but null after {@code timeout}. */
    Frame poll(Duration timeout, Predicate<Frame> what) throws InterruptedException {
        try {
            return await(timeout, "", what);
        } catch (AssertionError none) {
            return null;
        }
    }

    /** The response HEADERS on {@code streamId}. */
    Frame awaitHeaders(int streamId) throws InterruptedException {
        return await(Duration.ofSeconds(10), "HEADERS on stream " + streamId,
                f -> f.type.equals("HEADERS") && f.streamId == streamId);
    }

    /** The response body on {@code streamId}, read to its END_STREAM. */
    String awaitBody(int streamId) throws InterruptedException {
        StringBuilder body = new StringBuilder();
        while (true) {
            Frame f = await(Duration.ofSeconds(10), "DATA on stream " + streamId,
                    x -> (x.type.equals("DATA") || x.type.equals("HEADERS") && x.endStream) && x.streamId == streamId);
            if (f.data != null) {
                body.append(f.data);
            }
            if (f.endStream) {
                return body.toString();
            }
        }
    }

    Frame awaitReset(int streamId) throws InterruptedException {
        return await(Duration.ofSeconds(10), "RST_STREAM on stream " + streamId,
                f -> f.type.equals("RST_STREAM") && f.streamId == streamId);
    }

    Frame awaitGoAway() throws InterruptedException {
        return await(Duration.ofSeconds(10), "GOAWAY", f -> f.type.equals("GOAWAY"));
    }

    boolean awaitClosed(Duration timeout) {
        try {
            closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    boolean isOpen() {
        return channel.isActive();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }

    private final class Reader extends ByteToMessageDecoder {
        private final DefaultHttp2FrameReader reader = new DefaultHttp2FrameReader(new DefaultHttp2HeadersDecoder(false));
        private final Http2FrameAdapter listener = new Http2FrameAdapter() {
            @Override
            public int onDataRead(ChannelHandlerContext c, int streamId, ByteBuf data, int padding, boolean endOfStream) {
                int n = data.readableBytes() + padding;
                frames.add(new Frame("DATA", streamId, endOfStream, null, data.toString(StandardCharsets.UTF_8), 0, 0));
                if (n > 0) {
                    // Keep the windows open: the tests are about the server's reading, not ours.
                    writer.writeWindowUpdate(c, 0, n, c.newPromise());
                    writer.writeWindowUpdate(c, streamId, n, c.newPromise());
                    c.flush();
                }
                return n;
            }

            @Override
            public void onHeadersRead(ChannelHandlerContext c, int streamId, Http2Headers headers, int padding,
                                      boolean endStream) {
                frames.add(new Frame("HEADERS", streamId, endStream, headers, null, 0, 0));
            }

            @Override
            public void onHeadersRead(ChannelHandlerContext c, int streamId, Http2Headers headers, int streamDependency,
                                      short weight, boolean exclusive, int padding, boolean endStream) {
                onHeadersRead(c, streamId, headers, padding, endStream);
            }

            @Override
            public void onRstStreamRead(ChannelHandlerContext c, int streamId, long errorCode) {
                frames.add(new Frame("RST_STREAM", streamId, false, null, null, errorCode, 0));
            }

            @Override
            public void onSettingsRead(ChannelHandlerContext c, Http2Settings settings) {
                frames.add(new Frame("SETTINGS", 0, false, null, settings.toString(), 0, 0));
                writer.writeSettingsAck(c, c.newPromise());
                c.flush();
            }

            @Override
            public void onPingRead(ChannelHandlerContext c, long data) {
                writer.writePing(c, true, data, c.newPromise());
                c.flush();
            }

            @Override
            public void onPingAckRead(ChannelHandlerContext c, long data) {
                pingAcks.incrementAndGet();
            }

            @Override
            public void onGoAwayRead(ChannelHandlerContext c, int lastStreamId, long errorCode, ByteBuf debugData) {
                frames.add(new Frame("GOAWAY", 0, false, null, debugData.toString(StandardCharsets.UTF_8), errorCode,
                        lastStreamId));
            }

            @Override
            public void onWindowUpdateRead(ChannelHandlerContext c, int streamId, int windowSizeIncrement) {
                frames.add(new Frame("WINDOW_UPDATE", streamId, false, null, null, windowSizeIncrement, 0));
            }
        };

        @Override
        public void userEventTriggered(ChannelHandlerContext c, Object evt) throws Exception {
            if (evt instanceof SslHandshakeCompletionEvent done) {
                ctx = c;
                if (done.isSuccess()) {
                    // Before the server's SETTINGS can be read and acknowledged: the preface comes first.
                    c.write(Unpooled.wrappedBuffer(Http2CodecUtil.connectionPrefaceBuf()));
                    writer.writeSettings(c, settings, c.newPromise());
                    c.flush();
                    String p = c.pipeline().get(SslHandler.class).applicationProtocol();
                    protocol.complete(p == null ? "" : p);
                } else {
                    protocol.completeExceptionally(done.cause());
                }
            }
            super.userEventTriggered(c, evt);
        }

        @Override
        protected void decode(ChannelHandlerContext c, ByteBuf in, List<Object> out) throws Http2Exception {
            reader.readFrame(c, in, listener);
        }

        @Override
        public void channelInactive(ChannelHandlerContext c) throws Exception {
            closed.complete(null);
            super.channelInactive(c);
        }
    }
}
