package io.stapled.proxy.conn;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.AttributeKey;
import io.stapled.proxy.proxyprotocol.ClientAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Limits the connections one client address may have in the TLS handshake at once (from accept until
 * the handshake ends), so that one address holding connections open without a ClientHello cannot
 * fill the frontend's {@code max_connections} and lock every other client out. A connection over the
 * limit is closed at once, before the rest of the pipeline sees it. Completed handshakes do not count:
 * the limit is on half-open work, not on a busy client. 0 or less means no limit.
 *
 * <p>This handler goes first in the pipeline and {@link #completion()} right after the TLS handler,
 * where the handshake's end is signalled; the count drops at whichever of that and the close comes
 * first. Counts live in a map of per-address totals, removed when they reach zero.
 */
@Sharable
public final class HandshakeLimiter extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(HandshakeLimiter.class);
    private static final AttributeKey<InetAddress> COUNTED = AttributeKey.valueOf(HandshakeLimiter.class, "source");

    private final String frontendName;
    private final int maxPerSource;
    private final ConcurrentHashMap<InetAddress, Integer> inHandshake = new ConcurrentHashMap<>();
    private final AtomicLong rejected = new AtomicLong();
    private final ChannelHandler completion = new Completion();

    public HandshakeLimiter(String frontendName, int maxPerSource) {
        this.frontendName = frontendName;
        this.maxPerSource = maxPerSource;
    }

    /** The handler that ends a connection's count when its handshake ends; goes right after TLS. */
    public ChannelHandler completion() {
        return completion;
    }

    public int maxPerSource() {
        return maxPerSource;
    }

    /** Connections closed because their address was over the limit, since start. */
    public long rejected() {
        return rejected.get();
    }

    /** Connections from {@code address} in the handshake now. */
    public int inHandshake(InetAddress address) {
        return inHandshake.getOrDefault(address, 0);
    }

    /** Addresses with a connection in the handshake now. */
    public int sources() {
        return inHandshake.size();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        // Behind a load balancer (accept_proxy) this is the client's address from the PROXY header: counting the
        // balancer's would put every client behind it under one limit.
        InetAddress source = maxPerSource > 0 ? ClientAddress.of(ctx.channel()) : null;
        if (source != null) {
            int now = inHandshake.merge(source, 1, Integer::sum);
            if (now > maxPerSource) {
                decrement(source);
                long n = rejected.incrementAndGet();
                if (n == 1 || n % 1000 == 0) {
                    log.warn("frontend {}: {} has {} connections in the TLS handshake already "
                            + "(max_handshakes_per_source), closing new ones ({} so far)",
                            frontendName, source.getHostAddress(), maxPerSource, n);
                }
                ctx.close();
                return;
            }
            ctx.channel().attr(COUNTED).set(source);
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release(ctx);
        ctx.fireChannelInactive();
    }

    private void release(ChannelHandlerContext ctx) {
        InetAddress source = ctx.channel().attr(COUNTED).getAndSet(null);
        if (source != null) {
            decrement(source);
        }
    }

    private void decrement(InetAddress source) {
        inHandshake.computeIfPresent(source, (k, n) -> n <= 1 ? null : n - 1);
    }

    @Sharable
    private final class Completion extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent) {
                release(ctx);
            }
            ctx.fireUserEventTriggered(evt);
        }
    }
}
