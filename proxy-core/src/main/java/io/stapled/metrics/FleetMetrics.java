package io.stapled.metrics;

import java.time.Instant;
import java.util.List;
import java.util.function.ToDoubleFunction;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.stapled.fleet.FleetStatus;

/**
 * Fleet mode's meters, read from {@link FleetStatus} at scrape time, and its {@code /readyz} detail: a
 * member that lost Redis keeps serving (it fetches its own staples), so that is a detail line, never a
 * readiness problem.
 */
final class FleetMetrics implements ReadinessCheck {
    static final String PREFIX = "stapled.fleet.";

    private final FleetStatus status;

    FleetMetrics(MeterRegistry registry, FleetStatus status) {
        this.status = status;
        Gauge.builder(PREFIX + "store.up", status, s -> s.connected() ? 1 : 0)
                .description("1 while the fleet's Redis answers and staples are shared, 0 while this instance fetches on its own")
                .register(registry);
        counter(registry, "fetches.avoided", "Refreshes satisfied by a staple another member fetched", FleetStatus::fetchesAvoided);
        counter(registry, "fetches.own", "Fetches this member made, holding the lease or without the store", FleetStatus::fetchesOwn);
        counter(registry, "store.reads", "Staples read from the store", FleetStatus::storeReads);
        counter(registry, "published", "Staples this member stored and published", FleetStatus::published);
        counter(registry, "received", "Staples from the store installed here", FleetStatus::received);
        counter(registry, "refusals", "Staples from the store refused by verification (forged, another certificate's, expired)",
                FleetStatus::refusals);
        counter(registry, "fallbacks", "Times this member lost the store and fell back to its own fetches", FleetStatus::fallbacks);
        counter(registry, "rejoins", "Times it rejoined the store after a fallback", FleetStatus::rejoins);
    }

    private void counter(MeterRegistry registry, String name, String description, ToDoubleFunction<FleetStatus> f) {
        FunctionCounter.builder(PREFIX + name, status, f).description(description).register(registry);
    }

    @Override
    public void check(Instant now, List<String> problems) {
        // never a problem: see the class comment
    }

    @Override
    public void details(Instant now, List<String> details) {
        if (!status.connected()) {
            details.add("fleet: Redis at " + status.url() + " unreachable since " + status.since()
                    + " (" + status.lastProblem() + "); fetching staples on our own");
        }
    }
}
