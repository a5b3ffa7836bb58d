package io.stapled.ocsp;

import java.time.Instant;

/**
 * A response whose signature, CertID and times checked out. Only a GOOD one becomes a {@link Staple};
 * REVOKED and UNKNOWN are reported and never installed.
 *
 * @param revocationTime   for REVOKED, else null
 * @param revocationReason for REVOKED with a reason code, else null
 */
public record VerifiedResponse(
        byte[] der,
        Staple.CertStatus status,
        Instant thisUpdate,
        Instant nextUpdate,
        Instant producedAt,
        Instant revocationTime,
        String revocationReason) {

    public Staple toStaple(Staple.Origin origin, Instant receivedAt) {
        return new Staple(der, status, thisUpdate, nextUpdate, producedAt, origin, receivedAt);
    }
}
