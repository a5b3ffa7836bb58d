package io.stapled.proxy.conn;

import java.util.concurrent.TimeUnit;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;

/**
 * Fires {@link IdleStateEvent#ALL_IDLE_STATE_EVENT} once a connection has neither read nor written
 * for the timeout (HAProxy's {@code timeout client}), then again after each further timeout of
 * silence.
 *
 * <p>Why not Netty's {@code IdleStateHandler}: it counts a write when the write completes, so it
 * turns every write's promise into a real one and adds a listener to it — an allocation and a
 * notification per response on a keep-alive connection, measurable at tens of thousands of requests
 * per second. Here a write counts when it is issued: a field store. A peer that stops reading stops
 * the writes as well (back-pressure), so it still goes idle.
 */
public final class IdleTimeoutHandler extends ChannelDuplexHandler {
    private final long timeoutNanos;
    private Ticker ticker;
    private long lastActivityNanos;
    private ScheduledFuture<?> check;

    public IdleTimeoutHandler(long timeout, TimeUnit unit) {
        if (timeout <= 0) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        this.timeoutNanos = unit.toNanos(timeout);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ticker = ctx.executor().ticker(); // the system clock, or a test's
        if (ctx.channel().isActive() && ctx.channel().isRegistered()) {
            start(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start(ctx);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stop();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastActivityNanos = ticker.nanoTime();
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        lastActivityNanos = ticker.nanoTime();
        ctx.write(msg, promise);
    }

    private void start(ChannelHandlerContext ctx) {
        if (check == null) {
            lastActivityNanos = ticker.nanoTime();
            schedule(ctx, timeoutNanos);
        }
    }

    private void stop() {
        if (check != null) {
            check.cancel(false);
            check = null;
        }
    }

    private void schedule(ChannelHandlerContext ctx, long delayNanos) {
        check = ctx.executor().schedule(() -> onCheck(ctx), delayNanos, TimeUnit.NANOSECONDS);
    }

    private void onCheck(ChannelHandlerContext ctx) {
        if (check == null || !ctx.channel().isOpen()) {
            return;
        }
        long left = timeoutNanos - (ticker.nanoTime() - lastActivityNanos);
        if (left > 0) {
            schedule(ctx, left); // there was activity since this check was scheduled
            return;
        }
        schedule(ctx, timeoutNanos);
        ctx.fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
    }
}
