package io.stapled.proxy.http;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
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
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;

/**
 * A real HTTP/1.1 server on 127.0.0.1:0 (Netty, no aggregation) whose behaviour is chosen by path:
 * <ul>
 *   <li>{@code /hello} (and anything else): 200 with a small fixed-length body, after the request ends</li>
 *   <li>{@code /echo}: 200 chunked, each request chunk written back as it arrives</li>
 *   <li>{@code /count}: counts request body bytes, answers the count; sends 100 first on Expect</li>
 *   <li>{@code /pause}: as {@code /count}, but reads nothing for the first 2.5 seconds</li>
 *   <li>{@code /chunks}: 200 chunked response of three chunks and a trailer</li>
 *   <li>{@code /big?n=BYTES}: streams that many bytes, writing only while the connection is writable</li>
 *   <li>{@code /until-close}: HTTP/1.0 style body delimited by closing the connection</li>
 *   <li>{@code /silent}: never answers; {@code /drop}: closes without answering;
 *       {@code /garbage}: answers bytes that are not HTTP; {@code /reject}: answers 417 at once;
 *       {@code /drop-if-reused}: closes without answering on a connection that already answered;
 *       {@code /truncated}: announces 100 bytes, sends 10 and closes; {@code /stall-mid}: sends 10 of 100
 *       and goes silent</li>
 *   <li>{@code /ws}: an {@code Upgrade} request gets 101, then every byte is echoed raw</li>
 * </ul>
 */
final class TestBackend implements AutoCloseable {
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger requests = new AtomicInteger();
    final BlockingQueue<HttpRequest> received = new LinkedBlockingQueue<>();
    /** The trailer section of each request that ended with one, in arrival order. */
    final BlockingQueue<HttpHeaders> receivedTrailers = new LinkedBlockingQueue<>();
    /** Counted down when {@code /count} receives its first body byte. */
    volatile CountDownLatch firstBodyByte = new CountDownLatch(1);
    /** Response body bytes {@code /big} has handed to its socket so far. */
    final java.util.concurrent.atomic.AtomicLong bigWritten = new java.util.concurrent.atomic.AtomicLong();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;

    TestBackend() throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.incrementAndGet();
                        ch.pipeline().addLast("http", new HttpServerCodec());
                        ch.pipeline().addLast("app", new Handler(connections.get()));
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** The next request the backend saw, headers included. */
    HttpRequest nextRequest() throws InterruptedException {
        HttpRequest r = received.poll(5, java.util.concurrent.TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError("backend received no request");
        }
        return r;
    }

    @Override
    public void close() throws InterruptedException {
        server.close().sync();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
    }

    private final class Handler extends ChannelInboundHandlerAdapter {
        private final int connectionId;
        private String path = "";
        private HttpRequest current;
        private long count;
        private boolean keepAlive;
        private int answered;

