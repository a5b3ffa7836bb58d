package io.stapled.config;

import java.util.List;

/**
 * One TLS listener.
 *
 * @param name               unique name, used in logs, metrics and the runtime API
 * @param bind               address to listen on
 * @param mode               HTTP reverse proxy or raw TCP relay after TLS
 * @param backend            name of the backend this frontend sends to
 * @param certificates       where certificates come from, in order; the first certificate loaded is
 *                           the default unless {@code defaultCertificate} names one
 * @param defaultCertificate path of the certificate served when no name matches, or null
 * @param tls                protocol, cipher, ALPN and session settings
 * @param http               HTTP-mode settings (ignored in TCP mode)
 * @param maxConnections     cap on concurrent client connections; more are closed at accept
 * @param clientTimeout      idle timeout on the client side
 * @param accessLog          log one line per HTTP request
 */
public record FrontendConfig(
        String name,
        HostPort bind,
        Mode mode,
        String backend,
        List<CertificateSource> certificates,
        String defaultCertificate,
        TlsConfig tls,
        HttpConfig http,
        int maxConnections,
        java.time.Duration clientTimeout,
        boolean accessLog) {

    public FrontendConfig {
        certificates = List.copyOf(certificates);
    }

    public enum Mode { HTTP, TCP }
}
