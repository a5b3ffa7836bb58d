package io.stapled.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.stapled.ocsp.StapleSlot;
import io.stapled.tls.LoadedCertificate;

/**
 * Per-certificate counters the handshake path increments, keyed by the certificate's own
 * {@link StapleSlot} (one per certificate, shared by the TLS side and the OCSP engine), so a handshake
 * finds its counter with one identity-hash lookup and no tag building.
 */
final class CertificateMeters {
    static final String STAPLES_SERVED = "stapled.tls.staples.served";

    private final MeterRegistry registry;
    private final Map<StapleSlot, Counter> staplesServed = new ConcurrentHashMap<>();

    CertificateMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Names the certificate that owns {@code slot}; the first name given to a slot stays. */
    Counter register(String certificate, StapleSlot slot) {
        return staplesServed.computeIfAbsent(slot, s -> Counter.builder(STAPLES_SERVED)
                .description("TLS handshakes completed with an OCSP staple, by certificate")
                .tag("certificate", certificate)
                .register(registry));
    }

    /** The counter of a certificate; one not registered yet is named by its file. */
    Counter staplesServed(LoadedCertificate certificate) {
        Counter c = staplesServed.get(certificate.stapleSlot());
        return c != null ? c : register(certificate.source().toString(), certificate.stapleSlot());
    }
}
