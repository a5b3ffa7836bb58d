package io.stapled.metrics;

import static io.stapled.metrics.Meters.counter;
import static io.stapled.metrics.Meters.gauge;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.stapled.proxy.conn.ConnectionLimiter;
import io.stapled.proxy.conn.ConnectionTracker;
import io.stapled.proxy.http.AccessLogWriter;
import io.stapled.proxy.proxyprotocol.ProxyProtocolAcceptor;

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
    static final String PROXY_REFUSED = "stapled.frontend.proxy.protocol.refused";
    static final String ACCESS_LOG_DROPPED = "stapled.access.log.dropped";

    private FrontendMetrics() { }

    static void bind(MeterRegistry registry, String frontend, ConnectionTracker tracker) {
        Tags tags = Tags.of("frontend", frontend);
        gauge(registry, ACTIVE, tags, tracker, ConnectionTracker::active, "Client connections open now");
        counter(registry, TOTAL, tags, tracker, ConnectionTracker::total, "Client connections accepted since start");
    }

    static void bind(MeterRegistry registry, String frontend, ConnectionLimiter limiter) {
        Tags tags = Tags.of("frontend", frontend);
        counter(registry, REJECTED, tags, limiter, ConnectionLimiter::rejected,
                "Client connections closed at accept because their address had max_handshakes_per_source"
                        + " connections in the TLS handshake already");
        counter(registry, PAUSES, tags, limiter, ConnectionLimiter::pauses,
                "Times the frontend reached max_connections and stopped accepting until a connection closed");
        gauge(registry, PAUSED, tags, limiter, l -> l.paused() ? 1 : 0,
                "1 while the frontend is at max_connections and new connections wait in the listen backlog");
        gauge(registry, LIMIT, tags, limiter, ConnectionLimiter::maxConnections,
                "The frontend's max_connections (0: no limit)");
    }

    /** With {@code accept_proxy}: the connections closed before the rest of the pipeline saw them. */
    static void bind(MeterRegistry registry, String frontend, ProxyProtocolAcceptor acceptor) {
        counter(registry, PROXY_REFUSED, Tags.of("frontend", frontend, "reason", "untrusted"), acceptor,
                ProxyProtocolAcceptor::untrusted,
                "Connections closed by accept_proxy: from a peer outside trusted_sources, or with a missing,"
                        + " malformed or late PROXY header (reason bad_header)");
        counter(registry, PROXY_REFUSED, Tags.of("frontend", frontend, "reason", "bad_header"), acceptor,
                ProxyProtocolAcceptor::invalid,
                "Connections closed by accept_proxy: from a peer outside trusted_sources, or with a missing,"
                        + " malformed or late PROXY header (reason bad_header)");
    }

    /** With {@code access_log}: lines its writer dropped because its queue was full. */
    static void bind(MeterRegistry registry, String frontend, AccessLogWriter writer) {
        counter(registry, ACCESS_LOG_DROPPED, Tags.of("frontend", frontend), writer, AccessLogWriter::dropped,
                "Access log lines dropped because access_log.queue lines were waiting for the writer");
    }
}
