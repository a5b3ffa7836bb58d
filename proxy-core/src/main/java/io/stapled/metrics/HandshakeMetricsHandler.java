package io.stapled.metrics;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.Attribute;
import io.netty.util.AttributeKey;
import io.stapled.tls.TlsAttributes;
import io.stapled.tls.TlsSelection;

/**
 * Counts and times the TLS handshakes of one frontend. One instance is shared by all the frontend's
 * connections; add it to each client pipeline after the TLS handler (it reads the
 * {@link SslHandshakeCompletionEvent} the {@link SslHandler} fires, and the {@link TlsAttributes} the
 * certificate selection recorded). A connection that closes before any handshake completes (no
 * ClientHello, garbage, a stalled client) counts as failed. Add it in the channel initializer, so it
 * sees {@code channelActive}: a connection it did not see become active is not counted.
 *
 * <p>Every counter is found by array index: versions, results and staple states are small fixed sets.
 */
@Sharable
public final class HandshakeMetricsHandler extends ChannelInboundHandlerAdapter {
    static final String HANDSHAKES = "stapled.tls.handshakes";
    static final String DURATION = "stapled.tls.handshake.duration";

    static final String[] VERSIONS = {"TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1", "unknown"};
    static final String[] RESULTS = {"ok", "failed"};
    static final String[] STAPLED = {"yes", "no", "not_requested"};
    private static final int UNKNOWN_VERSION = VERSIONS.length - 1;
    private static final int OK = 0;
    private static final int FAILED = 1;

    /** When the connection became active; removed once its handshake is counted. */
    private static final AttributeKey<Long> STARTED = AttributeKey.valueOf("stapled.metrics.handshakeStarted");

    private final String frontend;
    private final MeterRegistry registry;
    private final CertificateMeters certificates;
    private final AtomicReferenceArray<Counter> counters =
            new AtomicReferenceArray<>(VERSIONS.length * RESULTS.length * STAPLED.length);
    private final Timer okDuration;
    private final Timer failedDuration;

    HandshakeMetricsHandler(String frontend, MeterRegistry registry, CertificateMeters certificates) {
        this.frontend = frontend;
        this.registry = registry;
        this.certificates = certificates;
        this.okDuration = timer("ok");
        this.failedDuration = timer("failed");
        // Series present from the start, so rate() and alerts see zeros rather than nothing.
        for (int stapled = 0; stapled < STAPLED.length; stapled++) {
            counter(0, OK, stapled);
            counter(1, OK, stapled);
            counter(UNKNOWN_VERSION, FAILED, stapled);
        }
    }

    private Timer timer(String result) {
        return Timer.builder(DURATION)
                .description("Time from TCP accept to the end of the TLS handshake, by frontend and result")
                .tag("frontend", frontend)
                .tag("result", result)
                .publishPercentileHistogram()
                .minimumExpectedValue(java.time.Duration.ofMillis(1))
                .maximumExpectedValue(java.time.Duration.ofSeconds(30))
                .register(registry);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        ctx.channel().attr(STARTED).set(System.nanoTime());
        super.channelActive(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            handshakeDone(ctx, done.isSuccess());
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().hasAttr(STARTED)) {
            handshakeDone(ctx, false); // closed before the TLS handler reported; a no-op once counted
        }
        super.channelInactive(ctx);
    }

    private void handshakeDone(ChannelHandlerContext ctx, boolean success) {
        Channel ch = ctx.channel();
        Attribute<Long> started = ch.attr(STARTED);
        Long startNanos = started.getAndSet(null);
        if (startNanos == null) {
            return; // counted already: one handshake per connection
        }
        int result = success ? OK : FAILED;
        TlsSelection selection = ch.attr(TlsAttributes.SELECTION).get();
        counter(version(ctx, success), result, stapled(selection)).increment();
        (success ? okDuration : failedDuration).record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        if (success && selection != null && selection.stapled()) {
            certificates.staplesServed(selection.certificate()).increment();
        }
    }

    private static int version(ChannelHandlerContext ctx, boolean success) {
        if (!success) {
            return UNKNOWN_VERSION; // a failed engine's session has no agreed protocol
        }
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        if (ssl == null) {
            return UNKNOWN_VERSION;
        }
        String protocol = ssl.engine().getSession().getProtocol();
        for (int i = 0; i < UNKNOWN_VERSION; i++) {
            if (VERSIONS[i].equals(protocol)) {
                return i;
            }
        }
        return UNKNOWN_VERSION;
    }

    private static int stapled(TlsSelection selection) {
        if (selection == null || !selection.statusRequested()) {
            return 2;
        }
        return selection.stapled() ? 0 : 1;
    }

    private Counter counter(int version, int result, int stapled) {
        int i = (version * RESULTS.length + result) * STAPLED.length + stapled;
        Counter c = counters.get(i);
        if (c == null) {
            // First use of this combination: one registry lookup, then cached. A race registers the same meter.
            c = Counter.builder(HANDSHAKES)
                    .description("TLS handshakes by frontend, protocol version, result and whether a staple was sent")
                    .tag("frontend", frontend)
                    .tag("tls_version", VERSIONS[version])
                    .tag("result", RESULTS[result])
                    .tag("stapled", STAPLED[stapled])
                    .register(registry);
            counters.set(i, c);
        }
        return c;
    }
}
