package io.stapled.admin;

import java.net.URI;
import java.time.Instant;

import io.stapled.ocsp.Staple;

/**
 * A read-only view of one managed certificate's OCSP state, as the runtime API shows it.
 *
 * @param id                the engine's id of the certificate
 * @param path              the certificate file as configured (HAProxy's "Certificate path")
 * @param certIdHex         the DER CertID in lowercase hex (HAProxy's "Certificate ID key")
 * @param issuerNameHashHex lowercase hex
 * @param issuerKeyHashHex  lowercase hex
 * @param serialHex         the serial's magnitude in hex
 * @param responder         the responder asked, or null when the certificate has none
 * @param mustStaple        the certificate carries the TLS Feature status_request extension
 * @param staple            the current verified staple, or null
 * @param nextRefresh       when the next fetch is planned, or null
 * @param lastUpdate        when the last fetch succeeded, or null
 * @param successes         successful fetches
 * @param failures          failed fetches
 * @param lastStatus        HAProxy's update status code: 0 unknown, 1 successful, 2 HTTP error,
 *                          4 OCSP response check failure, 5 error during insertion
 * @param lastError         the last failure in one line, or null
 */
public record OcspEntry(
        String id,
        String path,
        String certIdHex,
        String issuerNameHashHex,
        String issuerKeyHashHex,
        String serialHex,
        URI responder,
        boolean mustStaple,
        Staple staple,
        Instant nextRefresh,
        Instant lastUpdate,
        long successes,
        long failures,
        int lastStatus,
        String lastError) {

    /** HAProxy's text for {@link #lastStatus}. */
    public String lastStatusText() {
        return switch (lastStatus) {
            case 1 -> "Update successful";
            case 2 -> "HTTP error";
            case 3 -> "Missing \"ocsp-response\" header";
            case 4 -> "OCSP response check failure";
            case 5 -> "Error during insertion";
            default -> "Unknown";
        };
    }
}
