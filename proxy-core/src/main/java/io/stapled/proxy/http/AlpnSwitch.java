package io.stapled.proxy.http;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;

/**
 * Waits for the TLS handshake and installs the HTTP/2 or the HTTP/1.1 handlers by what ALPN selected;
 * a client that offered no ALPN (or none of ours) speaks HTTP/1.1. Bytes that arrive before the
 * handshake's end are held and replayed to the handlers installed.
 */
final class AlpnSwitch extends ApplicationProtocolNegotiationHandler {
    private static final Logger LOG = LoggerFactory.getLogger(AlpnSwitch.class);

    private final HttpProxyInitializer proxy;

    AlpnSwitch(HttpProxyInitializer proxy) {
        super(ApplicationProtocolNames.HTTP_1_1);
        this.proxy = proxy;
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
        if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
            proxy.installHttp2(ctx.pipeline());
        } else {
            proxy.installHttp1(ctx.pipeline());
        }
    }

    // The handshake metrics count failed handshakes; Netty's own warning per failure would let any
    // client fill the log.
    @Override
    protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("{}: TLS handshake failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("{}: connection error before the protocol was chosen: {}", ctx.channel().remoteAddress(),
                cause.toString());
        ctx.close();
    }
}
