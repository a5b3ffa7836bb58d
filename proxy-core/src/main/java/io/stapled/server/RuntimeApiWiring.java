package io.stapled.server;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

import io.netty.channel.EventLoopGroup;
import io.stapled.admin.ExportedListener;
import io.stapled.admin.FleetAdmin;
import io.stapled.admin.FrontendStats;
import io.stapled.admin.OcspManagerAdmin;
import io.stapled.admin.ProcessStats;
import io.stapled.admin.RuntimeApiContext;
import io.stapled.admin.RuntimeApiServer;
import io.stapled.admin.TlsCertificateAdmin;
import io.stapled.config.CertificateSource;
import io.stapled.config.RouteAction;
import io.stapled.config.RouteConfig;
import io.stapled.config.RuntimeApiConfig;
import io.stapled.fleet.FleetStatus;
import io.stapled.fleet.RedisFleet;
import io.stapled.ocsp.ManagedCertificate;
import io.stapled.tls.TlsFrontend;

/** Gives the HAProxy-compatible runtime API the running server's parts to read and change. */
final class RuntimeApiWiring {
    private RuntimeApiWiring() { }

    /** @param takeover the socket file may belong to the process being taken over, still running */
    static RuntimeApiServer start(RuntimeApiConfig config, StapledServer server, Instant startTime, int threads,
                                  EventLoopGroup group, boolean takeover) {
        Supplier<List<FrontendStats>> frontends = () -> server.frontends().stream()
                .map(RuntimeApiWiring::stats)
                .toList();
        OcspManagerAdmin ocsp = new OcspManagerAdmin(server.ocsp());
        if (config.exposeListeners() && !"epoll".equals(server.transport().name())) {
            throw new StartupException("runtime_api.expose_listeners: listening sockets can only be passed with the"
                    + " epoll transport, not " + server.transport().name());
        }
        RuntimeApiContext.Builder context = RuntimeApiContext.builder(
                        ProcessStats.summing("stapled", StapledVersion.get(), startTime, threads, frontends))
                .frontends(frontends)
                .backends(server.backends().values())
                .ocsp(ocsp)
                .certificates(new TlsCertificateAdmin(
                        server.frontends().stream().map(RunningFrontend::tls).filter(java.util.Objects::nonNull).toList(), server.ocsp(), null,
                        crtLists(server.frontends()), binds(server.frontends())))
                .fleet(server.fleet() == null ? null : () -> fleet(server));
        if (config.exposeListeners()) {
            context.listeners(() -> exported(server.frontends()));
        }
        try {
            return RuntimeApiServer.start(config, context.build(), group, server.transport(), takeover);
        } catch (IOException | IllegalArgumentException e) {
            throw new StartupException("runtime_api: " + e.getMessage(), e);
        }
    }

    /** Every crt-list the frontends serve, with the frontends serving it, in configuration order. */
    private static List<TlsCertificateAdmin.CrtListUse> crtLists(List<RunningFrontend> frontends) {
        Map<Path, CertificateSource.CrtList> sources = new LinkedHashMap<>();
        Map<Path, List<TlsFrontend>> users = new LinkedHashMap<>();
        for (RunningFrontend f : frontends) {
            if (f.tls() == null) {
                continue;
            }
            for (CertificateSource source : f.config().certificates()) {
                if (source instanceof CertificateSource.CrtList c) {
                    sources.putIfAbsent(c.file(), c);
                    List<TlsFrontend> using = users.computeIfAbsent(c.file(), k -> new ArrayList<>());
                    if (!using.contains(f.tls())) {
                        using.add(f.tls());
                    }
                }
            }
        }
        List<TlsCertificateAdmin.CrtListUse> out = new ArrayList<>();
        sources.forEach((file, c) -> out.add(new TlsCertificateAdmin.CrtListUse(c, users.get(file))));
        return out;
    }

    private static FleetAdmin.Snapshot fleet(StapledServer server) {
        RedisFleet fleet = server.fleet();
        FleetStatus st = fleet.status();
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("fetches_avoided", st.fetchesAvoided());
        counters.put("fetches_own", st.fetchesOwn());
        counters.put("store_reads", st.storeReads());
        counters.put("published", st.published());
        counters.put("received", st.received());
        counters.put("refusals", st.refusals());
        counters.put("fallbacks", st.fallbacks());
        counters.put("rejoins", st.rejoins());
        Map<String, Instant> synced = st.lastSync();
        List<FleetAdmin.CertificateLine> certs = server.ocsp().certificates().stream()
                .sorted(java.util.Comparator.comparing(ManagedCertificate::id))
                .map(c -> new FleetAdmin.CertificateLine(c.id(), fleet.leaseHolder(c), synced.get(c.id())))
                .toList();
        return new FleetAdmin.Snapshot(st.nodeName(), st.url(), st.connected(), st.since(), st.lastProblem(),
                fleet.members(), counters, certs);
    }

    /** The frontends' listening sockets still open, in configuration order. */
    private static List<ExportedListener> exported(List<RunningFrontend> frontends) {
        List<ExportedListener> out = new ArrayList<>();
        for (RunningFrontend f : frontends) {
            io.netty.channel.unix.FileDescriptor fd = f.descriptor();
            if (fd != null) {
                out.add(new ExportedListener(f.name(), f.address(), fd));
            }
        }
        return out;
    }

    private static Map<String, String> binds(List<RunningFrontend> frontends) {
        Map<String, String> out = new LinkedHashMap<>();
        for (RunningFrontend f : frontends) {
            out.put(f.name(), String.valueOf(f.config().bind()));
        }
        return out;
    }

    /** A frontend's {@code show stat} figures, read from its live counters when asked. */
    static FrontendStats stats(RunningFrontend f) {
        return new FrontendStats() {
            @Override
            public String name() {
                return f.name();
            }

            @Override
            public String mode() {
                return f.config().mode().name().toLowerCase(Locale.ROOT);
            }

            @Override
            public String backend() {
                return f.config().backend();
            }

            @Override
            public List<String> backends() {
                List<String> names = new ArrayList<>();
                if (f.config().backend() != null) {
                    names.add(f.config().backend());
                }
                for (RouteConfig route : f.config().routing().routes()) {
                    if (route.action() instanceof RouteAction.UseBackend use && !names.contains(use.backend())) {
                        names.add(use.backend());
                    }
                }
                return names;
            }

            @Override
            public long currentSessions() {
                return f.connections().active();
            }

            @Override
            public long maxSessions() {
                return f.connections().maxActive();
            }

            @Override
            public long totalSessions() {
                return f.connections().total();
            }

            @Override
            public long sessionRate() {
                return f.connections().rate().rate();
            }

            @Override
            public long sessionRateMax() {
                return f.connections().rate().max();
            }

            @Override
            public long requestRate() {
                return f.requests() == null ? -1 : f.requests().rate().rate();
            }

            @Override
            public long requestRateMax() {
                return f.requests() == null ? -1 : f.requests().rate().max();
            }

            @Override
            public long totalConnections() {
                return f.connections().total();
            }

            @Override
            public long sessionLimit() {
                return f.config().maxConnections();
            }

            @Override
            public long bytesIn() {
                return f.bytes().bytesIn();
            }

            @Override
            public long bytesOut() {
                return f.bytes().bytesOut();
            }

            @Override
            public long requestErrors() {
                return f.requests() == null ? -1 : f.requests().refused();
            }

            @Override
            public long totalRequests() {
                return f.requests() == null ? -1 : f.requests().requests();
            }

            @Override
            public long[] httpResponses() {
                return f.requests() == null ? null : f.requests().responses();
            }
        };
    }
}
