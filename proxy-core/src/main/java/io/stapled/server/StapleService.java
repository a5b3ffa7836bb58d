package io.stapled.server;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.EventLoopGroup;
import io.stapled.config.CertificateSource;
import io.stapled.config.StapleConfig;
import io.stapled.fleet.RedisFleet;
import io.stapled.metrics.AdminHttpServer;
import io.stapled.metrics.ReadinessCheck;
import io.stapled.metrics.StapledMetrics;
import io.stapled.net.Transport;
import io.stapled.ocsp.ManagedCertificate;
import io.stapled.ocsp.OcspManager;
import io.stapled.staple.HaproxyStaplePusher;
import io.stapled.staple.OnChangeHook;
import io.stapled.tls.CertificateLayout;
import io.stapled.tls.CertificateLoader;
import io.stapled.tls.LoadedCertificate;

/**
 * {@code stapled staple}: the OCSP engine alone, for the certificates another server serves. The
 * certificates load exactly as the proxy's do ({@link CertificateLoader}, HAProxy's layouts, no TLS
 * contexts), the engine fetches, verifies, schedules and writes each {@code <cert>.ocsp} atomically, and
 * its listeners push each new staple to HAProxy ({@link HaproxyStaplePusher}) and run the operator's
 * command ({@link OnChangeHook}). With {@code fleet:} the engine shares its staples through Redis
 * ({@link RedisFleet}, as the proxy's does), so one fetch feeds every HAProxy node. Start-up order: certificates, issuer check, listeners, the engine's
 * first round (up to {@code startup_wait}), then the admin listener.
 */
