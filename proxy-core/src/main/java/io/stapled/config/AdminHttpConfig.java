package io.stapled.config;

import java.time.Duration;

/**
 * Loopback HTTP listener for /metrics, /healthz and /readyz.
 *
 * @param bind                      address
 * @param readyRequiresMustStaple   /readyz fails while a Must-Staple certificate has no staple
 * @param readyMinStapleValidity    /readyz fails when any staple expires sooner than this (null: never)
 */
public record AdminHttpConfig(HostPort bind, boolean readyRequiresMustStaple, Duration readyMinStapleValidity) { }
