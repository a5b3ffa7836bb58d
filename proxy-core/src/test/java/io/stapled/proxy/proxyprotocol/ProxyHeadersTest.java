package io.stapled.proxy.proxyprotocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import io.stapled.config.BackendConfig.SendProxy;

/**
 * The header {@link ProxyHeaders} writes on a server connection: its bytes, and that they reach the
 * socket past a handler that takes only bytes of its own (as a TLS handler to the server would).
 */
class ProxyHeadersTest {

    /** Refuses anything but bytes, like an SslHandler; records what it was given. */
    private static final class BytesOnly extends ChannelOutboundHandlerAdapter {
        final List<String> seen = new ArrayList<>();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            seen.add(msg.getClass().getSimpleName());
            if (msg instanceof ByteBuf) {
                ctx.write(msg, promise);
            } else {
                ReferenceCountUtil.release(msg);
                promise.setFailure(new IllegalStateException("not bytes"));
            }
        }
    }

    private static String written(HAProxyMessage header, BytesOnly guard) throws Exception {
        EmbeddedChannel server = new EmbeddedChannel(guard);
        ProxyHeaders.write(server, header);
        server.flush();
        ByteBuf out = server.readOutbound();
        String text = out.toString(StandardCharsets.ISO_8859_1);
        out.release();
        server.finishAndReleaseAll();
        return text;
    }

    @Test
    void v1FromTheSocketAddresses() throws Exception {
        PeerChannel client = new PeerChannel("192.0.2.7", 51234, "198.51.100.1", 443);
        client.register();
        BytesOnly guard = new BytesOnly();
        assertEquals("PROXY TCP4 192.0.2.7 198.51.100.1 51234 443\r\n",
                written(ProxyHeaders.forClient(SendProxy.V1, client), guard));
        assertEquals(List.of(), guard.seen, "the header went past the other handlers, straight to the socket");
        client.finishAndReleaseAll();
    }

    @Test
    void mixedFamiliesAreWrittenIpv4Mapped() throws Exception {
        PeerChannel client = new PeerChannel("192.0.2.7", 1000, "2001:db8::1", 443);
        client.register();
        assertEquals("PROXY TCP6 ::ffff:192.0.2.7 2001:db8::1 1000 443\r\n",
                written(ProxyHeaders.forClient(SendProxy.V1, client), new BytesOnly()));
        client.finishAndReleaseAll();
    }

    @Test
    void healthCheckHeaders() throws Exception {
        assertEquals("PROXY UNKNOWN\r\n", written(ProxyHeaders.local(SendProxy.V1), new BytesOnly()));
        EmbeddedChannel server = new EmbeddedChannel();
        ProxyHeaders.write(server, ProxyHeaders.local(SendProxy.V2));
        server.flush();
        ByteBuf bytes = server.readOutbound();
        EmbeddedChannel decoder = new EmbeddedChannel(new HAProxyMessageDecoder());
        decoder.writeInbound(bytes);
        HAProxyMessage decoded = decoder.readInbound();
        assertEquals("LOCAL", decoded.command().name());
        decoded.release();
        decoder.finishAndReleaseAll();
        server.finishAndReleaseAll();
    }
}
