package io.stapled.proxy.backend;

/**
 * Outcome of one health check, named with HAProxy's {@code check_status} words so {@code show stat}
 * output reads the same.
 */
public enum CheckStatus {
    /** Not checked yet. */
    INI(false),
    /** TCP connect succeeded (TCP check). */
    L4OK(true),
    /** TCP connect refused, reset or unreachable. */
    L4CON(false),
    /** TCP connect did not finish within the check timeout. */
    L4TOUT(false),
    /** TLS handshake succeeded (TCP check of a TLS server). */
    L6OK(true),
    /** TLS handshake did not finish within the check timeout. */
    L6TOUT(false),
    /** TLS handshake failed: no TLS server, or a certificate that does not verify. */
    L6RSP(false),
    /** HTTP answered with the expected status. */
    L7OK(true),
    /** HTTP answered with another status. */
    L7STS(false),
    /** Connected, but no complete HTTP status line within the timeout. */
    L7TOUT(false),
    /** Connected, but the peer closed or sent something that is not an HTTP response. */
    L7RSP(false),
    /** Local error before the check could even start (e.g. no socket). */
    SOCKERR(false);

    private final boolean success;

    CheckStatus(boolean success) {
        this.success = success;
    }

    public boolean isSuccess() {
        return success;
    }
}
