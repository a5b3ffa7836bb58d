package io.stapled.server;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.EventLoopGroup;
import io.stapled.config.BackendConfig;
import io.stapled.config.FrontendConfig;
import io.stapled.config.StapledConfig;
import io.stapled.ocsp.OcspListener;
import io.stapled.ocsp.OcspManager;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.tls.LoadedCertificate;
import io.stapled.tls.TlsFrontend;
import io.stapled.tls.TlsFrontendFactory;
import io.stapled.tls.TlsProviders;

/**
 * A running stapled: loads certificates, gets their staples, starts backends and health checks,
 * then opens the listeners — in that order, so the first client already gets a staple. Every part
 * that fails to start is closed again and the failure is one {@link StartupException}.
 */
public final class StapledServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StapledServer.class);

    private final StapledConfig config;
    private final Transport transport;
    private final EventLoopGroup acceptors;
    private final EventLoopGroup workers;
    private final OcspManager ocsp;
    private final Map<String, BackendPool> backends;
    private final List<RunningFrontend> frontends;
    private final AtomicBoolean closed = new AtomicBoolean();

    private StapledServer(Builder b, Transport transport, EventLoopGroup acceptors, EventLoopGroup workers,
                          OcspManager ocsp, Map<String, BackendPool> backends, List<RunningFrontend> frontends) {
        this.config = b.config;
        this.transport = transport;
        this.acceptors = acceptors;
        this.workers = workers;
        this.ocsp = ocsp;
        this.backends = backends;
        this.frontends = frontends;
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
        return transport;
    }

    public OcspManager ocsp() {
        return ocsp;
    }

    public Map<String, BackendPool> backends() {
        return backends;
    }

    public List<RunningFrontend> frontends() {
        return frontends;
    }

    public RunningFrontend frontend(String name) {
        for (RunningFrontend f : frontends) {
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
        frontends.forEach(RunningFrontend::stopAccepting);
        List<CompletableFuture<Void>> drains = new ArrayList<>();
        for (RunningFrontend f : frontends) {
            drains.add(f.drain(grace));
        }
        CompletableFuture.allOf(drains.toArray(CompletableFuture[]::new))
                .completeOnTimeout(null, grace.toMillis() + 2000, TimeUnit.MILLISECONDS).join();
        frontends.forEach(RunningFrontend::close);
        backends.values().forEach(BackendPool::close);
        ocsp.close();
        shutdown(acceptors, workers);
        log.info("stopped");
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

        public StapledServer start() {
            TlsProviders.resolve(config.global().tlsProvider());
            Transport t = transport != null ? transport : Transport.best();
            List<TlsFrontend> tlsFrontends = new ArrayList<>();
            OcspManager ocsp = null;
            Map<String, BackendPool> pools = new LinkedHashMap<>();
            EventLoopGroup acceptors = null;
            EventLoopGroup workers = null;
            List<RunningFrontend> running = new ArrayList<>();
            try {
                List<LoadedCertificate> certificates = new ArrayList<>();
                for (FrontendConfig fe : config.frontends()) {
                    TlsFrontend tls = TlsFrontendFactory.create(fe, config.global());
                    tlsFrontends.add(tls);
                    certificates.addAll(tls.certificates());
                }
                OcspWiring.checkIssuers(certificates, config.ocsp());

                OcspManager.Builder ob = OcspManager.builder()
                        .settings(OcspWiring.settings(config.ocsp()))
                        .clock(clock);
                if (ocspListener != null) {
                    ob.listener(ocspListener);
                }
                ocsp = ob.build();
                OcspWiring.register(ocsp, certificates, config.ocsp());
                OcspWiring.startAndWait(ocsp, config.ocsp());

                int threads = config.global().workers() > 0 ? config.global().workers()
                        : Runtime.getRuntime().availableProcessors();
                acceptors = t.newGroup(1, "stapled-accept");
                workers = t.newGroup(threads, "stapled-io");

                for (BackendConfig bc : config.backends()) {
                    BackendPool pool = new BackendPool(bc);
                    pools.put(bc.name(), pool);
                    pool.start(workers, t.socketChannel());
                }
                for (int i = 0; i < config.frontends().size(); i++) {
                    FrontendConfig fe = config.frontends().get(i);
                    RunningFrontend f = new RunningFrontend(fe, tlsFrontends.get(i), pools.get(fe.backend()));
                    running.add(f);
                    bindOrFail(f, t, acceptors, workers);
                }
                StapledServer server = new StapledServer(this, t, acceptors, workers, ocsp, pools, running);
                for (RunningFrontend f : running) {
                    log.info("frontend {} listening on {} ({} mode, {} certificates, transport {})", f.name(),
                            f.address(), f.config().mode().name().toLowerCase(), f.tls().certificates().size(),
                            t.name());
                }
                return server;
            } catch (RuntimeException | InterruptedException e) {
                running.forEach(RunningFrontend::stopAccepting);
                pools.values().forEach(BackendPool::close);
                tlsFrontends.forEach(TlsFrontend::close);
                if (ocsp != null) {
                    ocsp.close();
                }
                shutdown(acceptors, workers);
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                throw e instanceof StartupException se ? se : new StartupException(e.getMessage(), e);
            }
        }

        private static void bindOrFail(RunningFrontend f, Transport t, EventLoopGroup acceptors,
                                       EventLoopGroup workers) throws InterruptedException {
            try {
                f.bind(t, acceptors, workers);
            } catch (RuntimeException e) {
                throw new StartupException("frontends[" + f.name() + "].bind " + f.config().bind()
                        + ": cannot listen: " + e.getMessage(), e);
            }
        }
    }
}
