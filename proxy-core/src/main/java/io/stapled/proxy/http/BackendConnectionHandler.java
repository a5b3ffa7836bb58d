package io.stapled.proxy.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpObject;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler of a backend connection: hands what the backend sends to the exchange that holds
 * the connection. A pooled connection has no exchange; anything it receives then is unsolicited (a
 * stray response, garbage) and the connection can no longer be trusted, so it is closed.
 */
final class BackendConnectionHandler extends ChannelInboundHandlerAdapter {
    static final String NAME = "stapled-backend";

    /** Null on an HTTP/2 stream, whose frames say where the response ends. */
    private final BackendResponseDecoder decoder;
    private BackendListener listener;

    BackendConnectionHandler(BackendResponseDecoder decoder) {
        this.decoder = decoder;
    }

    /** Hands the connection to an exchange about to send its request ({@code head}: a HEAD request). */
    void attach(BackendListener listener, boolean head) {
        this.listener = listener;
        if (decoder != null) {
            decoder.expectResponse(head);
        }
    }

    void detach() {
        this.listener = null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        BackendListener l = listener;
        if (l != null && msg instanceof HttpObject http) {
            l.onBackendMessage(http);
        } else {
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        BackendListener l = listener;
        if (l != null) {
            l.onBackendReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        BackendListener l = listener;
        if (l != null) {
            l.onBackendWritabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        BackendListener l = listener;
        listener = null;
        if (l != null) {
            l.onBackendClosed(null);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        BackendListener l = listener;
        listener = null;
        ctx.close();
        if (l != null) {
            l.onBackendClosed(cause);
        }
    }
}
