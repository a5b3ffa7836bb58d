package io.stapled.ocsp;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * How the OCSP engine fetches, verifies and refreshes staples: the one settings type, bound directly
 * from the proxy's {@code ocsp:} YAML section (the defaults below are its defaults). See docs/OCSP.md
 * for every knob.
 *
 * @param enabled            false: every certificate is managed disabled (never fetched, no file loaded,
 *                           runtime pushes refused), whatever its own option says
 * @param responderOverride  a responder used for every certificate instead of its AIA URL, or null
 * @param httpProxy          an outbound HTTP proxy for responder requests, or null for direct
 * @param connectTimeout     responder TCP connect timeout
 * @param readTimeout        responder read timeout (per read, and for the whole body)
 * @param maxResponseSize    bytes; larger responses are refused unread
 * @param minRefresh         never refresh sooner than this after a staple is installed
 * @param maxRefresh         never wait longer than this between refreshes
 * @param retryInitial       first retry delay after a failed fetch; doubles per attempt, with jitter
 * @param retryMax           cap on the retry delay
 * @param clockSkew          how far in the future a response's thisUpdate may be
 * @param useNonce           send a random nonce and require it echoed if the responder echoes one
 * @param hash               CertID hash
 * @param useGet             use HTTP GET (RFC 5019) when the whole GET URL is at most 255 bytes
 * @param requestsPerSecond  per-responder rate limit (all certificates sharing a responder together)
 * @param persist            write each verified fetched response to {@code <certFile>.ocsp}
 * @param watchFiles         pick up {@code .ocsp} files changed by someone else
 * @param pollInterval       how often the scheduler checks due refreshes, expiries and watched files
 * @param mustStapleRequired the caller should refuse to start if a Must-Staple certificate has no staple
 *                           after the initial round (see {@link OcspManager#requireMustStaple()})
 */
public record OcspSettings(
        boolean enabled,
        URI responderOverride,
        InetSocketAddress httpProxy,
        Duration connectTimeout,
        Duration readTimeout,
        int maxResponseSize,
        Duration minRefresh,
        Duration maxRefresh,
        Duration retryInitial,
        Duration retryMax,
        Duration clockSkew,
        boolean useNonce,
        HashAlgorithm hash,
        boolean useGet,
        double requestsPerSecond,
        boolean persist,
        boolean watchFiles,
        Duration pollInterval,
        boolean mustStapleRequired) {

    public OcspSettings {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(readTimeout, "readTimeout");
        Objects.requireNonNull(minRefresh, "minRefresh");
        Objects.requireNonNull(maxRefresh, "maxRefresh");
        Objects.requireNonNull(retryInitial, "retryInitial");
        Objects.requireNonNull(retryMax, "retryMax");
        Objects.requireNonNull(clockSkew, "clockSkew");
        Objects.requireNonNull(hash, "hash");
        Objects.requireNonNull(pollInterval, "pollInterval");
        positive(connectTimeout, "connectTimeout");
        positive(readTimeout, "readTimeout");
        positive(retryInitial, "retryInitial");
        positive(pollInterval, "pollInterval");
        if (maxResponseSize <= 0) {
            throw new IllegalArgumentException("maxResponseSize must be > 0, got " + maxResponseSize);
        }
        if (minRefresh.isNegative() || maxRefresh.compareTo(minRefresh) < 0) {
            throw new IllegalArgumentException("need 0 <= minRefresh <= maxRefresh, got " + minRefresh + " / " + maxRefresh);
        }
        if (retryMax.compareTo(retryInitial) < 0) {
            throw new IllegalArgumentException("retryMax " + retryMax + " is below retryInitial " + retryInitial);
        }
        if (clockSkew.isNegative()) {
            throw new IllegalArgumentException("clockSkew must not be negative, got " + clockSkew);
        }
        if (!(requestsPerSecond > 0)) {
            throw new IllegalArgumentException("requestsPerSecond must be > 0, got " + requestsPerSecond);
        }
    }

    private static void positive(Duration d, String name) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be > 0, got " + d);
        }
    }

    /**
     * Parses an outbound proxy written "host:port" (as in the YAML {@code ocsp.http_proxy}); null or
     * blank gives null. The host is resolved when a request is made, not now.
     */
    public static InetSocketAddress proxyAddress(String hostPort) {
        if (hostPort == null || hostPort.isBlank()) {
            return null;
        }
        String s = hostPort.trim();
        if (s.startsWith("http://")) {
            s = s.substring("http://".length());
        }
        if (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("HTTP proxy '" + hostPort + "' must be host:port");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("HTTP proxy '" + hostPort + "' has a bad port");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("HTTP proxy '" + hostPort + "' port out of range");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    /** The defaults, the same as the proxy's {@code ocsp:} YAML defaults. */
    public static OcspSettings defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Starts from {@link #defaults()}. */
    public static final class Builder {
        private boolean enabled = true;
        private URI responderOverride;
        private InetSocketAddress httpProxy;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration readTimeout = Duration.ofSeconds(10);
        private int maxResponseSize = 64 * 1024;
        private Duration minRefresh = Duration.ofMinutes(5);
        private Duration maxRefresh = Duration.ofDays(1);
        private Duration retryInitial = Duration.ofSeconds(10);
        private Duration retryMax = Duration.ofMinutes(30);
        private Duration clockSkew = Duration.ofMinutes(5);
        private boolean useNonce;
        private HashAlgorithm hash = HashAlgorithm.SHA1;
        private boolean useGet = true;
        private double requestsPerSecond = 5.0;
        private boolean persist = true;
        private boolean watchFiles = true;
        private Duration pollInterval = Duration.ofSeconds(1);
        private boolean mustStapleRequired;

        private Builder() { }

        private Builder(OcspSettings s) {
            enabled = s.enabled;
            responderOverride = s.responderOverride;
            httpProxy = s.httpProxy;
            connectTimeout = s.connectTimeout;
            readTimeout = s.readTimeout;
            maxResponseSize = s.maxResponseSize;
            minRefresh = s.minRefresh;
            maxRefresh = s.maxRefresh;
            retryInitial = s.retryInitial;
            retryMax = s.retryMax;
            clockSkew = s.clockSkew;
            useNonce = s.useNonce;
            hash = s.hash;
            useGet = s.useGet;
            requestsPerSecond = s.requestsPerSecond;
            persist = s.persist;
            watchFiles = s.watchFiles;
            pollInterval = s.pollInterval;
            mustStapleRequired = s.mustStapleRequired;
        }

        public Builder enabled(boolean v) { enabled = v; return this; }
        public Builder responderOverride(URI v) { responderOverride = v; return this; }
        public Builder httpProxy(InetSocketAddress v) { httpProxy = v; return this; }
        public Builder connectTimeout(Duration v) { connectTimeout = v; return this; }
        public Builder readTimeout(Duration v) { readTimeout = v; return this; }
        public Builder maxResponseSize(int v) { maxResponseSize = v; return this; }
        public Builder minRefresh(Duration v) { minRefresh = v; return this; }
        public Builder maxRefresh(Duration v) { maxRefresh = v; return this; }
        public Builder retryInitial(Duration v) { retryInitial = v; return this; }
        public Builder retryMax(Duration v) { retryMax = v; return this; }
        public Builder clockSkew(Duration v) { clockSkew = v; return this; }
        public Builder useNonce(boolean v) { useNonce = v; return this; }
        public Builder hash(HashAlgorithm v) { hash = v; return this; }
        public Builder useGet(boolean v) { useGet = v; return this; }
        public Builder requestsPerSecond(double v) { requestsPerSecond = v; return this; }
        public Builder persist(boolean v) { persist = v; return this; }
        public Builder watchFiles(boolean v) { watchFiles = v; return this; }
        public Builder pollInterval(Duration v) { pollInterval = v; return this; }
        public Builder mustStapleRequired(boolean v) { mustStapleRequired = v; return this; }

        public OcspSettings build() {
            return new OcspSettings(enabled, responderOverride, httpProxy, connectTimeout, readTimeout, maxResponseSize,
                    minRefresh, maxRefresh, retryInitial, retryMax, clockSkew, useNonce, hash, useGet,
                    requestsPerSecond, persist, watchFiles, pollInterval, mustStapleRequired);
        }
    }
}
