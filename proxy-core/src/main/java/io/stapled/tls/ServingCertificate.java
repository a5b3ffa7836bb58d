package io.stapled.tls;

import io.netty.handler.ssl.SslContext;

/** A loaded certificate with the server context its handshakes use. */
public record ServingCertificate(LoadedCertificate certificate, SslContext sslContext) {

    public KeyType keyType() {
        return certificate.keyType();
    }
}
