package io.stapled.proxy.conn;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.stapled.config.FrontendConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caps a frontend's concurrent client connections (HAProxy's {@code maxconn}) the way HAProxy and
 * nginx do: at the cap the listener stops accepting, so further clients wait in the kernel's listen
 * backlog (or time out there) instead of being accepted and closed, and it accepts again as soon as
 * one connection closes. Installed on the listening channel ({@code ServerBootstrap.handler}), where
 * it sees each accepted child before it is registered. A cap of 0 or less means no cap.
 *
 * <p>Accepting is switched only on the listener's own event loop, and always from the count as it is
 * then, so that a close racing with the pause cannot leave the listener paused below the cap. The
 * count may pass the cap by the few connections the transport accepted in the same read (NIO takes up
 * to 16 at a time; epoll stops at once): those are served, not closed.
 *
 * <p>Why its own counter and not the size of {@link ConnectionTracker}'s group: the decision to pause
 * is taken here, on the listener's loop, at the moment a child is accepted — before the child is
 * registered on its worker loop and long before it is active and joins the tracker's group (and it is
 * counted even if the {@link HandshakeLimiter} closes it at once). Reading the group's size here would
 * lag by every connection still on its way to a worker, so a burst could pass the cap by far more
 * than one read's worth; and that size is a {@code ConcurrentHashMap} count summed over cells, not one
 * atomic read. The tracker stays the one set of a frontend's connections (counts, drain); this is
 * only the admission count, one atomic increment per accept and one decrement per close.
 */
@Sharable
public final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ConnectionLimiter.class);

    private final String frontendName;
    private final int maxConnections;
    private final HandshakeLimiter handshakes;
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong pauses = new AtomicLong();
    private volatile boolean paused;

    public ConnectionLimiter(String frontendName, int maxConnections, int maxHandshakesPerSource) {
        this.frontendName = frontendName;
        this.maxConnections = maxConnections;
        this.handshakes = new HandshakeLimiter(frontendName, maxHandshakesPerSource);
    }

    public ConnectionLimiter(String frontendName, int maxConnections) {
        this(frontendName, maxConnections, 0);
    }

    public ConnectionLimiter(FrontendConfig frontend) {
        this(frontend.name(), frontend.maxConnections(), frontend.maxHandshakesPerSource());
    }

    /** The per-source handshake limit; first in every child pipeline of the frontend. */
    public HandshakeLimiter handshakes() {
        return handshakes;
    }

    /** Connections currently counted against the cap. */
    public int active() {
        return active.get();
    }

    /**
     * Connections closed at once since start: since the cap only pauses accepting, these are the
     * connections over the per-source handshake limit.
     */
    public long rejected() {
        return handshakes.rejected();
    }

    /** How often the cap was reached and accepting paused, since start. */
    public long pauses() {
        return pauses.get();
    }

    /** Whether the listener is not accepting now because the cap is reached. */
    public boolean paused() {
        return paused;
    }

    public int maxConnections() {
        return maxConnections;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Channel child) {
            Channel listener = ctx.channel();
            int now = active.incrementAndGet();
            child.closeFuture().addListener(f -> released(listener));
            if (maxConnections > 0 && now >= maxConnections && !paused) {
                pause(listener);
            }
        }
        ctx.fireChannelRead(msg);
    }

    /** On the listener's event loop. */
    private void pause(Channel listener) {
        paused = true;
        listener.config().setAutoRead(false);
        long n = pauses.incrementAndGet();
        if (n == 1 || n % 1000 == 0) {
            // Once, then every thousandth: a flood must not flood the log too.
            log.warn("frontend {}: maxconn {} reached, new connections wait in the listen backlog ({} times so far)",
                    frontendName, maxConnections, n);
        }
        // A close on another loop may have read paused == false just before it was set: look again.
        resumeIfBelow(listener);
    }

    private void released(Channel listener) {
        int now = active.decrementAndGet();
        if (paused && now < maxConnections) {
            try {
                listener.eventLoop().execute(() -> resumeIfBelow(listener));
            } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
                // the listener's loop is stopping: nothing left to resume
            }
        }
    }

    /** On the listener's event loop: the only place accepting is switched back on. */
    private void resumeIfBelow(Channel listener) {
        if (paused && active.get() < maxConnections) {
            paused = false;
            if (listener.isOpen()) {
                listener.config().setAutoRead(true);
            }
        }
    }
}
