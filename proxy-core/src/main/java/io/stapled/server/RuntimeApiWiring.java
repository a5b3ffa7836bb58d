package io.stapled.server;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

import io.netty.channel.EventLoopGroup;
import io.stapled.admin.FrontendStats;
import io.stapled.admin.OcspManagerAdmin;
import io.stapled.admin.ProcessStats;
import io.stapled.admin.RuntimeApiContext;
import io.stapled.admin.RuntimeApiServer;
import io.stapled.admin.TlsCertificateAdmin;
import io.stapled.config.RuntimeApiConfig;

/** Gives the HAProxy-compatible runtime API the running server's parts to read and change. */
final class RuntimeApiWiring {
    private RuntimeApiWiring() { }

    static RuntimeApiServer start(RuntimeApiConfig config, StapledServer server, Instant startTime, int threads,
                                  EventLoopGroup group) {
        Supplier<List<FrontendStats>> frontends = () -> server.frontends().stream()
                .map(f -> FrontendStats.of(f.name(), f.config().mode().name().toLowerCase(Locale.ROOT),
                        f.config().backend(), f.connections()::active, f.connections()::total,
                        f.config().maxConnections()))
                .toList();
        OcspManagerAdmin ocsp = new OcspManagerAdmin(server.ocsp());
        RuntimeApiContext context = RuntimeApiContext.builder(
                        ProcessStats.summing("stapled", StapledVersion.get(), startTime, threads, frontends))
                .frontends(frontends)
                .backends(server.backends().values())
                .ocsp(ocsp)
                .certificates(new TlsCertificateAdmin(
                        server.frontends().stream().map(RunningFrontend::tls).toList(), server.ocsp(), null))
                .build();
        try {
            return RuntimeApiServer.start(config, context, group, server.transport());
        } catch (IOException | IllegalArgumentException e) {
            throw new StartupException("runtime_api: " + e.getMessage(), e);
        }
    }
}
