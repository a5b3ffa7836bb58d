package io.stapled.tls;

import io.netty.handler.ssl.SslContext;

/**
 * A loaded certificate with the server context its handshakes use, and the verifier of client
 * certificates that context asks for (null when it asks for none).
 */
public record ServingCertificate(LoadedCertificate certificate, SslContext sslContext,
                                 ClientCertificateVerifier clientVerifier) {

    public ServingCertificate(LoadedCertificate certificate, SslContext sslContext) {
        this(certificate, sslContext, null);
    }

    /** The same context and verifier, serving {@code other} (the certificate with another staple slot). */
    public ServingCertificate with(LoadedCertificate other) {
        return new ServingCertificate(other, sslContext, clientVerifier);
    }

    public KeyType keyType() {
        return certificate.keyType();
    }
}
