package io.stapled.metrics;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.stapled.ocsp.ManagedCertificate;
import io.stapled.ocsp.OcspListener;
import io.stapled.ocsp.OcspManager;
import io.stapled.ocsp.Staple;
import io.stapled.ocsp.UpdateResult;

/**
 * Per-certificate OCSP state as gauges read from each {@link ManagedCertificate} at scrape time (time
 * from the injected clock), plus what only the engine's events tell: fetch durations, installs and
 * expiries. Registered on the {@link OcspManager} builder as a listener; certificates are bound by
 * {@link #bind(OcspManager)} and, when managed later, on their first event.
 */
final class OcspMetrics implements OcspListener {
    static final String PREFIX = "stapled.ocsp.";

    private final MeterRegistry registry;
    private final Clock clock;
    private final CertificateMeters certificates;
    private final Map<String, Bound> bound = new ConcurrentHashMap<>();
    private final Map<String, Timer> fetchDurations = new ConcurrentHashMap<>();

    /** The event counters of one certificate. */
    private record Bound(ManagedCertificate certificate, Counter installs, Counter expiries) { }

    OcspMetrics(MeterRegistry registry, Clock clock, CertificateMeters certificates) {
        this.registry = registry;
        this.clock = clock;
        this.certificates = certificates;
    }

    void bind(OcspManager manager) {
        for (ManagedCertificate c : manager.certificates()) {
            bind(c);
        }
    }

    private Bound bind(ManagedCertificate c) {
        Bound b = bound.get(c.id());
        return b != null ? b : bound.computeIfAbsent(c.id(), id -> register(c));
    }

    private Bound register(ManagedCertificate c) {
        Tags tags = Tags.of("certificate", c.id());
        certificates.register(c.id(), c.slot());
        Gauge.builder(PREFIX + "certificate.info", () -> 1)
                .description("One per managed certificate: its responder (scheme://host:port, or none) and Must-Staple flag")
                .tags(tags)
                .tag("responder", responderLabel(c.responder()))
                .tag("must_staple", Boolean.toString(c.mustStaple()))
                .register(registry);
        Gauge.builder(PREFIX + "staple.valid", c, x -> valid(x.staple()) ? 1 : 0)
                .description("1 while the certificate holds a staple valid now (before its nextUpdate), else 0")
                .tags(tags).strongReference(true).register(registry);
        Gauge.builder(PREFIX + "staple.expires.in", c, x -> expiresIn(x.staple()))
                .description("Seconds from now to the staple's nextUpdate (negative once past; NaN without a staple)")
                .baseUnit("seconds").tags(tags).strongReference(true).register(registry);
        Gauge.builder(PREFIX + "staple.age", c, x -> age(x.staple()))
                .description("Seconds since the staple's producedAt (NaN without a staple)")
                .baseUnit("seconds").tags(tags).strongReference(true).register(registry);
        Gauge.builder(PREFIX + "must.staple.missing", c, x -> x.mustStaple() && x.enabled() && !valid(x.staple()) ? 1 : 0)
                .description("1 when a Must-Staple certificate has no valid staple (its handshakes fail at strict clients)")
                .tags(tags).strongReference(true).register(registry);
        Gauge.builder(PREFIX + "consecutive.failures", c, ManagedCertificate::consecutiveFailures)
                .description("Fetches failed in a row since the last success")
                .tags(tags).strongReference(true).register(registry);
        Gauge.builder(PREFIX + "last.fetch.success", c, OcspMetrics::lastFetchSuccess)
                .description("1 when the last fetch succeeded, 0 when it failed, NaN before the first fetch")
                .tags(tags).strongReference(true).register(registry);
        Gauge.builder(PREFIX + "last.fetch.timestamp", c, x -> x.lastUpdate() == null ? Double.NaN
                        : x.lastUpdate().toEpochMilli() / 1000.0)
                .description("When the last fetch finished, successful or not (Unix seconds; NaN before the first)")
                .baseUnit("seconds").tags(tags).strongReference(true).register(registry);
        FunctionCounter.builder(PREFIX + "fetches", c, ManagedCertificate::successes)
                .description("OCSP fetches by certificate and result (failed includes refused, revoked and unknown answers)")
                .tags(tags).tag("result", "ok").register(registry);
        FunctionCounter.builder(PREFIX + "fetches", c, ManagedCertificate::failures)
                .description("OCSP fetches by certificate and result (failed includes refused, revoked and unknown answers)")
                .tags(tags).tag("result", "failed").register(registry);
        Counter installs = Counter.builder(PREFIX + "staple.installs")
                .description("New staples installed (fetched, from a .ocsp file or pushed over the runtime API)")
                .tags(tags).register(registry);
        Counter expiries = Counter.builder(PREFIX + "staple.expiries")
                .description("Staples dropped because they reached their nextUpdate without a replacement")
                .tags(tags).register(registry);
        return new Bound(c, installs, expiries);
    }

    private boolean valid(Staple s) {
        return s != null && s.isValidAt(clock.instant());
    }

    private double expiresIn(Staple s) {
        return s == null ? Double.NaN : Duration.between(clock.instant(), s.nextUpdate()).toMillis() / 1000.0;
    }

    private double age(Staple s) {
        return s == null ? Double.NaN : Duration.between(s.producedAt(), clock.instant()).toMillis() / 1000.0;
    }

    private static double lastFetchSuccess(ManagedCertificate c) {
        UpdateResult r = c.lastResult();
        return r == UpdateResult.UNKNOWN ? Double.NaN : r == UpdateResult.OK ? 1 : 0;
    }

    /** Responders are labelled by origin only, so paths or GET-encoded requests cannot explode the series. */
    static String responderLabel(URI responder) {
        if (responder == null) {
            return "none";
        }
        return responder.getScheme() + "://" + responder.getAuthority();
    }

    private Timer fetchDuration(ManagedCertificate c) {
        String responder = responderLabel(c.responder());
        return fetchDurations.computeIfAbsent(responder, r -> Timer.builder(PREFIX + "fetch.duration")
                .description("Time of successful OCSP fetches (request, response and verification), by responder")
                .tag("responder", r)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry));
    }

    // ---- OcspListener: called on the engine's threads ---------------------------------------------

    @Override
    public void fetchSucceeded(ManagedCertificate c, Duration took) {
        bind(c);
        fetchDuration(c).record(took);
    }

    @Override
    public void fetchFailed(ManagedCertificate c, String reason) {
        bind(c);
    }

    @Override
    public void stapleChanged(ManagedCertificate c, Staple old, Staple now) {
        Bound b = bind(c);
        if (now != null) {
            b.installs().increment();
        }
    }

    @Override
    public void stapleExpired(ManagedCertificate c, Staple expired) {
        bind(c).expiries().increment();
    }

    @Override
    public void mustStapleAlarm(ManagedCertificate c, boolean raised) {
        bind(c);
    }
}
