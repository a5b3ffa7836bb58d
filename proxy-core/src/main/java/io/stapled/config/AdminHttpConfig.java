package io.stapled.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * HTTP listener for /metrics, /healthz and /readyz: loopback unless {@code expose}.
 *
 * @param bind                        address
 * @param readyRequiresMustStaple     /readyz fails while a Must-Staple certificate has no staple
 * @param readyMinStapleValidity      /readyz fails when any staple expires sooner than this (null: never)
 * @param expose                      the operator allowed a non-loopback {@code bind}
 * @param bearerTokenFile             a file holding the token /metrics and /readyz's details need (read at
 *                                    start-up), or null: no token
 * @param bearerTokenOrigin           where {@code bearer_token_file} was written, for a start-up error; null
 *                                    without a token file
 * @param readyMinCertificateValidity /readyz fails when a certificate a frontend serves expires sooner than
 *                                    this (null: only once every one has expired); {@code stapled run} only
 */
public record AdminHttpConfig(HostPort bind, boolean readyRequiresMustStaple, Duration readyMinStapleValidity,
                              boolean expose, Path bearerTokenFile, ConfigOrigin bearerTokenOrigin,
                              Duration readyMinCertificateValidity) {

    /** A loopback listener without a token. */
    public AdminHttpConfig(HostPort bind, boolean readyRequiresMustStaple, Duration readyMinStapleValidity) {
        this(bind, readyRequiresMustStaple, readyMinStapleValidity, false, null, null, null);
    }

    public AdminHttpConfig(HostPort bind, boolean readyRequiresMustStaple, Duration readyMinStapleValidity,
                           boolean expose, Path bearerTokenFile, ConfigOrigin bearerTokenOrigin) {
        this(bind, readyRequiresMustStaple, readyMinStapleValidity, expose, bearerTokenFile, bearerTokenOrigin, null);
    }

    public AdminHttpConfig withReadyMinStapleValidity(Duration v) {
        return new AdminHttpConfig(bind, readyRequiresMustStaple, v, expose, bearerTokenFile, bearerTokenOrigin,
                readyMinCertificateValidity);
    }

    public AdminHttpConfig withReadyMinCertificateValidity(Duration v) {
        return new AdminHttpConfig(bind, readyRequiresMustStaple, readyMinStapleValidity, expose, bearerTokenFile,
                bearerTokenOrigin, v);
    }
}
