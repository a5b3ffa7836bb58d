package io.stapled.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.stapled.tls.LoadedCertificate;
import io.stapled.tls.TlsFrontend;

/**
 * {@code stapled_certificate_not_after_seconds{frontend, certificate}}: when each certificate a
 * frontend serves now expires (Unix time), so an alert can say {@code - time() < 14 * 86400}. The
 * series follow the served set: {@link #refresh} (before each scrape) adds certificates swapped in or
 * added at run time and removes those no longer served.
 */
final class CertificateExpiryMeters {
    static final String NOT_AFTER = "stapled.certificate.not.after.seconds";

    private final List<TlsFrontend> frontends;
    private final MultiGauge gauge;

    CertificateExpiryMeters(MeterRegistry registry, List<TlsFrontend> frontends) {
        this.frontends = frontends;
        this.gauge = MultiGauge.builder(NOT_AFTER)
                .description("notAfter of each certificate a frontend serves, Unix time")
                .register(registry);
    }

    void refresh() {
        // One series per frontend and file: an ECDSA and an RSA certificate of one bundle have their own files.
        Map<Tags, Double> notAfter = new LinkedHashMap<>();
        for (TlsFrontend f : frontends) {
            for (LoadedCertificate c : f.servedCertificates()) {
                notAfter.putIfAbsent(Tags.of("frontend", f.name(), "certificate", c.source().toString()),
                        c.leaf().getNotAfter().getTime() / 1000.0);
            }
        }
        List<MultiGauge.Row<?>> rows = new ArrayList<>(notAfter.size());
        notAfter.forEach((tags, seconds) -> rows.add(MultiGauge.Row.of(tags, seconds)));
        gauge.register(rows, true);
    }
}
