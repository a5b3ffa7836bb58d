package io.stapled.tls;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * Sits right behind the {@code tls} handler of a connection whose certificate context asks for client
 * certificates, until the client certificate has been judged after the handshake: then it removes
 * itself, or — for a connection that must not go on (a resumed session whose certificate no longer
 * verifies under {@code required}) — drops every decrypted byte and closes the connection, so that
 * nothing the client sent along with its handshake reaches the HTTP or TCP handlers.
 */
final class ClientCertificateGate extends ChannelInboundHandlerAdapter {
    static final String NAME = "client-certificate";

    private ChannelHandlerContext ctx;
    private boolean refused;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** On the event loop, when the handshake has succeeded. */
    void decide(boolean pass) {
        if (ctx == null || ctx.isRemoved()) {
            return;
        }
        if (pass) {
            ctx.pipeline().remove(this);
        } else {
            refused = true;
            ctx.close();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (refused) {
            ReferenceCountUtil.release(msg);
        } else {
            ctx.fireChannelRead(msg);
        }
    }
}
