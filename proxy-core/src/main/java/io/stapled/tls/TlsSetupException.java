package io.stapled.tls;

/**
 * A frontend's TLS cannot be set up: a certificate file that cannot be read or used, a bad crt-list
 * line, a cipher string BoringSSL rejects, or a TLS provider that cannot load. The message is one
 * line naming the file (and line) and what is wrong.
 */
public class TlsSetupException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TlsSetupException(String message) {
        super(message);
    }

    public TlsSetupException(String message, Throwable cause) {
        super(message, cause);
    }
}
