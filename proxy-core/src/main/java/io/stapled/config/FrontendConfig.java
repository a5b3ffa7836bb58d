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
 * @param maxConnections     cap on concurrent client connections; at the cap the listener stops
 *                           accepting and more wait in the listen backlog
 * @param clientTimeout      idle timeout on the client side
 * @param accessLog          log one line per HTTP request
 * @param maxHandshakesPerSource connections one client address may have in the TLS handshake at
 *                           once; more are closed at accept (0: no limit)
 * @param acceptProxy        PROXY protocol header expected before TLS ({@code accept_proxy}), or null
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
        boolean accessLog,
        int maxHandshakesPerSource,
        AcceptProxyConfig acceptProxy) {

    /** Default of {@code max_handshakes_per_source}. */
    public static final int DEFAULT_MAX_HANDSHAKES_PER_SOURCE = 64;

    public FrontendConfig {
        certificates = List.copyOf(certificates);
    }

    /** Without {@code accept_proxy}. */
    public FrontendConfig(String name, HostPort bind, Mode mode, String backend, List<CertificateSource> certificates,
                          String defaultCertificate, TlsConfig tls, HttpConfig http, int maxConnections,
                          java.time.Duration clientTimeout, boolean accessLog, int maxHandshakesPerSource) {
        this(name, bind, mode, backend, certificates, defaultCertificate, tls, http, maxConnections, clientTimeout,
                accessLog, maxHandshakesPerSource, null);
    }

    /** With the default {@code max_handshakes_per_source}. */
    public FrontendConfig(String name, HostPort bind, Mode mode, String backend, List<CertificateSource> certificates,
                          String defaultCertificate, TlsConfig tls, HttpConfig http, int maxConnections,
                          java.time.Duration clientTimeout, boolean accessLog) {
        this(name, bind, mode, backend, certificates, defaultCertificate, tls, http, maxConnections, clientTimeout,
                accessLog, DEFAULT_MAX_HANDSHAKES_PER_SOURCE);
    }

    public FrontendConfig withBind(HostPort bind) {
        return new FrontendConfig(name, bind, mode, backend, certificates, defaultCertificate, tls, http,
                maxConnections, clientTimeout, accessLog, maxHandshakesPerSource, acceptProxy);
    }

    public FrontendConfig withBackend(String backend) {
        return new FrontendConfig(name, bind, mode, backend, certificates, defaultCertificate, tls, http,
                maxConnections, clientTimeout, accessLog, maxHandshakesPerSource, acceptProxy);
    }

    public FrontendConfig withCertificates(List<CertificateSource> certificates) {
        return new FrontendConfig(name, bind, mode, backend, certificates, defaultCertificate, tls, http,
                maxConnections, clientTimeout, accessLog, maxHandshakesPerSource, acceptProxy);
    }

    public FrontendConfig withTls(TlsConfig tls) {
        return new FrontendConfig(name, bind, mode, backend, certificates, defaultCertificate, tls, http,
                maxConnections, clientTimeout, accessLog, maxHandshakesPerSource, acceptProxy);
    }

    public FrontendConfig withHttp(HttpConfig http) {
        return new FrontendConfig(name, bind, mode, backend, certificates, defaultCertificate, tls, http,
                maxConnections, clientTimeout, accessLog, maxHandshakesPerSource, acceptProxy);
    }

    public FrontendConfig withMaxConnections(int maxConnections) {
        return new FrontendConfig(name, bind, mode, backend, certificates, defaultCertificate, tls, http,
                maxConnections, clientTimeout, accessLog, maxHandshakesPerSource, acceptProxy);
    }

    public FrontendConfig withClientTimeout(java.time.Duration clientTimeout) {
        return new FrontendConfig(name, bind, mode, backend, certificates, defaultCertificate, tls, http,
                maxConnections, clientTimeout, accessLog, maxHandshakesPerSource, acceptProxy);
    }

    public FrontendConfig withAccessLog(boolean accessLog) {
        return new FrontendConfig(name, bind, mode, backend, certificates, defaultCertificate, tls, http,
                maxConnections, clientTimeout, accessLog, maxHandshakesPerSource, acceptProxy);
    }

    public FrontendConfig withMaxHandshakesPerSource(int maxHandshakesPerSource) {
        return new FrontendConfig(name, bind, mode, backend, certificates, defaultCertificate, tls, http,
                maxConnections, clientTimeout, accessLog, maxHandshakesPerSource, acceptProxy);
    }

    public FrontendConfig withAcceptProxy(AcceptProxyConfig acceptProxy) {
        return new FrontendConfig(name, bind, mode, backend, certificates, defaultCertificate, tls, http,
                maxConnections, clientTimeout, accessLog, maxHandshakesPerSource, acceptProxy);
    }

    public enum Mode { HTTP, TCP }
}
