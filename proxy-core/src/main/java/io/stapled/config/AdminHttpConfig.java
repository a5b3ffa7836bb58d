package io.stapled.config;

import java.time.Duration;

/**
 * Loopback HTTP listener for /metrics, /healthz and /readyz.
 *
 * @param bind                        address
 * @param readyRequiresMustStaple     /readyz fails while a Must-Staple certificate has no staple
 * @param readyMinStapleValidity      /readyz fails when any staple expires sooner than this (null: never)
 * @param readyMinCertificateValidity /readyz fails when a certificate a frontend serves expires sooner than
 *                                    this (null: only once every one has expired); {@code stapled run} only
 */
public record AdminHttpConfig(HostPort bind, boolean readyRequiresMustStaple, Duration readyMinStapleValidity,
                              Duration readyMinCertificateValidity) {

    public AdminHttpConfig(HostPort bind, boolean readyRequiresMustStaple, Duration readyMinStapleValidity) {
        this(bind, readyRequiresMustStaple, readyMinStapleValidity, null);
    }
}
