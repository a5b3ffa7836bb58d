package io.stapled.ocsp;

/** The HTTP exchange with a responder failed; {@link #kind()} says how. */
public final class OcspFetchException extends Exception {
    /** How the exchange failed. */
    public enum Kind { CONNECT, TIMEOUT, HTTP_STATUS, TOO_LARGE, IO }

    private final Kind kind;

    public OcspFetchException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
