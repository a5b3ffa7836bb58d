package io.stapled.proxy.proxyprotocol;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.NetUtil;

/** An embedded channel with IP addresses at both ends (a real accepted connection has them). */
final class PeerChannel extends EmbeddedChannel {
    private final InetSocketAddress peer;
    private final InetSocketAddress local;

    PeerChannel(String peerIp) {
        this(peerIp, 40000, "127.0.0.1", 443);
    }

    PeerChannel(String peerIp, int peerPort, String localIp, int localPort) {
        super(false, false);
        this.peer = new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(peerIp), peerPort);
        this.local = new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(localIp), localPort);
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return peer;
    }

    @Override
    protected SocketAddress localAddress0() {
        return local;
    }
}
