package io.stapled.ocsp;

/**
 * What one fetch (or one push, see {@link AcceptOutcome}) did.
 *
 * @param result        what happened
 * @param certificateId the managed certificate concerned, or null if none
 * @param detail        one line for humans: the reason of a refusal or failure, or what was installed
 * @param staple        the staple held afterwards (may be the old one), or null
 */
public record RefreshOutcome(Result result, String certificateId, String detail, Staple staple) {

    /** The outcome of a fetch or a push. */
    public enum Result {
        /** A new good staple was installed. */
        UPDATED,
        /** The response was verified and good but identical to the one held. */
        UNCHANGED,
        /** The response failed verification or is older than the one held; the old staple is kept. */
        REFUSED,
        /** The responder says the certificate is revoked; nothing installed, the old staple kept. */
        REVOKED,
        /** The responder does not know the certificate; nothing installed, the old staple kept. */
        UNKNOWN,
        /** The HTTP exchange failed. */
        FAILED,
        /** No responder URL, no issuer, or OCSP disabled for this certificate. */
        NOT_FETCHABLE,
        /** Fleet mode: another member holds the fetch lease; its staple will be published, asked again soon. */
        DEFERRED
    }

    public boolean installed() {
        return result == Result.UPDATED || result == Result.UNCHANGED;
    }
}
