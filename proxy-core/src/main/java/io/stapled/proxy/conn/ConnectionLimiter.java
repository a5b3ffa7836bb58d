package io.stapled.proxy.conn;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import io.stapled.config.FrontendConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caps a frontend's concurrent client connections (HAProxy's {@code maxconn}). Added first in every
 * child pipeline of the frontend; one instance is shared by all of them. A connection over the cap
 * is closed as soon as it becomes active, before TLS or anything else sees it. A cap of 0 or less
 * means no cap.
 */
@Sharable
public final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ConnectionLimiter.class);
    private static final AttributeKey<Boolean> COUNTED = AttributeKey.valueOf(ConnectionLimiter.class, "counted");

    private final String frontendName;
    private final int maxConnections;
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong rejected = new AtomicLong();

    public ConnectionLimiter(String frontendName, int maxConnections) {
        this.frontendName = frontendName;
        this.maxConnections = maxConnections;
    }

    public ConnectionLimiter(FrontendConfig frontend) {
        this(frontend.name(), frontend.maxConnections());
    }

    /** Connections currently counted against the cap. */
    public int active() {
        return active.get();
    }

    /** Connections closed because the cap was reached, since start. */
    public long rejected() {
        return rejected.get();
    }

    public int maxConnections() {
        return maxConnections;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        int now = active.incrementAndGet();
        if (maxConnections > 0 && now > maxConnections) {
            active.decrementAndGet();
            long n = rejected.incrementAndGet();
            if (n == 1 || n % 1000 == 0) {
                // Once, then every thousandth: a flood must not flood the log too.
                log.warn("frontend {}: maxconn {} reached, closing new connections ({} so far)",
                        frontendName, maxConnections, n);
            }
            ctx.close();
            return;
        }
        ctx.channel().attr(COUNTED).set(Boolean.TRUE);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (ctx.channel().attr(COUNTED).getAndSet(null) != null) {
            active.decrementAndGet();
        }
        ctx.fireChannelInactive();
    }
}
