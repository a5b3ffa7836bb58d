package io.stapled.config;

import java.time.Duration;
import java.util.List;

/**
 * TLS settings of a frontend.
 *
 * @param protocols          enabled protocol versions, e.g. TLSv1.2, TLSv1.3
 * @param ciphers            TLS 1.2 cipher list in OpenSSL syntax, or null for BoringSSL's defaults
 * @param ciphersuites       TLS 1.3 suites, or null for the defaults
 * @param alpn               ALPN protocols offered, in preference order (default h2, http/1.1; TCP mode: none)
 * @param sessionTickets     issue and accept session tickets
 * @param ticketKeyRotation  how often a new ticket key is made (the previous one still decrypts)
 * @param sessionCacheSize   server-side session cache entries
 * @param sessionTimeout     session lifetime
 * @param handshakeTimeout   a client that has not finished the handshake by then is closed
 * @param strictSni          HAProxy's {@code strict-sni}: no default certificate, a client without SNI or
 *                           with a name no certificate serves fails the handshake
 * @param clientAuth         client certificates asked for ({@link ClientAuthConfig#NONE}: none)
 */
public record TlsConfig(
        List<String> protocols,
        String ciphers,
        String ciphersuites,
        List<String> alpn,
        boolean sessionTickets,
        Duration ticketKeyRotation,
        int sessionCacheSize,
        Duration sessionTimeout,
        Duration handshakeTimeout,
        boolean strictSni,
        ClientAuthConfig clientAuth) {

    public TlsConfig {
        protocols = List.copyOf(protocols);
        alpn = List.copyOf(alpn);
        clientAuth = clientAuth == null ? ClientAuthConfig.NONE : clientAuth;
    }

    public TlsConfig(List<String> protocols, String ciphers, String ciphersuites, List<String> alpn,
                     boolean sessionTickets, Duration ticketKeyRotation, int sessionCacheSize,
                     Duration sessionTimeout, Duration handshakeTimeout, boolean strictSni) {
        this(protocols, ciphers, ciphersuites, alpn, sessionTickets, ticketKeyRotation, sessionCacheSize,
                sessionTimeout, handshakeTimeout, strictSni, ClientAuthConfig.NONE);
    }

    public TlsConfig(List<String> protocols, String ciphers, String ciphersuites, List<String> alpn,
                     boolean sessionTickets, Duration ticketKeyRotation, int sessionCacheSize,
                     Duration sessionTimeout, Duration handshakeTimeout) {
        this(protocols, ciphers, ciphersuites, alpn, sessionTickets, ticketKeyRotation, sessionCacheSize,
                sessionTimeout, handshakeTimeout, false, ClientAuthConfig.NONE);
    }

    public TlsConfig withStrictSni(boolean strict) {
        return new TlsConfig(protocols, ciphers, ciphersuites, alpn, sessionTickets, ticketKeyRotation,
                sessionCacheSize, sessionTimeout, handshakeTimeout, strict, clientAuth);
    }

    public TlsConfig withClientAuth(ClientAuthConfig clientAuth) {
        return new TlsConfig(protocols, ciphers, ciphersuites, alpn, sessionTickets, ticketKeyRotation,
                sessionCacheSize, sessionTimeout, handshakeTimeout, strictSni, clientAuth);
    }

    public static TlsConfig defaults() {
        return new TlsConfig(List.of("TLSv1.2", "TLSv1.3"), null, null, List.of("h2", "http/1.1"), true,
                Duration.ofHours(1), 20_000, Duration.ofMinutes(5), Duration.ofSeconds(10));
    }
}
