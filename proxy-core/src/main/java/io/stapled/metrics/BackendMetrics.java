package io.stapled.metrics;

import static io.stapled.metrics.Meters.counter;
import static io.stapled.metrics.Meters.gauge;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.backend.BackendServer;

/**
 * Per-server state of a backend, read from its {@link BackendServer}s at scrape time. Servers the
 * runtime API adds get their meters then; a deleted server's meters go with it.
 */
final class BackendMetrics {
    static final String UP = "stapled.backend.server.up";
    static final String ACTIVE = "stapled.backend.server.connections.active";
    static final String TOTAL = "stapled.backend.server.connections";
    static final String FAILED = "stapled.backend.server.connect.failures";
    static final String DISCARDED = "stapled.backend.server.connections.discarded";
    static final String QUEUED = "stapled.backend.server.queue.current";
    static final String QUEUE_TIMEOUTS = "stapled.backend.server.queue.timeouts";
    static final String QUEUE_REFUSED = "stapled.backend.server.queue.refused";

    private BackendMetrics() { }

    static void bind(MeterRegistry registry, BackendPool pool) {
        pool.addListener(new BackendPool.ServerListener() {
            @Override
            public void added(BackendPool p, BackendServer server) {
                bind(registry, p, server);
            }

            @Override
            public void removed(BackendPool p, BackendServer server) {
                unbind(registry, p, server);
            }
        });
        for (BackendServer server : pool.servers()) {
            bind(registry, pool, server);
        }
    }

    private static void unbind(MeterRegistry registry, BackendPool pool, BackendServer server) {
        for (Meter m : registry.getMeters()) {
            Meter.Id id = m.getId();
            if (id.getName().startsWith("stapled.backend.server.") && pool.name().equals(id.getTag("backend"))
                    && server.name().equals(id.getTag("server"))) {
                registry.remove(m);
            }
        }
    }

    private static void bind(MeterRegistry registry, BackendPool pool, BackendServer server) {
        Tags tags = Tags.of("backend", pool.name(), "server", server.name());
        gauge(registry, UP, tags, server, s -> s.isAvailable() ? 1 : 0,
                "1 when the server takes new traffic (healthy, ready, weight > 0), else 0");
        gauge(registry, ACTIVE, tags, server, BackendServer::activeConnections,
                "Connections to the server in use now");
        counter(registry, TOTAL, tags, server, BackendServer::totalConnections,
                "Connections to the server handed to clients since start");
        counter(registry, FAILED, tags, server, BackendServer::failedConnects,
                "Connection attempts to the server that failed or timed out");
        if (server.queue() != null) {
            gauge(registry, QUEUED, tags, server, s -> s.queue().queued(),
                    "Requests waiting for a connection slot of the server (at its max_connections)");
            counter(registry, QUEUE_TIMEOUTS, tags, server, s -> s.queue().timedOut(),
                    "Requests answered 503 after waiting queue_timeout for a slot of the server");
            counter(registry, QUEUE_REFUSED, tags, server, s -> s.queue().refused(),
                    "Requests answered 503 at once because the server's queue was full (max_queue)");
        }
        for (BackendServer.Discard reason : BackendServer.Discard.values()) {
            counter(registry, DISCARDED, tags.and("reason", reason.label()), server,
                    s -> s.discardedConnections(reason),
                    "Keep-alive connections to the server closed instead of reused because it"
                            + " sent bytes beyond the end of a response");
        }
    }
}
