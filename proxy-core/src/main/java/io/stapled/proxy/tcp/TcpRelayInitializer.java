package io.stapled.proxy.tcp;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.timeout.IdleStateHandler;
import io.stapled.config.FrontendConfig;
import io.stapled.proxy.backend.BackendPool;

/**
 * Turns a frontend's client pipeline into a raw TCP relay to one of the backend's servers (TCP mode).
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

    public TcpRelayInitializer(FrontendConfig frontend, BackendPool pool) {
        this.frontend = frontend;
        this.pool = pool;
    }

    public FrontendConfig frontend() {
        return frontend;
    }

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
        pipeline.addLast(RELAY_HANDLER, new ClientRelayHandler(frontend.name(), pool));
    }

    static long millis(Duration d) {
        return d == null || d.isNegative() ? 0 : d.toMillis();
    }
}
