package io.stapled.proxy.proxyprotocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.stapled.config.AcceptProxyConfig;
import io.stapled.config.Cidr;

/**
 * The reader's ordering on Netty's {@code EmbeddedChannel}: the rest of the pipeline sees the connection
 * become active only after the header, with the client address already set, and then the bytes that
 * came in the same read as the header (the start of the ClientHello), in order.
 */
class ProxyHeaderReaderTest {

    /** What the next handler saw, in order. */
    private static final class Recorder extends ChannelInboundHandlerAdapter {
        final List<String> events = new ArrayList<>();

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            events.add("active " + ClientAddress.source(ctx.channel()));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            events.add("read " + b.toString(StandardCharsets.US_ASCII));
            b.release();
        }
    }

    private static Recorder start(PeerChannel ch) throws Exception {
        ProxyProtocolAcceptor acceptor = new ProxyProtocolAcceptor("fe",
                new AcceptProxyConfig(List.of(Cidr.parse("10.0.0.0/8")), Duration.ofSeconds(5)));
        acceptor.install(ch.pipeline());
        Recorder recorder = new Recorder();
        ch.pipeline().addLast(recorder);
        ch.register();
        return recorder;
    }

    @Test
    void activeAfterTheHeaderThenTheBytesThatFollowedIt() throws Exception {
        PeerChannel ch = new PeerChannel("10.1.2.3");
        Recorder r = start(ch);
        assertTrue(ch.isOpen());
        assertEquals(List.of(), r.events, "nothing before the header");
        ch.writeInbound(Unpooled.copiedBuffer("PROXY TCP4 203.0.113.4 192.0.2.1 5000 443\r\n\u0016hel",
                StandardCharsets.ISO_8859_1));
        ch.writeInbound(Unpooled.copiedBuffer("lo", StandardCharsets.US_ASCII));
        assertEquals(List.of("active /203.0.113.4:5000", "read \u0016hel", "read lo"), r.events);
        assertEquals("/192.0.2.1:443", ClientAddress.destination(ch).toString());
        assertNull(ch.pipeline().get(ProxyProtocolAcceptor.DECODER_NAME), "the decoder removed itself");
        assertNull(ch.pipeline().get(ProxyProtocolAcceptor.READER_NAME));
        // A channel multiplexed on the connection (an HTTP/2 stream) has the same client.
        EmbeddedChannel stream = new EmbeddedChannel(ch, io.netty.channel.DefaultChannelId.newInstance(), true, false);
        assertEquals("/203.0.113.4:5000", ClientAddress.source(stream).toString());
        assertTrue(ClientAddress.isProxied(stream));
        stream.finishAndReleaseAll();
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void localKeepsTheSocketAddress() throws Exception {
        PeerChannel ch = new PeerChannel("10.1.2.3");
        Recorder r = start(ch);
        ch.writeInbound(Unpooled.wrappedBuffer(ProxyClient.v2Local()));
        assertEquals(List.of("active /10.1.2.3:40000"), r.events);
        assertFalse(ClientAddress.isProxied(ch));
        ch.finishAndReleaseAll();
    }

    @Test
    void untrustedPeerIsClosedBeforeAnythingIsRead() throws Exception {
        PeerChannel ch = new PeerChannel("192.168.1.1");
        Recorder r = start(ch);
        assertFalse(ch.isOpen());
        assertEquals(List.of(), r.events);
        ch.finishAndReleaseAll();
    }

    @Test
    void garbageIsClosedAndNothingIsPassedOn() throws Exception {
        PeerChannel ch = new PeerChannel("10.1.2.3");
        Recorder r = start(ch);
        ch.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: x\r\n\r\n", StandardCharsets.US_ASCII));
        assertFalse(ch.isOpen());
        assertEquals(List.of(), r.events);
        ch.finishAndReleaseAll();
    }
}
