package io.stapled.proxy.conn;

import java.util.concurrent.atomic.LongAdder;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Counts the decrypted bytes a frontend's clients send and receive (HAProxy's {@code bin} and
 * {@code bout}). One instance is shared by the frontend's connections; add it right after the TLS
 * handler, so it sees plaintext both ways. Counting only: messages pass on untouched.
 */
@Sharable
public final class ByteCounter extends ChannelDuplexHandler {
    private final LongAdder in = new LongAdder();
    private final LongAdder out = new LongAdder();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        in.add(size(msg));
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        out.add(size(msg));
        ctx.write(msg, promise);
    }

    private static long size(Object msg) {
        if (msg instanceof ByteBuf b) {
            return b.readableBytes();
        }
        if (msg instanceof ByteBufHolder h) {
            return h.content().readableBytes();
        }
        return 0;
    }

    /** Bytes read from clients. */
    public long bytesIn() {
        return in.sum();
    }

    /** Bytes written to clients. */
    public long bytesOut() {
        return out.sum();
    }
}