        Handler(int connectionId) {
            this.connectionId = connectionId;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest req) {
                    onRequest(ctx, req);
                }
                if (msg instanceof HttpContent content) {
                    onContent(ctx, content);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void onRequest(ChannelHandlerContext ctx, HttpRequest req) {
            requests.incrementAndGet();
            HttpHeaders copy = new DefaultHttpHeaders().add(req.headers());
            current = new io.netty.handler.codec.http.DefaultHttpRequest(req.protocolVersion(), req.method(),
                    req.uri(), copy);
            received.add(current);
            keepAlive = HttpUtil.isKeepAlive(req);
            path = new QueryStringDecoder(req.uri()).path();
            count = 0;
            switch (path) {
                case "/echo" -> {
                    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    HttpUtil.setTransferEncodingChunked(head, true);
                    ctx.writeAndFlush(head);
                }
                case "/count" -> {
                    if (HttpUtil.is100ContinueExpected(req)) {
                        ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                HttpResponseStatus.CONTINUE));
                    }
                }
                case "/reject" -> {
                    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                            HttpResponseStatus.EXPECTATION_FAILED);
                    r.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
                    ctx.writeAndFlush(r);
                }
                case "/drop" -> ctx.close();
                case "/pause" -> {
                    // Reads nothing for a second, as a busy server would: the upload must wait.
                    ctx.channel().config().setAutoRead(false);
                    ctx.executor().schedule(() -> ctx.channel().config().setAutoRead(true), 2500,
                            java.util.concurrent.TimeUnit.MILLISECONDS);
                }
                case "/drop-if-reused" -> {
                    if (answered > 0) {
                        ctx.close(); // as a server whose keep-alive timeout just expired
                    }
                }
                case "/garbage" -> ctx.pipeline().firstContext().writeAndFlush(
                        Unpooled.copiedBuffer("SSH-2.0-nonsense\r\n\r\n", StandardCharsets.US_ASCII))
                        .addListener(ChannelFutureListener.CLOSE);
                case "/ws" -> {
                    HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                            HttpResponseStatus.SWITCHING_PROTOCOLS);
                    r.headers().set(HttpHeaderNames.UPGRADE, req.headers().get(HttpHeaderNames.UPGRADE))
                            .set(HttpHeaderNames.CONNECTION, "Upgrade");
                    ctx.write(r);
                    ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                    ctx.pipeline().addLast(new RawEcho());
                    ctx.pipeline().remove("app");
                    ctx.pipeline().remove("http");
                }
                default -> {
                }
            }
        }

        private void onContent(ChannelHandlerContext ctx, HttpContent content) {
            if (content instanceof io.netty.handler.codec.http.LastHttpContent last
                    && !last.trailingHeaders().isEmpty()) {
                receivedTrailers.add(new DefaultHttpHeaders().add(last.trailingHeaders()));
            }
            int n = content.content().readableBytes();
            count += n;
            boolean last = content instanceof LastHttpContent;
            switch (path) {
                case "/echo" -> {
                    if (n > 0) {
                        ctx.write(new DefaultHttpContent(content.content().retainedSlice()));
                    }
                    if (last) {
                        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(closeUnlessKeepAlive());
                    } else {
                        ctx.flush();
                    }
                }
                case "/count", "/pause" -> {
                    if (n > 0) {
                        firstBodyByte.countDown();
                    }
                    if (last) {
                        respond(ctx, HttpResponseStatus.OK, Long.toString(count));
                    }
                }
                case "/chunks" -> {
                    if (last) {
                        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                        HttpUtil.setTransferEncodingChunked(head, true);
                        head.headers().set(HttpHeaderNames.TRAILER, "x-checksum");
                        ctx.write(head);
                        for (String part : new String[] {"alpha-", "beta-", "gamma"}) {
                            ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer(part, StandardCharsets.US_ASCII)));
                        }
                        LastHttpContent end = new DefaultLastHttpContent();
                        end.trailingHeaders().set("x-checksum", "abc");
                        ctx.writeAndFlush(end).addListener(closeUnlessKeepAlive());
                    }
                }
                case "/big" -> {
                    if (last) {
                        long total = Long.parseLong(new QueryStringDecoder(current.uri()).parameters()
                                .get("n").get(0));
                        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                        HttpUtil.setContentLength(head, total);
                        ctx.writeAndFlush(head);
                        new BigWriter(ctx, total).run();
                    }
                }
                case "/truncated", "/stall-mid" -> {
                    if (last) {
                        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                        HttpUtil.setContentLength(head, 100);
                        ctx.write(head);
                        var flushed = ctx.writeAndFlush(new DefaultHttpContent(
                                Unpooled.copiedBuffer("0123456789", StandardCharsets.US_ASCII)));
                        if (path.equals("/truncated")) {
                            flushed.addListener(ChannelFutureListener.CLOSE);
                        }
                    }
                }
                case "/until-close" -> {
                    if (last) {
                        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_0, HttpResponseStatus.OK);
                        ctx.write(head);
                        ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer("until-close-body",
                                StandardCharsets.US_ASCII)));
                        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
                    }
                }
                case "/echo-", "/silent", "/drop", "/garbage", "/reject", "/ws" -> {
                }
                default -> {
                    if (last) {
                        respond(ctx, HttpResponseStatus.OK, "hello from connection " + connectionId);
                    }
                }
            }
        }

        private void respond(ChannelHandlerContext ctx, HttpResponseStatus status, String body) {
            answered++;
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            r.headers().set(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes())
                    .set("x-backend-connection", connectionId)
                    .set("x-backend-port", port())
                    .set(HttpHeaderNames.CONNECTION, "x-hop-response")
                    .set("x-hop-response", "should be removed")
                    .set(HttpHeaderNames.KEEP_ALIVE, "timeout=5");
            ctx.writeAndFlush(r).addListener(closeUnlessKeepAlive());
        }

        private ChannelFutureListener closeUnlessKeepAlive() {
            boolean keep = keepAlive;
            return f -> {
                if (!keep) {
                    f.channel().close();
                }
            };
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Writes a large body in 64 KiB slices, pausing whenever the socket buffer is full. */
    private final class BigWriter implements Runnable {
        private static final byte[] SLICE = new byte[64 * 1024];
        private final ChannelHandlerContext ctx;
        private long remaining;

        BigWriter(ChannelHandlerContext ctx, long total) {
            this.ctx = ctx;
            this.remaining = total;
        }

        @Override
        public void run() {
            while (remaining > 0 && ctx.channel().isWritable()) {
                int n = (int) Math.min(SLICE.length, remaining);
                remaining -= n;
                bigWritten.addAndGet(n);
                ByteBuf buf = ctx.alloc().buffer(n).writeBytes(SLICE, 0, n);
                if (remaining == 0) {
                    ctx.writeAndFlush(new DefaultLastHttpContent(buf));
                    return;
                }
                ctx.write(new DefaultHttpContent(buf));
            }
            ctx.flush();
            if (remaining > 0 && ctx.channel().isActive()) {
                // Resume when the socket drains; polling keeps the backend tiny and needs no handler.
                ctx.executor().schedule(this, 1, java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        }
    }

    private static final class RawEcho extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf) {
                ctx.writeAndFlush(msg);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }
    }
}
