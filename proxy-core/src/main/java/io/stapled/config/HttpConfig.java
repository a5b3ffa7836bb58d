package io.stapled.config;

import java.time.Duration;
import java.util.List;

/**
 * HTTP-mode settings of a frontend.
 *
 * @param requestTimeout    time allowed to receive a request's headers (408 after)
 * @param maxHeaderSize     total header bytes (431 above)
 * @param maxInitialLine    request-line bytes (414/400 above)
 * @param forwardedHeaders  add X-Forwarded-For/-Proto/-Host
 * @param trustedUpstreams  CIDRs whose own X-Forwarded-* headers are kept and appended to; from any
 *                          other peer they are replaced
 */
public record HttpConfig(
        Duration requestTimeout,
        int maxHeaderSize,
        int maxInitialLine,
        boolean forwardedHeaders,
        List<String> trustedUpstreams) {

    public HttpConfig {
        trustedUpstreams = List.copyOf(trustedUpstreams);
    }

    public static HttpConfig defaults() {
        return new HttpConfig(Duration.ofSeconds(10), 16 * 1024, 8 * 1024, true, List.of());
    }
}
