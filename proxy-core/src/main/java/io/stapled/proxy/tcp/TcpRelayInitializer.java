package io.stapled.proxy.tcp;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.timeout.IdleStateHandler;
import io.stapled.config.FrontendConfig;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.route.RouteTable;

/**
 * Turns a frontend's client pipeline into a raw TCP relay to a server of the backend its routes pick
 * (by SNI, TLS version or source; else the default backend) in TCP mode.
 * {@link #install} is called at channel init after the TLS handler, so the relay sees decrypted
 * bytes; the backend connection is made once the handshake has succeeded (or at once when the
 * pipeline has no TLS handler).
 *
 * <p>One instance per frontend; it holds no per-connection state.
 */
public final class TcpRelayInitializer {
    /** Name of the relay handler in the client pipeline. */
    public static final String RELAY_HANDLER = "tcp-relay";
    /** Name of the client-side idle timer in the client pipeline. */
    public static final String IDLE_HANDLER = "tcp-client-idle";

    private final FrontendConfig frontend;
    private final BackendPool pool;
    private final RouteTable<BackendPool> routes;

    public TcpRelayInitializer(FrontendConfig frontend, BackendPool pool) {
        this.frontend = frontend;
        this.pool = pool;
        this.routes = RouteTable.single(pool.name(), pool);
    }

    /** A frontend with routes (by SNI, TLS version, source), each to one of {@code pools}. */
    public TcpRelayInitializer(FrontendConfig frontend, Map<String, BackendPool> pools) {
        this.frontend = frontend;
        this.pool = frontend.backend() == null ? null : pools.get(frontend.backend());
        this.routes = RouteTable.compile(frontend.routing(), frontend.backend(),
                name -> Objects.requireNonNull(pools.get(name), () -> "no backend named " + name));
    }

    public FrontendConfig frontend() {
        return frontend;
    }

    /** The default backend, or null when only routes lead anywhere. */
    public BackendPool pool() {
        return pool;
    }

    /** Adds the client idle timer (if {@code clientTimeout} is set) and the relay at the end of the pipeline. */
    public void install(ChannelPipeline pipeline) {
        long idleMillis = millis(frontend.clientTimeout());
        if (idleMillis > 0) {
            // observeOutput: a client slowly draining a large download is busy, not idle.
            pipeline.addLast(IDLE_HANDLER, new IdleStateHandler(true, 0, 0, idleMillis, TimeUnit.MILLISECONDS));
        }
        pipeline.addLast(RELAY_HANDLER, new ClientRelayHandler(frontend.name(), routes));
    }

    static long millis(Duration d) {
        return d == null || d.isNegative() ? 0 : d.toMillis();
    }
}
