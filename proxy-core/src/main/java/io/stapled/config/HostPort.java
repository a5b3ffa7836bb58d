package io.stapled.config;

import java.net.InetSocketAddress;

/** A host (name or literal, IPv6 without brackets) and a port; port 0 means ephemeral. */
public record HostPort(String host, int port) {

    public InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
