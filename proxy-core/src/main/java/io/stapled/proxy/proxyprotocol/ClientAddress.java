package io.stapled.proxy.proxyprotocol;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

import io.netty.channel.Channel;
import io.netty.channel.ServerChannel;
import io.netty.util.AttributeKey;

/**
 * The one way the data path asks who a client connection is from (and was addressed to): the
 * addresses a PROXY protocol header gave, when the frontend accepts one, else the socket's own.
 * X-Forwarded-For, the access log, {@code source} balancing, the per-source handshake limit and the
 * PROXY header stapled sends on to a server all read it here, so a connection through a load balancer
 * is the client's everywhere, never the balancer's.
 */
public final class ClientAddress {

    /** Set once, by {@link ProxyHeaderReader}, before the rest of the pipeline sees the connection. */
    static final AttributeKey<Proxied> PROXIED = AttributeKey.valueOf("stapled.proxy.client");

    /** What a PROXY header said: the client's address and port, and the address it connected to. */
    record Proxied(InetSocketAddress source, InetSocketAddress destination) { }

    private ClientAddress() {
    }

    /** The client's address and port, or null for a channel without an IP peer. */
    public static InetSocketAddress source(Channel channel) {
        Proxied proxied = proxied(channel);
        return proxied != null ? proxied.source() : inet(channel.remoteAddress());
    }

    /** The client's IP address, or null for a channel without an IP peer. */
    public static InetAddress of(Channel channel) {
        InetSocketAddress source = source(channel);
        return source == null ? null : source.getAddress();
    }

    /** The address the client connected to: the load balancer's, from the header, else this listener's. */
    public static InetSocketAddress destination(Channel channel) {
        Proxied proxied = proxied(channel);
        return proxied != null ? proxied.destination() : inet(channel.localAddress());
    }

    /** True when the addresses came from a PROXY header (not for a LOCAL or UNKNOWN one). */
    public static boolean isProxied(Channel channel) {
        return proxied(channel) != null;
    }

    /**
     * The header's addresses, set on the connection's socket channel; a channel multiplexed on it (an
     * HTTP/2 stream) reads its parent's.
     */
    private static Proxied proxied(Channel channel) {
        Proxied proxied = channel.attr(PROXIED).get();
        if (proxied == null && channel.parent() != null && !(channel.parent() instanceof ServerChannel)) {
            proxied = channel.parent().attr(PROXIED).get();
        }
        return proxied;
    }

    private static InetSocketAddress inet(SocketAddress address) {
        return address instanceof InetSocketAddress inet && inet.getAddress() != null ? inet : null;
    }
}
