package io.stapled.proxy.relay;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;

/** Small helpers shared by both sides of a byte relay (TCP mode, and HTTP after a protocol switch). */
public final class Relay {

    private Relay() {
    }

    /** Closes {@code ch} once what is already queued on it has been written. */
    public static void closeOnFlush(Channel ch) {
        if (ch != null && ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else if (ch != null) {
            ch.close();
        }
    }

    /**
     * Writes {@code msg} read on {@code from} to {@code to} (the caller flushes {@code to} when the read
     * completes); when {@code to} can take no more, stops reading {@code from} until {@code to} becomes
     * writable again (see the writability handlers). A failed write closes both sides.
     */
    public static void forward(Channel from, Channel to, Object msg) {
        to.write(msg).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                from.close();
                f.channel().close();
            }
        });
        if (!to.isWritable()) {
            from.config().setAutoRead(false);
        }
    }
}
