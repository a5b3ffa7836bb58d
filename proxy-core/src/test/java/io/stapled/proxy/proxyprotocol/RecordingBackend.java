package io.stapled.proxy.proxyprotocol;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxySSLTLV;
import io.netty.handler.codec.haproxy.HAProxyTLV;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.stapled.testing.LoopbackServer;

/**
 * A real backend for the PROXY protocol tests: HTTP (answers {@code "<name> <X-Forwarded-For>"}) or an
 * echo for TCP mode, optionally behind Netty's {@link HAProxyMessageDecoder}, recording each header it
 * decoded and each request's X-Forwarded-For.
 */
final class RecordingBackend implements AutoCloseable {
    /** What one decoded PROXY header said. */
    record Header(String command, String protocol, String source, int sourcePort, String destination,
                  String authority, String alpn, String sslVersion, String cipher, boolean clientSsl, int verify,
                  boolean certConn, boolean certSess) { }

    final String name;
    final LoopbackServer server;
    final List<Header> headers = new CopyOnWriteArrayList<>();
    final List<String> forwardedFor = new CopyOnWriteArrayList<>();
    final AtomicInteger requests = new AtomicInteger();
    /** Connections open now that began with a PROXY (not LOCAL) header. */
    final AtomicInteger openProxied = new AtomicInteger();
    /** Bytes received by the echo (TCP) variant. */
    final AtomicInteger echoed = new AtomicInteger();

    private RecordingBackend(String name, EventLoopGroup group, boolean decodeProxy, boolean http) {
        this.name = name;
        this.server = LoopbackServer.of(group, () -> new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                if (decodeProxy) {
                    ch.pipeline().addLast(new HAProxyMessageDecoder(), new HeaderRecorder());
                }
                if (http) {
                    ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(4096), new Answer());
                } else {
                    ch.pipeline().addLast(new Echo());
                }
            }
        });
    }

    static RecordingBackend http(String name, EventLoopGroup group, boolean decodeProxy) {
        return new RecordingBackend(name, group, decodeProxy, true);
    }

    static RecordingBackend echo(String name, EventLoopGroup group, boolean decodeProxy) {
        return new RecordingBackend(name, group, decodeProxy, false);
    }

    int port() {
        return server.port();
    }

    int connections() {
        return server.accepted.get();
    }

    @Override
    public void close() {
        server.close();
    }

    private final class HeaderRecorder extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof HAProxyMessage m)) {
                ctx.fireChannelRead(msg);
                return;
            }
            try {
                String authority = null;
                String alpn = null;
                String version = null;
                String cipher = null;
                boolean clientSsl = false;
                boolean certConn = false;
                boolean certSess = false;
                int verify = -1;
                for (HAProxyTLV tlv : m.tlvs()) {
                    switch (tlv.type()) {
                        case PP2_TYPE_AUTHORITY -> authority = text(tlv.content());
                        case PP2_TYPE_ALPN -> alpn = text(tlv.content());
                        case PP2_TYPE_SSL -> {
                            HAProxySSLTLV ssl = (HAProxySSLTLV) tlv;
                            clientSsl = ssl.isPP2ClientSSL();
                            verify = ssl.verify();
                            certConn = ssl.isPP2ClientCertConn();
                            certSess = ssl.isPP2ClientCertSess();
                            for (HAProxyTLV sub : ssl.encapsulatedTLVs()) {
                                if (sub.type() == HAProxyTLV.Type.PP2_TYPE_SSL_VERSION) {
                                    version = text(sub.content());
                                } else if (sub.typeByteValue() == 0x23) {
                                    cipher = text(sub.content());
                                }
                            }
                        }
                        default -> { }
                    }
                }
                if (m.command() == io.netty.handler.codec.haproxy.HAProxyCommand.PROXY) {
                    openProxied.incrementAndGet();
                    ctx.channel().closeFuture().addListener(f -> openProxied.decrementAndGet());
                }
                headers.add(new Header(m.command().name(), m.proxiedProtocol().name(), m.sourceAddress(),
                        m.sourcePort(), m.destinationAddress(), authority, alpn, version, cipher, clientSsl, verify,
                        certConn, certSess));
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private static String text(ByteBuf content) {
            return content.toString(StandardCharsets.US_ASCII);
        }
    }

    private final class Answer extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            requests.incrementAndGet();
            String xff = req.headers().get("X-Forwarded-For");
            forwardedFor.add(String.valueOf(xff));
            byte[] body = (name + " " + xff).getBytes(StandardCharsets.US_ASCII);
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(body));
            res.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
            ctx.writeAndFlush(res);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // health checks close with a reset
        }
    }

    private final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf b) {
                echoed.addAndGet(b.readableBytes());
            }
            ctx.writeAndFlush(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
