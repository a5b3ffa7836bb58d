package io.stapled.ocsp;

/** A response that must not be stapled; the message says why in one line. */
public final class OcspVerificationException extends Exception {
    /** What kind of problem, stable across attempts (the message carries dates that vary). */
    public enum Problem {
        MALFORMED, RESPONSE_STATUS, SIGNATURE, WRONG_CERTIFICATE, NONCE, NOT_YET_VALID, EXPIRED, NO_NEXT_UPDATE
    }

    private final Problem problem;

    public OcspVerificationException(Problem problem, String message) {
        super(message);
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }
}
