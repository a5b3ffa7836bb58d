package io.stapled.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * HTTP listener for /metrics, /healthz and /readyz: loopback unless {@code expose}.
 *
 * @param bind                      address
 * @param readyRequiresMustStaple   /readyz fails while a Must-Staple certificate has no staple
 * @param readyMinStapleValidity    /readyz fails when any staple expires sooner than this (null: never)
 * @param expose                    the operator allowed a non-loopback {@code bind}
 * @param bearerTokenFile           a file holding the token /metrics and /readyz's details need (read at
 *                                  start-up), or null: no token
 * @param bearerTokenOrigin         where {@code bearer_token_file} was written, for a start-up error; null
 *                                  without a token file
 */
public record AdminHttpConfig(HostPort bind, boolean readyRequiresMustStaple, Duration readyMinStapleValidity,
                              boolean expose, Path bearerTokenFile, ConfigOrigin bearerTokenOrigin) {

    /** A loopback listener without a token. */
    public AdminHttpConfig(HostPort bind, boolean readyRequiresMustStaple, Duration readyMinStapleValidity) {
        this(bind, readyRequiresMustStaple, readyMinStapleValidity, false, null, null);
    }

    public AdminHttpConfig withReadyMinStapleValidity(Duration v) {
        return new AdminHttpConfig(bind, readyRequiresMustStaple, v, expose, bearerTokenFile, bearerTokenOrigin);
    }
}
