package io.stapled.ocsp;

/**
 * What {@link OcspManager#accept} did with a pushed response.
 *
 * @param result        UPDATED / UNCHANGED when installed; REFUSED, REVOKED or UNKNOWN otherwise
 * @param certificateId the certificate the response was routed to by its CertID, or null if none matched
 * @param detail        one line: why it was refused, or what was installed
 */
public record AcceptOutcome(RefreshOutcome.Result result, String certificateId, String detail) {

    public boolean accepted() {
        return result == RefreshOutcome.Result.UPDATED || result == RefreshOutcome.Result.UNCHANGED;
    }
}
