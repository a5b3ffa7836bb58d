package io.stapled.config;

import java.time.Duration;
import java.util.List;

/**
 * A frontend's {@code accept_proxy}: every connection must start with a PROXY protocol header (v1 or
 * v2), read before the TLS handshake, and the client address in it is used for the connection.
 *
 * @param trustedSources the peers allowed to send the header (the load balancers in front); a
 *                       connection from any other address is closed before a byte is read
 * @param timeout        time from accept to a complete header; the connection is closed after
 */
public record AcceptProxyConfig(List<Cidr> trustedSources, Duration timeout) {

    /**
     * {@code accept_proxy: true} trusts loopback only: a load balancer on the same host works as is, and
     * a listener reachable from elsewhere never takes a client address from whoever connects to it.
     */
    public static final List<Cidr> DEFAULT_TRUSTED_SOURCES = List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1"));
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    public AcceptProxyConfig {
        trustedSources = List.copyOf(trustedSources);
    }

    public static AcceptProxyConfig defaults() {
        return new AcceptProxyConfig(DEFAULT_TRUSTED_SOURCES, DEFAULT_TIMEOUT);
    }

    public AcceptProxyConfig withTrustedSources(List<Cidr> trustedSources) {
        return new AcceptProxyConfig(trustedSources, timeout);
    }

    public AcceptProxyConfig withTimeout(Duration timeout) {
        return new AcceptProxyConfig(trustedSources, timeout);
    }
}
