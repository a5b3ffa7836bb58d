package io.stapled.metrics;

import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyEventExecutorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.stapled.config.AdminHttpConfig;
import io.stapled.ocsp.OcspListener;
import io.stapled.ocsp.OcspManager;
import io.stapled.ocsp.StapleSlot;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.conn.ConnectionLimiter;
import io.stapled.proxy.conn.ConnectionTracker;
import io.stapled.tls.TlsFrontend;
import io.stapled.proxy.http.HttpRequestObserver;
import io.stapled.proxy.proxyprotocol.ProxyProtocolAcceptor;

/**
 * All of stapled's metrics and its readiness, created once by the server assembly. Meters that the
 * hot path touches are made when a frontend, backend or certificate is bound, never per event.
 * Time-dependent values (staple ages, readiness) are read from the injected {@link Clock}.
 */
public final class StapledMetrics implements AutoCloseable {
    private final Clock clock;
    private final PrometheusMeterRegistry registry;
    private final Readiness readiness;
    private final JvmGcMetrics gcMetrics;
    private final CertificateMeters certificates;
    private final OcspMetrics ocsp;
    private final Map<ByteBufAllocatorMetricProvider, Boolean> boundAllocators = new ConcurrentHashMap<>();
    /** Meters whose series follow state that changes at run time, brought up to date before each scrape. */
    private final List<Runnable> beforeScrape = new CopyOnWriteArrayList<>();

    public StapledMetrics(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        this.readiness = new Readiness(clock);
        this.certificates = new CertificateMeters(registry);
        this.ocsp = new OcspMetrics(registry, clock, certificates);
        new JvmMemoryMetrics().bindTo(registry);
        this.gcMetrics = new JvmGcMetrics();
        gcMetrics.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        bindAllocator(ByteBufAllocator.DEFAULT);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public Clock clock() {
        return clock;
    }

    /** What {@code /readyz} answers; call {@link Readiness#listenersOpen(boolean)} from the assembly. */
    public Readiness readiness() {
        return readiness;
    }

    /**
     * Netty allocator memory ({@code netty_allocator_*}) for an allocator the proxy uses besides
     * {@link ByteBufAllocator#DEFAULT} (bound already). Allocators without metrics are skipped.
     */
    public void bindAllocator(ByteBufAllocator allocator) {
        if (allocator instanceof ByteBufAllocatorMetricProvider provider
                && boundAllocators.putIfAbsent(provider, Boolean.TRUE) == null) {
            new NettyAllocatorMetrics(provider).bindTo(registry);
        }
    }

    /**
     * Pending tasks per event loop ({@code netty_eventexecutor_tasks_pending}) and the loop count
     * ({@code netty_eventexecutor_workers}) of a group, tagged {@code group=name}. A growing queue means
     * an event loop cannot keep up.
     */
    public void bindEventLoops(String name, EventLoopGroup group) {
        new NettyEventExecutorMetrics(group, Tags.of("group", name)).bindTo(registry);
    }

    /** Client connection gauges of one frontend over the tracker in its child pipelines. */
    public void bindFrontend(String frontend, ConnectionTracker tracker) {
        FrontendMetrics.bind(registry, frontend, tracker);
    }

    /** As {@link #bindFrontend(String, ConnectionTracker)}, plus the connections its limiter refused. */
    public void bindFrontend(String frontend, ConnectionTracker tracker, ConnectionLimiter limiter) {
        FrontendMetrics.bind(registry, frontend, tracker);
        FrontendMetrics.bind(registry, frontend, limiter);
    }

    /** The connections a frontend's {@code accept_proxy} closed, by reason. */
    public void bindProxyProtocol(String frontend, ProxyProtocolAcceptor acceptor) {
        FrontendMetrics.bind(registry, frontend, acceptor);
    }

    /** Per-server up/down and connection gauges of every backend. Call once per backend. */
    public void bindBackends(Collection<BackendPool> pools) {
        for (BackendPool pool : pools) {
            BackendMetrics.bind(registry, pool);
        }
    }

    /**
     * The handshake counter of one frontend; one instance for all its connections ({@code @Sharable}).
     * Add it in the frontend's channel initializer, after the TLS handler.
     */
    public HandshakeMetricsHandler handshakeHandler(String frontend) {
        return new HandshakeMetricsHandler(frontend, registry, certificates);
    }

    /**
     * Names a certificate in {@code stapled_tls_staples_served_total}. Certificates under OCSP management
     * are named by their managed id automatically ({@link #bindOcsp}); others are named by their file.
     */
    public void bindCertificate(String certificate, StapleSlot slot) {
        certificates.register(certificate, slot);
    }

    /**
     * The listener to register on the OCSP engine before it is built
     * ({@code OcspManager.builder().listener(metrics.ocspListener())}): fetch durations, installs,
     * expiries, and certificates managed after {@link #bindOcsp}.
     */
    public OcspListener ocspListener() {
        return ocsp;
    }

    /**
     * Per-certificate OCSP gauges for every certificate the engine manages now, and, when {@code admin}
     * is not null, the staple conditions of {@code /readyz} from its {@code ready_requires_must_staple}
     * and {@code ready_min_staple_validity}. Call once, after the certificates are managed.
     */
    public void bindOcsp(OcspManager manager, AdminHttpConfig admin) {
        ocsp.bind(manager);
        if (admin != null) {
            readiness.addCheck(new StapleReadinessCheck(manager, admin));
        }
    }

    /** Fleet mode's meters ({@code stapled_fleet_*}) and its {@code /readyz} detail line. Call once. */
    public void bindFleet(io.stapled.fleet.FleetStatus status) {
        readiness.addCheck(new FleetMetrics(registry, status));
    }

    /**
     * The certificate part of {@code /readyz} over the certificates {@code frontends} serve now (runtime
     * swaps included): expired and expiring ones as detail lines, and not ready once every one has
     * expired, or, when {@code admin} sets {@code ready_min_certificate_validity}, once one has less than
     * that left ({@link CertificateExpiryCheck}); and {@code stapled_certificate_not_after_seconds} per
     * served certificate. Call once, with the frontends the server runs; {@code admin} may be null.
     */
    public void bindCertificates(Collection<TlsFrontend> frontends, AdminHttpConfig admin) {
        List<TlsFrontend> all = List.copyOf(frontends);
        readiness.addCheck(new CertificateExpiryCheck(all,
                admin == null ? null : admin.readyMinCertificateValidity()));
        CertificateExpiryMeters meters = new CertificateExpiryMeters(registry, all);
        beforeScrape.add(meters::refresh);
        meters.refresh();
    }

    /** {@code stapled_access_log_dropped_total{frontend}}: access log lines dropped on a full queue. */
    public void bindAccessLog(String frontend, io.stapled.proxy.http.AccessLogWriter writer) {
        FrontendMetrics.bind(registry, frontend, writer);
    }

    /** The observer the HTTP proxy of {@code frontend} calls once per finished request. */
    public HttpRequestObserver httpObserver(String frontend, String backend) {
        return new HttpRequestMetrics(registry, frontend, backend);
    }

    /** Starts the admin listener on the proxy's event loop group; close it before the group. */
    public AdminHttpServer startAdmin(AdminHttpConfig config, EventLoopGroup group,
                                      Class<? extends ServerChannel> channelClass) {
        return AdminHttpServer.start(config, readiness, registry, this::refreshBeforeScrape, group, channelClass);
    }

    private void refreshBeforeScrape() {
        beforeScrape.forEach(Runnable::run);
    }

    /** Stops the GC notification listener and closes the registry. */
    @Override
    public void close() {
        gcMetrics.close();
        registry.close();
    }
}