public final class StapleService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StapleService.class);

    private final Parts parts;

    private StapleService(Parts parts) {
        this.parts = parts;
    }

    public static StapleService start(StapleConfig config) {
        return start(config, Clock.systemUTC());
    }

    /** @param clock what the engine schedules and verifies with, and {@code /readyz} reads */
    public static StapleService start(StapleConfig config, Clock clock) {
        Parts s = new Parts();
        try {
            if (config.certificates().isEmpty()) {
                throw new StartupException("nothing to staple: give --dir or --crt-list");
            }
            OcspManager.Builder engine = OcspManager.builder().settings(config.ocsp().settings()).clock(clock);
            // As the proxy does (StapledServer), minus the ticket keys: there are no listeners.
            s.fleet = OcspWiring.joinFleet(config.fleet(), clock, engine);
            s.ocsp = engine.build();
            CertificateLayout layout = CertificateLayout.of(config.files());
            List<LoadedCertificate> certificates = new ArrayList<>();
            for (CertificateSource source : config.certificates()) {
                certificates.addAll(CertificateLoader.load(source, s.ocsp, layout));
            }
            OcspWiring.checkIssuers(certificates, config.ocsp().settings());
            if (s.ocsp.certificates().stream().allMatch(c -> c.notFetchable() != null)) {
                throw new StartupException("none of the " + s.ocsp.certificates().size() + " certificate(s) in "
                        + describe(config.certificates()) + " can be fetched (no OCSP responder URL in them and no "
                        + "--responder, or OCSP disabled): nothing to staple");
            }

            s.metrics = new StapledMetrics(clock);
            s.ocsp.addListener(s.metrics.ocspListener());
            s.metrics.bindOcsp(s.ocsp, config.adminHttp());
            if (s.fleet != null) {
                s.metrics.bindFleet(s.fleet.status());
            }
            if (config.haproxySocket() != null) {
                s.pusher = new HaproxyStaplePusher(config.haproxySocket(), config.pushTimeout());
                s.pusher.bindMetrics(s.metrics.registry());
                s.pusher.probe();
                s.ocsp.addListener(s.pusher);
                s.metrics.readiness().addCheck(pushDetails(s.pusher));
            }
            if (!config.onChange().isEmpty()) {
                s.hook = new OnChangeHook(config.onChange(), config.onChangeTimeout());
                s.hook.bindMetrics(s.metrics.registry());
                s.ocsp.addListener(s.hook);
            }
            OcspWiring.startAndWait(s.ocsp, config.ocsp());
            if (!config.rescan().isZero()) {
                s.rescan = new CertificateRescan(config.certificates(), layout, s.ocsp, certificates);
                s.rescan.start(config.rescan());
            }

            if (config.adminHttp() != null) {
                Transport transport = Transport.best();
                s.group = transport.newGroup(1, "stapled-admin");
                s.admin = s.metrics.startAdmin(config.adminHttp(), s.group, transport.serverChannel());
            }
            // No listeners of its own: "open" is "the engine runs", and the staple checks decide the rest.
            s.metrics.readiness().listenersOpen(true);
            long stapled = s.ocsp.certificates().stream().filter(c -> valid(c, clock.instant())).count();
            log.info("staple: {} certificate(s) from {}, {} stapled now; staples go to the .ocsp files{}{}{}",
                    s.ocsp.certificates().size(), describe(config.certificates()), stapled,
                    s.fleet != null ? ", shared with the fleet at " + config.fleet().url() + " as "
                            + config.fleet().nodeName() : "",
                    s.pusher != null ? " and to HAProxy at " + config.haproxySocket() : "",
                    s.hook != null ? ", then " + config.onChange().get(0) + " runs" : "");
            return new StapleService(s);
        } catch (RuntimeException e) {
            s.close();
            throw e instanceof StartupException se ? se : new StartupException(e.getMessage(), e);
        }
    }

    private static boolean valid(ManagedCertificate c, Instant now) {
        return c.staple() != null && c.staple().isValidAt(now);
    }

    /**
     * HAProxy unreachable, or refusing a certificate's staple, is a detail of {@code /readyz}, not a failure:
     * the files are still written, and HAProxy reads them at its next reload.
     */
    private static ReadinessCheck pushDetails(HaproxyStaplePusher pusher) {
        return new ReadinessCheck() {
            @Override
            public void check(Instant now, List<String> problems) {
            }

            @Override
            public void details(Instant now, List<String> details) {
                if (Boolean.FALSE.equals(pusher.reachable())) {
                    details.add("HAProxy stats socket " + pusher.socket() + " does not answer (" + pusher.waiting()
                            + " staple(s) waiting): " + pusher.lastProblem());
                }
                new java.util.TreeMap<>(pusher.refusedNow()).forEach((id, answer) ->
                        details.add("HAProxy refused the staple of " + id + ": " + answer));
            }
        };
    }

    private static String describe(List<CertificateSource> sources) {
        List<String> names = new ArrayList<>();
        for (CertificateSource source : sources) {
            if (source instanceof CertificateSource.Directory d) {
                names.add(d.dir().toString());
            } else if (source instanceof CertificateSource.CrtList c) {
                names.add(c.file().toString());
            } else if (source instanceof CertificateSource.File f) {
                names.add(f.crt().toString());
            }
        }
        return String.join(", ", names);
    }

    public OcspManager ocsp() {
        return parts.ocsp;
    }

    public StapledMetrics metrics() {
        return parts.metrics;
    }

    /** The pusher, or null without {@code --haproxy-socket}. */
    public HaproxyStaplePusher haproxy() {
        return parts.pusher;
    }

    /** The hook, or null without {@code --on-change}. */
    public OnChangeHook onChange() {
        return parts.hook;
    }

    /** Fleet mode's store, or null without {@code fleet:}. */
    public RedisFleet fleet() {
        return parts.fleet;
    }

    /** The admin listener, or null without {@code --admin-http}. */
    public AdminHttpServer admin() {
        return parts.admin;
    }

    @Override
    public void close() {
        parts.close();
        log.info("staple: stopped");
    }

    private static final class Parts {
        OcspManager ocsp;
        RedisFleet fleet;
        StapledMetrics metrics;
        HaproxyStaplePusher pusher;
        OnChangeHook hook;
        EventLoopGroup group;
        AdminHttpServer admin;
        CertificateRescan rescan;

        void close() {
            if (rescan != null) {
                rescan.close();
            }
            if (admin != null) {
                admin.close();
            }
            if (fleet != null) {
                fleet.close();
            }
            if (ocsp != null) {
                ocsp.close();
            }
            if (pusher != null) {
                pusher.close();
            }
            if (hook != null) {
                hook.close();
            }
            if (group != null) {
                group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
            if (metrics != null) {
                metrics.close();
            }
        }
    }
}
