package io.stapled.ocsp;

/** A response that must not be stapled; the message says why in one line. */
public final class OcspVerificationException extends Exception {
    public OcspVerificationException(String message) {
        super(message);
    }

    public OcspVerificationException(String message, Throwable cause) {
        super(message, cause);
    }
}
