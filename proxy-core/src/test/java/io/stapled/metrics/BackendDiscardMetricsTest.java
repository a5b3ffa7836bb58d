package io.stapled.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.stapled.config.BackendConfig;
import io.stapled.config.BackendConfig.ServerConfig;
import io.stapled.config.HostPort;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.backend.BackendServer;
import io.stapled.proxy.backend.BackendServer.Discard;

/** The per-reason counter of backend connections closed instead of reused, as scraped. */
class BackendDiscardMetricsTest {
    private static final String NAME = "stapled_backend_server_connections_discarded_total";

    @Test
    void everyReasonIsExportedFromStartAndCountsPerServer() {
        BackendPool pool = new BackendPool(new BackendConfig("app", BackendConfig.Balance.ROUNDROBIN,
                List.of(new ServerConfig("s1", new HostPort("127.0.0.1", 1), 1),
                        new ServerConfig("s2", new HostPort("127.0.0.1", 2), 1)), null,
                Duration.ofSeconds(1), Duration.ofSeconds(5), 4, Duration.ofSeconds(30)));
        try (StapledMetrics metrics = new StapledMetrics(Clock.systemUTC())) {
            metrics.bindBackends(List.of(pool));
            PrometheusText before = PrometheusText.parse(metrics.registry().scrape());
            for (Discard d : Discard.values()) {
                assertEquals(0, before.value(NAME, "backend", "app", "server", "s1", "reason", d.label()), d.label());
            }
            BackendServer s1 = pool.servers().get(0);
            assertEquals(true, s1.connectionDiscarded(Discard.BODY_ON_BODYLESS), "the first one is reported");
            assertEquals(false, s1.connectionDiscarded(Discard.BODY_ON_BODYLESS), "later ones are only counted");
            assertEquals(false, s1.connectionDiscarded(Discard.WHILE_IDLE), "reported once per server");
            PrometheusText after = PrometheusText.parse(metrics.registry().scrape());
            assertEquals(2, after.value(NAME, "backend", "app", "server", "s1", "reason", "body_on_bodyless"));
            assertEquals(1, after.value(NAME, "backend", "app", "server", "s1", "reason", "while_idle"));
            assertEquals(0, after.value(NAME, "backend", "app", "server", "s1", "reason", "over_content_length"));
            assertEquals(0, after.value(NAME, "backend", "app", "server", "s2", "reason", "body_on_bodyless"));
        }
    }
}
