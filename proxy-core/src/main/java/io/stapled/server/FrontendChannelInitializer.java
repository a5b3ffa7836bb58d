package io.stapled.server;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.stapled.metrics.HandshakeMetricsHandler;
import io.stapled.proxy.conn.ByteCounter;
import io.stapled.proxy.conn.ConnectionLimiter;
import io.stapled.proxy.conn.ConnectionTracker;
import io.stapled.proxy.proxyprotocol.ProxyProtocolAcceptor;
import io.stapled.tls.TlsAttributes;
import io.stapled.tls.TlsFrontend;

/**
 * The one place a frontend's client pipeline is assembled: with {@code accept_proxy}, first the PROXY
 * protocol header (its decoder and reader, before TLS: the header precedes the ClientHello; everything
 * behind sees the connection become active only once the client address is known), then the
 * per-source handshake limit (counting the client's address, not the load balancer's), track,
 * pick the certificate and staple from the ClientHello (the handler then replaces itself with the
 * SslHandler), end the handshake's count, count the handshake, count the decrypted bytes, then the
 * HTTP or TCP proxy handlers, which only ever see decrypted bytes. A plain-HTTP frontend ({@code tls}
 * null) has only the tracker and the byte counter before its proxy. The connection cap itself sits on
 * the listening channel.
 */
final class FrontendChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final ConnectionLimiter limiter;
    private final ConnectionTracker tracker;
    private final TlsFrontend tls;
    private final HandshakeMetricsHandler handshakeMetrics;
    private final ProxyInstaller proxy;
    private final ByteCounter bytes;
    private final ProxyProtocolAcceptor acceptProxy; // null without accept_proxy

    /** Adds the mode's (HTTP or TCP) handlers behind TLS. */
    interface ProxyInstaller {
        void install(ChannelPipeline pipeline);
    }

    FrontendChannelInitializer(ConnectionLimiter limiter, ConnectionTracker tracker, TlsFrontend tls,
                               HandshakeMetricsHandler handshakeMetrics, ByteCounter bytes, ProxyInstaller proxy,
                               ProxyProtocolAcceptor acceptProxy) {
        this.limiter = limiter;
        this.tracker = tracker;
        this.tls = tls;
        this.handshakeMetrics = handshakeMetrics;
        this.proxy = proxy;
        this.bytes = bytes;
        this.acceptProxy = acceptProxy;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ChannelPipeline p = ch.pipeline();
        if (acceptProxy != null) {
            acceptProxy.install(p);
        }
        if (tls == null) {
            // A plain-HTTP frontend: no handshake to limit, time or count.
            p.addLast("track", tracker);
            p.addLast("bytes", bytes);
            proxy.install(p);
            return;
        }
        p.addLast("limit", limiter.handshakes());
        p.addLast("track", tracker);
        p.addLast(TlsAttributes.HANDLER_NAME, tls.newHandler());
        p.addLast("handshake-done", limiter.handshakes().completion());
        p.addLast("tls-metrics", handshakeMetrics);
        p.addLast("bytes", bytes);
        proxy.install(p);
    }
}
