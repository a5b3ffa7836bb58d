package io.stapled.metrics;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

import io.stapled.config.AdminHttpConfig;
import io.stapled.ocsp.ManagedCertificate;
import io.stapled.ocsp.OcspManager;
import io.stapled.ocsp.Staple;

/**
 * The staple part of {@code /readyz}: a Must-Staple certificate without a valid staple (when
 * {@code ready_requires_must_staple}), and any staple whose nextUpdate is closer than
 * {@code ready_min_staple_validity} (or that has none although the engine fetches it). Certificates
 * with OCSP disabled, and those without a responder or issuer and without a staple, are not looked at.
 */
final class StapleReadinessCheck implements ReadinessCheck {
    private final OcspManager manager;
    private final boolean requireMustStaple;
    private final Duration minValidity;

    StapleReadinessCheck(OcspManager manager, AdminHttpConfig config) {
        this.manager = manager;
        this.requireMustStaple = config.readyRequiresMustStaple();
        this.minValidity = config.readyMinStapleValidity();
    }

    @Override
    public void check(Instant now, List<String> problems) {
        List<ManagedCertificate> certs = new java.util.ArrayList<>(manager.certificates());
        certs.sort(Comparator.comparing(ManagedCertificate::id));
        for (ManagedCertificate c : certs) {
            if (!c.enabled()) {
                continue;
            }
            Staple s = c.staple();
            boolean valid = s != null && s.isValidAt(now);
            if (requireMustStaple && c.mustStaple() && !valid) {
                problems.add("Must-Staple certificate " + c.id() + " has no valid OCSP staple"
                        + (s == null ? "" : " (it expired at " + s.nextUpdate() + ")"));
            } else if (minValidity != null && s == null && c.notFetchable() == null) {
                problems.add("OCSP staple of " + c.id() + " is missing (ready_min_staple_validity "
                        + minValidity.toSeconds() + "s)");
            } else if (minValidity != null && s != null) {
                Duration left = Duration.between(now, s.nextUpdate());
                if (left.compareTo(minValidity) < 0) {
                    problems.add("OCSP staple of " + c.id() + (valid ? " expires at " + s.nextUpdate() + " (in "
                            + left.toSeconds() + "s)" : " expired at " + s.nextUpdate())
                            + ", less than ready_min_staple_validity " + minValidity.toSeconds() + "s");
                }
            }
        }
    }
}
