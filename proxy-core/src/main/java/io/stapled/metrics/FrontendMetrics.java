package io.stapled.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.stapled.proxy.conn.ConnectionLimiter;
import io.stapled.proxy.conn.ConnectionTracker;

/**
 * Client connection meters of one frontend, read from its {@link ConnectionTracker} and
 * {@link ConnectionLimiter} at scrape time.
 */
final class FrontendMetrics {
    static final String ACTIVE = "stapled.frontend.connections.active";
    static final String TOTAL = "stapled.frontend.connections";
    static final String REJECTED = "stapled.frontend.connections.rejected";
    static final String LIMIT = "stapled.frontend.connections.limit";
    static final String PAUSES = "stapled.frontend.accept.pauses";
    static final String PAUSED = "stapled.frontend.accept.paused";

    private FrontendMetrics() { }

    static void bind(MeterRegistry registry, String frontend, ConnectionTracker tracker) {
        Gauge.builder(ACTIVE, tracker, ConnectionTracker::active)
                .description("Client connections open now")
                .tag("frontend", frontend)
                .strongReference(true)
                .register(registry);
        FunctionCounter.builder(TOTAL, tracker, ConnectionTracker::total)
                .description("Client connections accepted since start")
                .tag("frontend", frontend)
                .register(registry);
    }

    static void bind(MeterRegistry registry, String frontend, ConnectionLimiter limiter) {
        FunctionCounter.builder(REJECTED, limiter, ConnectionLimiter::rejected)
                .description("Client connections closed at accept because their address had max_handshakes_per_source"
                        + " connections in the TLS handshake already")
                .tag("frontend", frontend)
                .register(registry);
        FunctionCounter.builder(PAUSES, limiter, ConnectionLimiter::pauses)
                .description("Times the frontend reached max_connections and stopped accepting until a connection closed")
                .tag("frontend", frontend)
                .register(registry);
        Gauge.builder(PAUSED, limiter, l -> l.paused() ? 1 : 0)
                .description("1 while the frontend is at max_connections and new connections wait in the listen backlog")
                .tag("frontend", frontend)
                .strongReference(true)
                .register(registry);
        Gauge.builder(LIMIT, limiter, ConnectionLimiter::maxConnections)
                .description("The frontend's max_connections (0: no limit)")
                .tag("frontend", frontend)
                .strongReference(true)
                .register(registry);
    }
}
