package io.stapled.config;

import java.util.List;

/**
 * One listener: TLS, or plain HTTP when {@code tls} is null ({@code tls: false}).
 *
 * @param name               unique name, used in logs, metrics and the runtime API
 * @param bind               address to listen on
 * @param mode               HTTP reverse proxy or raw TCP relay after TLS
 * @param backend            the default backend: where requests no route matched go; null when the
 *                           frontend answers those itself ({@code routing.fallback()}) or has none (503)
 * @param certificates       where certificates come from, in order; the first certificate loaded is
 *                           the default unless {@code defaultCertificate} names one
 * @param defaultCertificate path of the certificate served when no name matches, or null
 * @param tls                protocol, cipher, ALPN and session settings; null for a plain-HTTP frontend,
 *                           which has no certificates
 * @param http               HTTP-mode settings (ignored in TCP mode)
 * @param maxConnections     cap on concurrent client connections; at the cap the listener stops
 *                           accepting and more wait in the listen backlog
 * @param clientTimeout      idle timeout on the client side
 * @param accessLog          one line per HTTP request in this layout ({@code access_log}), or null for none
 * @param maxHandshakesPerSource connections one client address may have in the TLS handshake at
 *                           once; more are closed at accept (0: no limit)
 * @param http2              HTTP/2 settings for clients that pick {@code h2} by ALPN (HTTP mode only)
 * @param routing            routes tried in order before the default backend
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
        AccessLogConfig accessLog,
        int maxHandshakesPerSource,
        Http2Config http2,
        RoutingConfig routing,
        AcceptProxyConfig acceptProxy) {

    /** Default of {@code max_handshakes_per_source}. */
    public static final int DEFAULT_MAX_HANDSHAKES_PER_SOURCE = 64;

    public FrontendConfig {
        certificates = List.copyOf(certificates);
        if (http2 == null) {
            http2 = Http2Config.defaults(http);
        }
        routing = routing == null ? RoutingConfig.none() : routing;
    }

    /** With the default HTTP/2 settings, no routes and no {@code accept_proxy}. */
    public FrontendConfig(String name, HostPort bind, Mode mode, String backend, List<CertificateSource> certificates,
                          String defaultCertificate, TlsConfig tls, HttpConfig http, int maxConnections,
                          java.time.Duration clientTimeout, boolean accessLog, int maxHandshakesPerSource) {
        this(name, bind, mode, backend, certificates, defaultCertificate, tls, http, maxConnections, clientTimeout,
                AccessLogConfig.of(accessLog), maxHandshakesPerSource, null, null, null);
    }

    /** With the default {@code max_handshakes_per_source}. */
    public FrontendConfig(String name, HostPort bind, Mode mode, String backend, List<CertificateSource> certificates,
                          String defaultCertificate, TlsConfig tls, HttpConfig http, int maxConnections,
                          java.time.Duration clientTimeout, boolean accessLog) {
        this(name, bind, mode, backend, certificates, defaultCertificate, tls, http, maxConnections, clientTimeout,
                AccessLogConfig.of(accessLog), DEFAULT_MAX_HANDSHAKES_PER_SOURCE, null, null, null);
    }

    /** No TLS: a plain-HTTP listener. */
    public boolean plain() {
        return tls == null;
    }

    public FrontendConfig withRouting(RoutingConfig routing) {
        return new FrontendConfig(name, bind, mode, backend, certificates, defaultCertificate, tls, http,
                maxConnections, clientTimeout, accessLog, maxHandshakesPerSource, http2, routing, acceptProxy);
    }

    public FrontendConfig withAcceptProxy(AcceptProxyConfig acceptProxy) {
        return new FrontendConfig(name, bind, mode, backend, certificates, defaultCertificate, tls, http,
                maxConnections, clientTimeout, accessLog, maxHandshakesPerSource, http2, routing, acceptProxy);
    }

    public FrontendConfig withBind(HostPort bind) {
        return new FrontendConfig(name, bind, mode, backend, certificates, defaultCertificate, tls, http,
                maxConnections, clientTimeout, accessLog, maxHandshakesPerSource, http2, routing, acceptProxy);
    }

    public FrontendConfig withBackend(String backend) {
        return new FrontendConfig(name, bind, mode, backend, certificates, defaultCertificate, tls, http,
                maxConnections, clientTimeout, accessLog, maxHandshakesPerSource, http2, routing, acceptProxy);
    }

    public FrontendConfig withCertificates(List<CertificateSource> certificates) {
        return new FrontendConfig(name, bind, mode, backend, certificates, defaultCertificate, tls, http,
                maxConnections, clientTimeout, accessLog, maxHandshakesPerSource, http2, routing, acceptProxy);
    }

    public FrontendConfig withTls(TlsConfig tls) {
        return new FrontendConfig(name, bind, mode, backend, certificates, defaultCertificate, tls, http,
                maxConnections, clientTimeout, accessLog, maxHandshakesPerSource, http2, routing, acceptProxy);
    }

    /** HTTP/2 settings left at their defaults follow the new {@code http}'s header limit. */
    public FrontendConfig withHttp(HttpConfig http) {
        Http2Config h2 = http2.equals(Http2Config.defaults(this.http)) ? null : http2;
        return new FrontendConfig(name, bind, mode, backend, certificates, defaultCertificate, tls, http,
                maxConnections, clientTimeout, accessLog, maxHandshakesPerSource, h2, routing, acceptProxy);
    }

    public FrontendConfig withMaxConnections(int maxConnections) {
        return new FrontendConfig(name, bind, mode, backend, certificates, defaultCertificate, tls, http,
                maxConnections, clientTimeout, accessLog, maxHandshakesPerSource, http2, routing, acceptProxy);
    }

    public FrontendConfig withClientTimeout(java.time.Duration clientTimeout) {
        return new FrontendConfig(name, bind, mode, backend, certificates, defaultCertificate, tls, http,
                maxConnections, clientTimeout, accessLog, maxHandshakesPerSource, http2, routing, acceptProxy);
    }

    /** {@code access_log: true} or {@code false}. */
    public FrontendConfig withAccessLog(boolean accessLog) {
        return withAccessLog(AccessLogConfig.of(accessLog));
    }

    public FrontendConfig withAccessLog(AccessLogConfig accessLog) {
        return new FrontendConfig(name, bind, mode, backend, certificates, defaultCertificate, tls, http,
                maxConnections, clientTimeout, accessLog, maxHandshakesPerSource, http2, routing, acceptProxy);
    }

    public FrontendConfig withMaxHandshakesPerSource(int maxHandshakesPerSource) {
        return new FrontendConfig(name, bind, mode, backend, certificates, defaultCertificate, tls, http,
                maxConnections, clientTimeout, accessLog, maxHandshakesPerSource, http2, routing, acceptProxy);
    }

    public FrontendConfig withHttp2(Http2Config http2) {
        return new FrontendConfig(name, bind, mode, backend, certificates, defaultCertificate, tls, http,
                maxConnections, clientTimeout, accessLog, maxHandshakesPerSource, http2, routing, acceptProxy);
    }

    public enum Mode { HTTP, TCP }
}
