package io.stapled.proxy.conn;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live client connections of one frontend, for counts and graceful shutdown. Added to every
 * child pipeline (after the {@link HandshakeLimiter}); one instance is shared by all of them.
 *
 * <p>{@link #drain} is the shutdown path: the caller first stops accepting, then the tracker runs
 * {@code beforeWait} (e.g. ask HTTP connections to close after their current request), waits for
 * the connections to close on their own for up to {@code grace}, and then closes the rest.
 */
@Sharable
public final class ConnectionTracker extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ConnectionTracker.class);

    private final String frontendName;
    private final ChannelGroup channels;
    private final AtomicLong total = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicInteger max = new java.util.concurrent.atomic.AtomicInteger();
    private final RateCounter rate = new RateCounter();
    private volatile CompletableFuture<Void> drained;

    public ConnectionTracker(String frontendName) {
        this.frontendName = frontendName;
        this.channels = new DefaultChannelGroup(frontendName, GlobalEventExecutor.INSTANCE);
    }

    /** Client connections open now. */
    public int active() {
        return channels.size();
    }

    /** Client connections accepted since start. */
    public long total() {
        return total.get();
    }

    /** The most client connections open at once since start. */
    public int maxActive() {
        return max.get();
    }

    /** New client connections per second. */
    public RateCounter rate() {
        return rate;
    }

    /** The open client channels (a live view: closed channels leave it on their own). */
    public ChannelGroup channels() {
        return channels;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel ch = ctx.channel();
        total.incrementAndGet();
        rate.increment();
        channels.add(ch);
        int open = channels.size();
        if (open > max.get()) {
            max.accumulateAndGet(open, Math::max);
        }
        ch.closeFuture().addListener(f -> checkDrained());
        ctx.fireChannelActive();
    }

    /**
     * Runs {@code beforeWait}, then completes once every tracked connection has closed, or after
     * {@code grace} closes those still open and completes when they are closed. Idempotent: a second
     * call returns the first call's future. Connections accepted meanwhile are tracked and waited
     * for too, so stop accepting first.
     */
    public synchronized CompletableFuture<Void> drain(Duration grace, Runnable beforeWait) {
        if (drained != null) {
            return drained;
        }
        CompletableFuture<Void> future = new CompletableFuture<>();
        drained = future;
        log.info("frontend {}: draining {} connection(s), grace {}ms", frontendName, channels.size(),
                grace.toMillis());
        if (beforeWait != null) {
            try {
                beforeWait.run();
            } catch (RuntimeException e) {
                log.warn("frontend {}: drain preparation failed: {}", frontendName, e.toString());
            }
        }
        GlobalEventExecutor.INSTANCE.schedule(() -> forceClose(future), Math.max(0, grace.toMillis()),
                TimeUnit.MILLISECONDS);
        checkDrained();
        return future;
    }

    private void forceClose(CompletableFuture<Void> future) {
        if (future.isDone()) {
            return;
        }
        int left = channels.size();
        if (left > 0) {
            log.warn("frontend {}: drain grace elapsed, closing {} connection(s)", frontendName, left);
        }
        channels.close().addListener(f -> future.complete(null));
    }

    private void checkDrained() {
        CompletableFuture<Void> future = drained;
        if (future != null && !future.isDone() && channels.isEmpty()) {
            future.complete(null);
        }
    }
}
