package io.stapled.proxy.tcp;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;

/** The server side of one TCP relay: bytes from the server go to the client, with back-pressure. */
final class ServerRelayHandler extends ChannelInboundHandlerAdapter {
    private final Channel client;

    ServerRelayHandler(Channel client) {
        this.client = client;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Relay.forward(ctx.channel(), client, msg);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // The server side drained (or filled): let the client side follow.
        client.config().setAutoRead(ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Relay.closeOnFlush(client);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
