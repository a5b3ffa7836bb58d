package io.stapled.proxy.backend;

import java.net.InetAddress;

/**
 * What a balancer may look at to pick a server: the client, and for an HTTP request its target and
 * headers. A TCP connection has only the client ({@code pool.select(client)}).
 */
@FunctionalInterface
public interface BalanceInput {
    /** The client address, or null when unknown. */
    InetAddress source();

    /** The request target as received (path and query), or null outside HTTP. */
    default String uri() {
        return null;
    }

    /** The first value of request header {@code name} (lower case), or null when absent or outside HTTP. */
    default String header(String name) {
        return null;
    }
}
