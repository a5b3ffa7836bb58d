package io.stapled.config;

import java.net.URI;
import java.time.Duration;

/**
 * Global OCSP stapling settings ({@code ocsp:} in the YAML).
 *
 * @param enabled          staple at all
 * @param responder        a responder URL that overrides every certificate's AIA URL, or null
 * @param httpProxy        an outbound HTTP proxy for responder requests ("host:port"), or null
 * @param startupWait      how long start-up waits for missing staples before opening listeners
 * @param connectTimeout   responder connect timeout
 * @param readTimeout      responder read timeout
 * @param maxResponseSize  bytes; larger responses are refused
 * @param minRefresh       never refresh sooner than this after a fetch
 * @param maxRefresh       never wait longer than this between refreshes
 * @param retryInitial     first retry delay after a failure (doubles, with jitter)
 * @param retryMax         cap on the retry delay
 * @param clockSkew        how far in the future thisUpdate may be
 * @param useNonce         send a nonce (off: most CA responders ignore it and it defeats caching)
 * @param hashAlgorithm    CertID hash, SHA1 (what responders expect) or SHA256
 * @param useGet           use HTTP GET for requests under 255 bytes (RFC 5019)
 * @param requestsPerSecond per-responder rate limit
 * @param persist          write verified responses to the certificate's .ocsp sibling
 * @param watchFiles       pick up .ocsp files changed by someone else
 * @param mustStapleRequired refuse to start when a Must-Staple certificate has no valid staple
 */
public record OcspConfig(
        boolean enabled,
        URI responder,
        String httpProxy,
        Duration startupWait,
        Duration connectTimeout,
        Duration readTimeout,
        int maxResponseSize,
        Duration minRefresh,
        Duration maxRefresh,
        Duration retryInitial,
        Duration retryMax,
        Duration clockSkew,
        boolean useNonce,
        String hashAlgorithm,
        boolean useGet,
        double requestsPerSecond,
        boolean persist,
        boolean watchFiles,
        boolean mustStapleRequired) {

    public static OcspConfig defaults() {
        return new OcspConfig(true, null, null, Duration.ofSeconds(5), Duration.ofSeconds(5),
                Duration.ofSeconds(10), 64 * 1024, Duration.ofMinutes(5), Duration.ofDays(1),
                Duration.ofSeconds(10), Duration.ofMinutes(30), Duration.ofMinutes(5), false, "SHA1",
                true, 5.0, true, true, false);
    }
}
