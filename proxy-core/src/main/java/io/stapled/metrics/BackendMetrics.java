package io.stapled.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.backend.BackendServer;

/** Per-server state of a backend, read from its {@link BackendServer}s at scrape time. */
final class BackendMetrics {
    static final String UP = "stapled.backend.server.up";
    static final String ACTIVE = "stapled.backend.server.connections.active";
    static final String TOTAL = "stapled.backend.server.connections";
    static final String FAILED = "stapled.backend.server.connect.failures";
    static final String DISCARDED = "stapled.backend.server.connections.discarded";

    private BackendMetrics() { }

    static void bind(MeterRegistry registry, BackendPool pool) {
        for (BackendServer server : pool.servers()) {
            Tags tags = Tags.of("backend", pool.name(), "server", server.name());
            Gauge.builder(UP, server, s -> s.isAvailable() ? 1 : 0)
                    .description("1 when the server takes new traffic (healthy, ready, weight > 0), else 0")
                    .tags(tags)
                    .strongReference(true)
                    .register(registry);
            Gauge.builder(ACTIVE, server, BackendServer::activeConnections)
                    .description("Connections to the server in use now")
                    .tags(tags)
                    .strongReference(true)
                    .register(registry);
            FunctionCounter.builder(TOTAL, server, BackendServer::totalConnections)
                    .description("Connections to the server handed to clients since start")
                    .tags(tags)
                    .register(registry);
            FunctionCounter.builder(FAILED, server, BackendServer::failedConnects)
                    .description("Connection attempts to the server that failed or timed out")
                    .tags(tags)
                    .register(registry);
            for (BackendServer.Discard reason : BackendServer.Discard.values()) {
                FunctionCounter.builder(DISCARDED, server, s -> s.discardedConnections(reason))
                        .description("Keep-alive connections to the server closed instead of reused because it"
                                + " sent bytes beyond the end of a response")
                        .tags(tags.and("reason", reason.label()))
                        .register(registry);
            }
        }
    }
}
