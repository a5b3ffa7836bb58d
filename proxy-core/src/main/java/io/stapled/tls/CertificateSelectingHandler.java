package io.stapled.tls;

import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLEngine;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslClientHelloHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.internal.tcnative.SSL;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first handler of a TLS frontend's pipeline, one per connection. It reads the ClientHello once,
 * picks the certificate from the store's current snapshot (exact name, wildcard, default; ECDSA when
 * the client accepts it), makes the engine from that certificate's context, sets the certificate's
 * current staple on it when the client asked for one, and replaces itself with an {@link SslHandler}.
 *
 * <p>Everything happens on the event loop in the call that delivered the hello: no executor hop, no
 * lock, no I/O. A client that sends no valid ClientHello is closed; one that stalls is closed when the
 * handshake timeout (which covers the hello and the handshake together) runs out.
 */
public final class CertificateSelectingHandler extends SslClientHelloHandler<Object> {
    private static final Logger log = LoggerFactory.getLogger(CertificateSelectingHandler.class);
    /** Lookups finish in place; the result travels in fields, so one shared completed future does. */
    private static final Future<Object> DONE = ImmediateEventExecutor.INSTANCE.newSucceededFuture(null);
    /** A plaintext TLS record: fatal alert 112, unrecognized_name (RFC 6066), sent before any handshake message. */
    private static final byte[] UNRECOGNIZED_NAME_ALERT = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x70};

    private final CertificateStore store;
    private final long handshakeTimeoutMillis;
    private final boolean disableTickets;

    private ClientHelloInfo hello;
    private ServingCertificate chosen;
    private Ticker ticker;
    private long deadlineNanos;
    private ScheduledFuture<?> timeout;

    /**
     * @param handshakeTimeoutMillis time from connect to a finished handshake; 0 disables
     * @param disableTickets         refuse session tickets on BoringSSL engines (TLS 1.3 too)
     */
    public CertificateSelectingHandler(CertificateStore store, long handshakeTimeoutMillis, boolean disableTickets) {
        this.store = store;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
        this.disableTickets = disableTickets;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        super.handlerAdded(ctx);
        if (ctx.channel().isActive()) {
            startTimeout(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        startTimeout(ctx);
        super.channelActive(ctx);
    }

    private void startTimeout(ChannelHandlerContext ctx) {
        if (handshakeTimeoutMillis <= 0 || timeout != null) {
            return;
        }
        ticker = ctx.executor().ticker(); // the system clock, or a test's
        deadlineNanos = ticker.nanoTime() + TimeUnit.MILLISECONDS.toNanos(handshakeTimeoutMillis);
        timeout = ctx.executor().schedule(() -> {
            log.debug("{}: no ClientHello within {} ms, closing", ctx.channel(), handshakeTimeoutMillis);
            ctx.close();
        }, handshakeTimeoutMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    protected Future<Object> lookup(ChannelHandlerContext ctx, ByteBuf clientHello) {
        // Must not throw: the superclass would retry with a null hello.
        try {
            hello = ClientHelloParser.parse(clientHello);
            if (hello != null) {
                CertificatePair pair = store.current().lookup(hello.serverName());
                chosen = pair == null ? null : pair.choose(hello.acceptsEcdsa());
            }
        } catch (RuntimeException e) {
            hello = null;
            log.debug("{}: cannot read ClientHello: {}", ctx.channel(), e.toString());
        }
        return DONE;
    }

    @Override
    protected void onLookupComplete(ChannelHandlerContext ctx, Future<Object> future) {
        if (hello == null || chosen == null) {
            log.debug("{}: no valid ClientHello or no certificate for it, closing", ctx.channel());
            if (hello != null) {
                // strict SNI or no certificate of a kind the client takes: say so, as BoringSSL would
                ctx.writeAndFlush(Unpooled.wrappedBuffer(UNRECOGNIZED_NAME_ALERT)).addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.close();
            }
            return;
        }
        // newHandler, not newEngine + new SslHandler: Netty then makes the BoringSSL engine without
        // its JDK-compatibility mode, so the handler hands every received byte to one unwrap instead
        // of cutting the input into records in Java first.
        SslHandler ssl = chosen.sslContext().newHandler(ctx.alloc());
        SSLEngine engine = ssl.engine();
        try {
            boolean stapled = false;
            if (engine instanceof ReferenceCountedOpenSslEngine openSsl) {
                if (hello.statusRequest()) {
                    byte[] der = chosen.certificate().stapleSlot().derIfValid(System.currentTimeMillis());
                    if (der != null) {
                        openSsl.setOcspResponse(der);
                        stapled = true;
                    }
                }
                if (disableTickets) {
                    SSL.setOptions(openSsl.sslPointer(), SSL.SSL_OP_NO_TICKET);
                }
            }
            String serverName = hello.serverName() == null || hello.serverName().isEmpty() ? null : hello.serverName();
            ctx.channel().attr(TlsAttributes.SELECTION).set(
                    new TlsSelection(chosen.certificate(), serverName, hello.statusRequest(), stapled));
            ssl.setHandshakeTimeoutMillis(remainingMillis());
            ClientCertificateVerifier verifier = chosen.clientVerifier();
            cancelTimeout();
            ctx.pipeline().replace(this, TlsAttributes.HANDLER_NAME, ssl);
            if (verifier != null) {
                ClientCertificateGate gate = new ClientCertificateGate();
                ctx.pipeline().addAfter(TlsAttributes.HANDLER_NAME, ClientCertificateGate.NAME, gate);
                recordClientCertificate(ctx.channel(), ssl, verifier, gate);
            }
            engine = null; // owned by the SslHandler now
        } finally {
            if (engine != null) {
                ReferenceCountUtil.release(engine);
            }
        }
    }

    /**
     * Once the handshake is done, keeps the client certificate's facts on the channel. Under
     * {@code required}, a connection that finished without a certificate that verifies now can only be
     * a resumed session — one whose certificate was revoked since, or one made under another context of
     * the frontend (its certificates share ticket keys and BoringSSL's session ID context) that asked for
     * no certificate — and is closed: resumption must not bypass the check.
     */
    private static void recordClientCertificate(io.netty.channel.Channel channel, SslHandler ssl,
                                                ClientCertificateVerifier verifier, ClientCertificateGate gate) {
        ssl.handshakeFuture().addListener(f -> {
            if (!f.isSuccess()) {
                return;
            }
            boolean pass = true;
            ClientCertificate cert = ClientCertificate.of(ssl.engine(), verifier);
            if (cert != null) {
                channel.attr(TlsAttributes.CLIENT_CERTIFICATE).set(cert);
            }
            if ((cert == null || !cert.verified())
                    && verifier.config().mode() == io.stapled.config.ClientAuthConfig.Mode.REQUIRED) {
                log.debug("{}: resumed session without a client certificate that verifies ({}), closing", channel,
                        cert == null ? "none" : cert.failure());
                pass = false;
            }
            // Decided before the first decrypted byte is passed on: a refused connection's bytes go nowhere.
            gate.decide(pass);
        });
    }

    private long remainingMillis() {
        if (handshakeTimeoutMillis <= 0) {
            return 0;
        }
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - ticker.nanoTime()));
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
        cancelTimeout();
        super.handlerRemoved0(ctx);
    }

    /** Garbage or an oversized hello: the superclass has already failed the handshake; close quietly. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("{}: closing before handshake: {}", ctx.channel(), cause.toString());
        ctx.close();
    }
}
