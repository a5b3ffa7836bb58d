package io.stapled.ocsp;

import java.time.Instant;

/**
 * A verified OCSP response ready to be stapled: the DER bytes sent in handshakes and the facts read
 * from it. Immutable; {@link #der()} is shared, never modify it.
 *
 * @param der         the whole OCSPResponse, DER-encoded
 * @param status      the single response's certificate status (only GOOD is ever stapled)
 * @param thisUpdate  from the single response
 * @param nextUpdate  from the single response; never null for a stapleable response
 * @param producedAt  from the basic response
 * @param origin      where the bytes came from
 * @param receivedAt  when stapled accepted it
 */
public record Staple(
        byte[] der,
        CertStatus status,
        Instant thisUpdate,
        Instant nextUpdate,
        Instant producedAt,
        Origin origin,
        Instant receivedAt) {

    /** The certificate status inside an OCSP single response. */
    public enum CertStatus { GOOD, REVOKED, UNKNOWN }

    /**
     * Where a response came from, in order of trust: fetched by this engine, a {@code .ocsp} file, pushed
     * over the runtime API, or read from the fleet's shared store ({@link SharedStaples}) — fetched by
     * another member, but verified here again.
     */
    public enum Origin { FETCHED, FILE, RUNTIME_API, FLEET }

    public boolean isValidAt(Instant now) {
        return now.isBefore(nextUpdate);
    }
}
