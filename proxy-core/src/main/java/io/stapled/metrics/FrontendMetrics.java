package io.stapled.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.stapled.proxy.conn.ConnectionTracker;

/** Client connection gauges of one frontend, read from its {@link ConnectionTracker} at scrape time. */
final class FrontendMetrics {
    static final String ACTIVE = "stapled.frontend.connections.active";
    static final String TOTAL = "stapled.frontend.connections";

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
}
