package io.stapled.server;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.stapled.admin.RuntimeApiServer;
import io.stapled.config.BackendConfig;
import io.stapled.config.FrontendConfig;
import io.stapled.config.StapledConfig;
import io.stapled.fleet.RedisFleet;
import io.stapled.metrics.AdminHttpServer;
import io.stapled.metrics.StapledMetrics;
import io.stapled.ocsp.OcspListener;
import io.stapled.ocsp.OcspManager;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.tls.LoadedCertificate;
import io.stapled.tls.TlsFrontend;
import io.stapled.tls.TlsFrontendFactory;
import io.stapled.tls.TlsProviders;
import io.stapled.net.Transport;

/**
 * A running stapled: loads certificates, gets their staples, starts backends and health checks,
 * then opens the listeners — in that order, so the first client already gets a staple. Every part
 * that fails to start is closed again and the failure is one {@link StartupException}.
 */
public final class StapledServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StapledServer.class);

    private final StapledConfig config;
    private final Parts parts;
    private final AtomicBoolean closed = new AtomicBoolean();

    private StapledServer(StapledConfig config, Parts parts) {
        this.config = config;
        this.parts = parts;
    }

    public static StapledServer start(StapledConfig config) {
        return builder(config).start();
    }

    public static Builder builder(StapledConfig config) {
        return new Builder(config);
    }

    public StapledConfig config() {
        return config;
    }

    public Transport transport() {
        return parts.transport;
    }

    public OcspManager ocsp() {
        return parts.ocsp;
    }

    /** Fleet mode's store, or null when the config has no {@code fleet:}. */
    public RedisFleet fleet() {
        return parts.fleet;
    }

    public Map<String, BackendPool> backends() {
        return parts.pools;
    }

    public List<RunningFrontend> frontends() {
        return parts.frontends;
    }

    public StapledMetrics metrics() {
        return parts.metrics;
    }

    /** The runtime API (admin socket), or null when not configured. */
    public RuntimeApiServer runtimeApi() {
        return parts.api;
    }

    /** The admin HTTP listener (/metrics, /healthz, /readyz), or null when not configured. */
    public AdminHttpServer admin() {
        return parts.admin;
    }

    public EventLoopGroup workers() {
        return parts.workers;
    }

    public RunningFrontend frontend(String name) {
        for (RunningFrontend f : parts.frontends) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException("no frontend named " + name);
    }

    /** Graceful stop with the configured {@code shutdown_grace}. */
    @Override
    public void close() {
        stop(config.global().shutdownGrace());
    }

    /**
     * Stops accepting, lets in-flight requests finish for up to {@code grace}, closes what is left,
     * then releases certificates, staples and threads. Safe to call more than once.
     */
    public void stop(Duration grace) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        log.info("stopping: no new connections, draining for up to {}", grace);
        parts.metrics.readiness().listenersOpen(false);
        parts.frontends.forEach(RunningFrontend::stopAccepting);
        List<CompletableFuture<Void>> drains = new ArrayList<>();
        for (RunningFrontend f : parts.frontends) {
            drains.add(f.drain(grace));
        }
        CompletableFuture.allOf(drains.toArray(CompletableFuture[]::new))
                .completeOnTimeout(null, grace.toMillis() + 2000, TimeUnit.MILLISECONDS).join();
        parts.close();
        log.info("stopped");
    }

    /** What start-up has made so far; closed on a start-up failure or at the end of {@link #stop}. */
    private static final class Parts {
        Transport transport;
        EventLoopGroup acceptors;
        EventLoopGroup workers;
        OcspManager ocsp;
        RedisFleet fleet;
        final Map<String, BackendPool> pools = new LinkedHashMap<>();
        final List<TlsFrontend> tls = new ArrayList<>();
        final List<RunningFrontend> frontends = new ArrayList<>();
        StapledMetrics metrics;
        AdminHttpServer admin;
        RuntimeApiServer api;

        void close() {
            if (api != null) {
                api.close();
            }
            frontends.forEach(RunningFrontend::stopAccepting);
            frontends.forEach(RunningFrontend::closeProxy);
            tls.stream().filter(Objects::nonNull).forEach(TlsFrontend::close);
            if (admin != null) {
                admin.close();
            }
            pools.values().forEach(BackendPool::close);
            if (fleet != null) {
                fleet.close();
            }
            if (ocsp != null) {
                ocsp.close();
            }
            if (metrics != null) {
                metrics.close();
            }
            shutdown(acceptors, workers);
        }
    }

    private static void shutdown(EventLoopGroup... groups) {
        for (EventLoopGroup g : groups) {
            if (g != null) {
                g.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            }
        }
        for (EventLoopGroup g : groups) {
            if (g != null) {
                g.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
        }
    }

    /** Start-up options that tests and embedders set; production uses the defaults. */
    public static final class Builder {
        private final StapledConfig config;
        private Clock clock = Clock.systemUTC();
        private OcspListener ocspListener;
        private Transport transport;
        private ListenerSockets listeners = ListenerSockets.none();

        private Builder(StapledConfig config) {
            this.config = config;
        }

        /** The clock the OCSP engine schedules and verifies with. */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public Builder ocspListener(OcspListener listener) {
            this.ocspListener = listener;
            return this;
        }

        public Builder transport(Transport transport) {
            this.transport = transport;
            return this;
        }

        /** Open listening sockets the frontends use instead of binding (systemd's, or a previous process's). */
        public Builder listeners(ListenerSockets listeners) {
            this.listeners = listeners;
            return this;
        }

        public StapledServer start() {
            Instant startTime = clock.instant();
            // The meter registry and its JVM binders need nothing else and take ~0.1 s to set up
            // (class loading, mostly): made on another core while the certificates load.
            CompletableFuture<StapledMetrics> metricsReady = CompletableFuture.supplyAsync(() -> new StapledMetrics(clock));
            Parts s = new Parts();
            s.transport = transport != null ? transport : Transport.best();
            try {
                config.warnings().forEach(w -> log.warn("config: {}", w.format()));
                TlsProviders.resolve(config.global().tlsProvider());
                // Made first (nothing runs before start()) so the certificates load with its slots.
                OcspManager.Builder engine = OcspManager.builder().settings(config.ocsp().settings()).clock(clock);
                s.fleet = OcspWiring.joinFleet(config.fleet(), clock, engine);
                s.ocsp = engine.build();
                List<LoadedCertificate> certificates = new ArrayList<>();
                for (FrontendConfig fe : config.frontends()) {
                    if (fe.plain()) {
                        s.tls.add(null); // kept in step with config.frontends()
                        continue;
                    }
                    TlsFrontend tls = TlsFrontendFactory.create(fe, config.global(), s.ocsp);
                    s.tls.add(tls);
                    certificates.addAll(tls.certificates());
                }
                OcspWiring.checkIssuers(certificates, config.ocsp().settings());

                if (s.fleet != null) {
                    s.fleet.shareTicketKeys(s.tls.stream().map(TlsFrontend::ticketKeys)
                            .filter(java.util.Objects::nonNull).toList());
                }

                s.metrics = joinUnwrapped(metricsReady);
                s.ocsp.addListener(s.metrics.ocspListener());
                if (ocspListener != null) {
                    s.ocsp.addListener(ocspListener);
                }
                s.metrics.bindOcsp(s.ocsp, config.adminHttp());
                s.metrics.bindCertificates(s.tls.stream().filter(Objects::nonNull).toList(), config.adminHttp());
                if (s.fleet != null) {
                    s.metrics.bindFleet(s.fleet.status());
                }
                OcspWiring.startAndWait(s.ocsp, config.ocsp());

                int threads = config.global().workers() > 0 ? config.global().workers()
                        : Runtime.getRuntime().availableProcessors();
                s.acceptors = s.transport.newGroup(1, "stapled-accept");
                s.workers = s.transport.newGroup(threads, "stapled-io");
                s.metrics.bindEventLoops("io", s.workers);

                for (BackendConfig bc : config.backends()) {
                    BackendPool pool = new BackendPool(bc);
                    s.pools.put(bc.name(), pool);
                    pool.start(s.workers, s.transport.socketChannel());
                }
                s.metrics.bindBackends(s.pools.values());
                if (config.adminHttp() != null) {
                    s.admin = s.metrics.startAdmin(config.adminHttp(), s.acceptors, s.transport.serverChannel());
                }
                for (int i = 0; i < config.frontends().size(); i++) {
                    FrontendConfig fe = config.frontends().get(i);
                    RunningFrontend f = new RunningFrontend(fe, s.tls.get(i), s.pools, s.metrics);
                    s.frontends.add(f);
                    bindOrFail(f, s.transport, s.acceptors, s.workers, listeners);
                }
                listeners.requireAllClaimed();
                StapledServer server = new StapledServer(config, s);
                if (config.runtimeApi() != null) {
                    s.api = RuntimeApiWiring.start(config.runtimeApi(), server, startTime, threads, s.acceptors,
                            listeners.takeover());
                }
                s.metrics.readiness().listenersOpen(true);
                for (RunningFrontend f : s.frontends) {
                    log.info("frontend {} listening on {} ({} mode, {} certificates, transport {})", f.name(),
                            f.address(), f.config().mode().name().toLowerCase(),
                            f.tls() == null ? "plain HTTP, no" : f.tls().certificates().size(),
                            s.transport.name());
                }
                return server;
            } catch (RuntimeException | InterruptedException e) {
                if (s.metrics == null) {
                    metricsReady.thenAccept(StapledMetrics::close);
                }
                s.close();
                listeners.closeUnclaimed();
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                throw e instanceof StartupException se ? se : new StartupException(e.getMessage(), e);
            }
        }

        private static <T> T joinUnwrapped(CompletableFuture<T> future) {
            try {
                return future.join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException re ? re : e;
            }
        }

        private static void bindOrFail(RunningFrontend f, Transport t, EventLoopGroup acceptors,
                                       EventLoopGroup workers, ListenerSockets listeners) throws InterruptedException {
            ServerChannel inherited = listeners.claim(f.config(), t);
            try {
                f.bind(t, acceptors, workers, inherited);
            } catch (RuntimeException e) {
                throw new StartupException("frontends[" + f.name() + "].bind " + f.config().bind()
                        + ": cannot listen: " + e.getMessage(), e);
            }
        }
    }
}
