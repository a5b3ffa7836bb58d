package io.stapled.admin;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On the runtime API's listening channels (unix and TCP share one instance): caps the connections
 * open at once (HAProxy's {@code stats maxconn}) and refuses new ones while the process is short of
 * descriptors, so the admin side can never take the descriptors the frontends need. A refused
 * connection is closed before it is registered with an event loop: it costs no handler, no timer
 * and no buffer, and holds its descriptor only for the instant of the accept.
 */
@Sharable
final class AdminConnectionGate extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(AdminConnectionGate.class);

    private final int maxConnections;
    private final DescriptorHeadroom headroom;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();

    AdminConnectionGate(int maxConnections, DescriptorHeadroom headroom) {
        this.maxConnections = maxConnections;
        this.headroom = headroom;
    }

    int open() {
        return open.get();
    }

    long refused() {
        return refused.get();
    }

    /** The unix and TCP listeners may accept on different event loops: check and count in one step. */
    private boolean reserveSlot() {
        while (true) {
            int n = open.get();
            if (n >= maxConnections) {
                return false;
            }
            if (open.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Channel child)) {
            ctx.fireChannelRead(msg);
            return;
        }
        String reason = headroom.low() ? "the process is close to its file descriptor limit" : null;
        if (reason == null && !reserveSlot()) {
            reason = "max_connections " + maxConnections + " reached";
        }
        if (reason != null) {
            long n = refused.incrementAndGet();
            if (n == 1 || n % 1000 == 0) {
                // Once, then every thousandth: a connect loop must not flood the log too.
                log.warn("runtime API: {}, refusing connections ({} so far)", reason, n);
            }
            child.unsafe().closeForcibly();
            return;
        }
        child.closeFuture().addListener(f -> open.decrementAndGet());
        ctx.fireChannelRead(child);
    }
}
