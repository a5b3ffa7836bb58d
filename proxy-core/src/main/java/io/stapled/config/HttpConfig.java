package io.stapled.config;

import java.time.Duration;
import java.util.List;

/**
 * HTTP-mode settings of a frontend.
 *
 * @param requestTimeout        time allowed to receive a request's headers (408 after)
 * @param maxHeaderSize         total header bytes (431 above)
 * @param maxInitialLine        request-line bytes (414/400 above)
 * @param forwardedHeaders      add X-Forwarded-For/-Proto/-Host
 * @param trustedUpstreams      CIDRs whose own X-Forwarded-* headers are kept and appended to; from any
 *                              other peer they are replaced
 * @param acceptInvalidRequests accept request targets with characters RFC 3986 does not allow ({@code "<>\^`{|}}
 *                              and bytes from 0x80) and a {@code #fragment}, as HAProxy's
 *                              {@code option accept-invalid-http-request}; every other check stays
 * @param underscoreHeaders     what to do with a client header whose name contains {@code _}
 * @param clientIpHeader        a header set to the client's address on every request (e.g. {@code X-Real-IP}),
 *                              or null for none
 */
public record HttpConfig(
        Duration requestTimeout,
        int maxHeaderSize,
        int maxInitialLine,
        boolean forwardedHeaders,
        List<String> trustedUpstreams,
        boolean acceptInvalidRequests,
        UnderscoreHeaders underscoreHeaders,
        String clientIpHeader) {

    /** Client header names with an underscore, which some backends fold into {@code -}. */
    public enum UnderscoreHeaders {
        /** Removed before forwarding (nginx's default, {@code underscores_in_headers off}). */
        DROP,
        /** The request is refused with 400. */
        REJECT,
        /** Forwarded as received. */
        ALLOW
    }

    public HttpConfig {
        trustedUpstreams = List.copyOf(trustedUpstreams);
        java.util.Objects.requireNonNull(underscoreHeaders, "underscoreHeaders");
    }

    /** The settings before request validation became configurable; the new ones at their defaults. */
    public HttpConfig(Duration requestTimeout, int maxHeaderSize, int maxInitialLine, boolean forwardedHeaders,
                      List<String> trustedUpstreams) {
        this(requestTimeout, maxHeaderSize, maxInitialLine, forwardedHeaders, trustedUpstreams, false,
                UnderscoreHeaders.DROP, null);
    }

    public HttpConfig withRequestTimeout(Duration requestTimeout) {
        return new HttpConfig(requestTimeout, maxHeaderSize, maxInitialLine, forwardedHeaders,
                trustedUpstreams, acceptInvalidRequests, underscoreHeaders, clientIpHeader);
    }

    public HttpConfig withMaxHeaderSize(int maxHeaderSize) {
        return new HttpConfig(requestTimeout, maxHeaderSize, maxInitialLine, forwardedHeaders,
                trustedUpstreams, acceptInvalidRequests, underscoreHeaders, clientIpHeader);
    }

    public HttpConfig withMaxInitialLine(int maxInitialLine) {
        return new HttpConfig(requestTimeout, maxHeaderSize, maxInitialLine, forwardedHeaders,
                trustedUpstreams, acceptInvalidRequests, underscoreHeaders, clientIpHeader);
    }

    public HttpConfig withForwardedHeaders(boolean forwardedHeaders) {
        return new HttpConfig(requestTimeout, maxHeaderSize, maxInitialLine, forwardedHeaders,
                trustedUpstreams, acceptInvalidRequests, underscoreHeaders, clientIpHeader);
    }

    public HttpConfig withTrustedUpstreams(List<String> trustedUpstreams) {
        return new HttpConfig(requestTimeout, maxHeaderSize, maxInitialLine, forwardedHeaders,
                trustedUpstreams, acceptInvalidRequests, underscoreHeaders, clientIpHeader);
    }

    public HttpConfig withAcceptInvalidRequests(boolean acceptInvalidRequests) {
        return new HttpConfig(requestTimeout, maxHeaderSize, maxInitialLine, forwardedHeaders,
                trustedUpstreams, acceptInvalidRequests, underscoreHeaders, clientIpHeader);
    }

    public HttpConfig withUnderscoreHeaders(UnderscoreHeaders underscoreHeaders) {
        return new HttpConfig(requestTimeout, maxHeaderSize, maxInitialLine, forwardedHeaders,
                trustedUpstreams, acceptInvalidRequests, underscoreHeaders, clientIpHeader);
    }

    public HttpConfig withClientIpHeader(String clientIpHeader) {
        return new HttpConfig(requestTimeout, maxHeaderSize, maxInitialLine, forwardedHeaders,
                trustedUpstreams, acceptInvalidRequests, underscoreHeaders, clientIpHeader);
    }

    public static HttpConfig defaults() {
        return new HttpConfig(Duration.ofSeconds(10), 16 * 1024, 8 * 1024, true, List.of());
    }
}
