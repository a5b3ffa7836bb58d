package io.stapled.proxy.tcp;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;

/** Small helpers shared by both sides of a relay. */
final class Relay {

    private Relay() {
    }

    /** Closes {@code ch} once what is already queued on it has been written. */
    static void closeOnFlush(Channel ch) {
        if (ch != null && ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else if (ch != null) {
            ch.close();
        }
    }

    /**
     * Writes {@code msg} read on {@code from} to {@code to}; when {@code to} can take no more, stops
     * reading {@code from} until {@code to} becomes writable again (see the writability handlers).
     */
    static void forward(Channel from, Channel to, Object msg) {
        to.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
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
