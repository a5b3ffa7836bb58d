package io.stapled.proxy.conn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client idle timer on Netty's embedded channel, with its clock moved by hand. */
class IdleTimeoutHandlerTest {
    private final List<Object> events = new ArrayList<>();
    private EmbeddedChannel channel;

    @BeforeEach
    void open() {
        channel = new EmbeddedChannel();
        channel.freezeTime();
        channel.pipeline().addLast(new IdleTimeoutHandler(10, TimeUnit.SECONDS), new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                events.add(evt);
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg);
            }
        });
    }

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    private void advanceSeconds(long seconds) {
        channel.advanceTimeBy(seconds, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void firesAfterTheTimeoutOfSilenceAndAgainAfterEachFurtherOne() {
        advanceSeconds(9);
        assertEquals(List.of(), events);
        advanceSeconds(1);
        assertEquals(1, events.size());
        assertSame(IdleStateEvent.ALL_IDLE_STATE_EVENT, events.get(0));
        advanceSeconds(10);
        assertEquals(2, events.size());
    }

    @Test
    void aReadRestartsTheTimeout() {
        advanceSeconds(6);
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {1}));
        advanceSeconds(6);
        assertEquals(List.of(), events, "12 s after start but only 6 s after the read");
        advanceSeconds(4);
        assertEquals(1, events.size());
    }

    @Test
    void aWriteRestartsTheTimeout() {
        advanceSeconds(6);
        channel.writeOutbound(Unpooled.wrappedBuffer(new byte[] {1}));
        advanceSeconds(6);
        assertEquals(List.of(), events);
        advanceSeconds(4);
        assertEquals(1, events.size());
    }

    @Test
    void nothingFiresOnceTheChannelIsClosed() {
        channel.close();
        advanceSeconds(30);
        assertEquals(List.of(), events);
        assertFalse(channel.isOpen());
    }

    @Test
    void refusesANonPositiveTimeout() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new IdleTimeoutHandler(0, TimeUnit.SECONDS));
    }
}
