package io.stapled.metrics;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.stapled.tls.CertificateChecks;
import io.stapled.tls.LoadedCertificate;
import io.stapled.tls.TlsFrontend;

/**
 * The certificate part of {@code /readyz}. An expired, not yet valid or expiring certificate (within
 * {@link CertificateChecks#EXPIRY_WARNING}) is a detail line: other certificates still serve, and
 * taking every replica out of a load balancer for one bad name would turn a partial outage into a
 * full one. Only when every certificate served has expired is the proxy not ready, since then no
 * client can complete a handshake it would accept.
 *
 * <p>With {@code ready_min_certificate_validity} the operator chooses the other way: any certificate a
 * frontend serves with less than that left makes the proxy not ready, so that a replica whose
 * renewal did not arrive leaves the load balancer before its clients see an expired certificate.
 */
final class CertificateExpiryCheck implements ReadinessCheck {
    private final List<TlsFrontend> frontends;
    private final Duration minValidity;

    /** @param minValidity {@code ready_min_certificate_validity}, or null */
    CertificateExpiryCheck(List<TlsFrontend> frontends, Duration minValidity) {
        this.frontends = frontends;
        this.minValidity = minValidity;
    }

    @Override
    public void check(Instant now, List<String> problems) {
        if (minValidity != null) {
            checkMinValidity(now, problems);
        }
        int served = 0;
        for (TlsFrontend f : frontends) {
            for (LoadedCertificate c : f.servedCertificates()) {
                served++;
                if (now.isBefore(c.leaf().getNotAfter().toInstant())) {
                    return;
                }
            }
        }
        if (served > 0) {
            problems.add("every certificate served has expired (" + served + ")");
        }
    }

    private void checkMinValidity(Instant now, List<String> problems) {
        for (TlsFrontend f : frontends) {
            Set<Path> seen = new HashSet<>();
            for (LoadedCertificate c : f.servedCertificates()) {
                Instant notAfter = c.leaf().getNotAfter().toInstant();
                Duration left = Duration.between(now, notAfter);
                if (left.compareTo(minValidity) < 0 && seen.add(c.source())) {
                    problems.add("certificate " + c.source() + " of frontend " + f.name()
                            + (left.isNegative() || left.isZero() ? " expired at " + notAfter
                                    : " expires at " + notAfter + " (in " + left.toSeconds() + "s)")
                            + ", less than ready_min_certificate_validity " + minValidity.toSeconds() + "s");
                }
            }
        }
    }

    @Override
    public void details(Instant now, List<String> details) {
        Set<String> seen = new HashSet<>();
        for (TlsFrontend f : frontends) {
            for (LoadedCertificate c : f.servedCertificates()) {
                // the same file served by two frontends is one line
                if (!seen.add(c.source() + "#" + c.leaf().getSerialNumber())) {
                    continue;
                }
                String line = describe(c, now);
                if (line != null) {
                    details.add(line);
                }
            }
        }
    }

    private static String describe(LoadedCertificate c, Instant now) {
        Instant notAfter = c.leaf().getNotAfter().toInstant();
        Instant notBefore = c.leaf().getNotBefore().toInstant();
        String name = "certificate " + c.source();
        if (!now.isBefore(notAfter)) {
            return name + " expired at " + notAfter;
        }
        if (now.isBefore(notBefore)) {
            return name + " is not valid before " + notBefore;
        }
        Duration left = Duration.between(now, notAfter);
        if (left.compareTo(CertificateChecks.EXPIRY_WARNING) < 0) {
            return name + " expires at " + notAfter + " (in " + left.toHours() / 24 + "d " + left.toHours() % 24 + "h)";
        }
        return null;
    }
}
