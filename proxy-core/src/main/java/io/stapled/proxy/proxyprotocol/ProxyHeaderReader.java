package io.stapled.proxy.proxyprotocol;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.stapled.text.OneLine;

/**
 * Sits right behind Netty's {@code HAProxyMessageDecoder} and holds back the connection's
 * {@code channelActive} until the header has arrived, so every handler behind it (the handshake
 * limiter, the tracker, TLS, the proxy) first sees the connection with its client address already
 * set ({@link ClientAddress}). A peer outside {@code trusted_sources} is closed at once, before any
 * byte is read; a header that is malformed, or not complete within the timeout, closes the
 * connection, and nothing reaches the rest of the pipeline. Then it removes itself, and the decoder
 * (which removes itself too) hands the bytes after the header, the ClientHello, to TLS.
 *
 * <p>A LOCAL command (a balancer's own health check) and an UNKNOWN or unix-socket address family
 * keep the socket's addresses, as HAProxy does.
 */
final class ProxyHeaderReader extends ChannelInboundHandlerAdapter {
    private final ProxyProtocolAcceptor acceptor;
    private ScheduledFuture<?> timeout;
    private boolean done;

    ProxyHeaderReader(ProxyProtocolAcceptor acceptor) {
        this.acceptor = acceptor;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        InetAddress peer = peer(ctx);
        if (!acceptor.isTrusted(peer)) {
            done = true;
            acceptor.refusedUntrusted(peer);
            ctx.close();
            return;
        }
        timeout = ctx.executor().schedule(() -> {
            if (!done) {
                done = true;
                acceptor.refusedInvalid(peer(ctx), "no PROXY protocol header within " + acceptor.timeoutMillis() + "ms");
                ctx.close();
            }
        }, acceptor.timeoutMillis(), TimeUnit.MILLISECONDS);
        // channelActive goes on once the header is read.
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (done || !(msg instanceof HAProxyMessage header)) {
            // Only the decoder's one message can arrive before this handler is removed.
            ReferenceCountUtil.release(msg);
            return;
        }
        done = true;
        try {
            ClientAddress.Proxied proxied = proxied(header);
            if (proxied != null) {
                ctx.channel().attr(ClientAddress.PROXIED).set(proxied);
            }
        } finally {
            header.release();
        }
        cancelTimeout();
        ctx.fireChannelActive();
        ctx.pipeline().remove(this);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // Until the header is read the rest of the pipeline has not seen the connection become active.
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!done) {
            done = true;
            // A reset before any header (a balancer's TCP check, say) is a close, not a bad header.
            if (cause instanceof DecoderException) {
                acceptor.refusedInvalid(peer(ctx), "bad PROXY protocol header: " + OneLine.oneLine(rootMessage(cause)));
            }
        }
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimeout();
        done = true;
        // Nothing behind saw channelActive, so it is not told of the close either.
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelTimeout();
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
    }

    /** The header's addresses, or null when the socket's are to be used (LOCAL, UNKNOWN, unix sockets). */
    static ClientAddress.Proxied proxied(HAProxyMessage header) {
        if (header.command() != HAProxyCommand.PROXY) {
            return null;
        }
        HAProxyProxiedProtocol.AddressFamily family = header.proxiedProtocol().addressFamily();
        if (family != HAProxyProxiedProtocol.AddressFamily.AF_IPv4
                && family != HAProxyProxiedProtocol.AddressFamily.AF_IPv6) {
            return null;
        }
        InetAddress source = NetUtil.createInetAddressFromIpAddressString(header.sourceAddress());
        InetAddress destination = NetUtil.createInetAddressFromIpAddressString(header.destinationAddress());
        if (source == null || destination == null) {
            return null;
        }
        return new ClientAddress.Proxied(new InetSocketAddress(source, header.sourcePort()),
                new InetSocketAddress(destination, header.destinationPort()));
    }

    private static InetAddress peer(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress inet ? inet.getAddress() : null;
    }

    private static String rootMessage(Throwable cause) {
        Throwable t = cause;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
