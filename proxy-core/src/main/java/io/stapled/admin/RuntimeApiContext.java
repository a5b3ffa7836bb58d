package io.stapled.admin;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

import io.stapled.proxy.backend.BackendPool;

/**
 * The live objects the runtime API reads and changes, wired by the assembly. Everything but
 * {@code process} may be absent: the commands that need it then say so.
 *
 * @param process      figures for {@code show info}
 * @param frontends    current frontend figures for {@code show stat}, in configuration order
 * @param backends     backends by name, in configuration order
 * @param ocsp         the OCSP engine, or null
 * @param certificates the TLS certificate store, or null
 * @param fleet        fleet mode's view, or null when not in a fleet
 * @param listeners    the listening sockets to hand over ({@code runtime_api.expose_listeners}), or null
 */
public record RuntimeApiContext(
        ProcessStats process,
        Supplier<List<FrontendStats>> frontends,
        Map<String, BackendPool> backends,
        OcspAdmin ocsp,
        CertificateAdmin certificates,
        FleetAdmin fleet,
        Supplier<List<ExportedListener>> listeners) {

    public RuntimeApiContext {
        Objects.requireNonNull(process, "process");
        frontends = frontends == null ? List::of : frontends;
        backends = backends == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(backends));
    }

    public static Builder builder(ProcessStats process) {
        return new Builder(process);
    }

    /** Builds a {@link RuntimeApiContext}. */
    public static final class Builder {
        private final ProcessStats process;
        private Supplier<List<FrontendStats>> frontends = List::of;
        private final Map<String, BackendPool> backends = new LinkedHashMap<>();
        private OcspAdmin ocsp;
        private CertificateAdmin certificates;
        private FleetAdmin fleet;
        private Supplier<List<ExportedListener>> listeners;

        private Builder(ProcessStats process) {
            this.process = process;
        }

        public Builder frontends(Supplier<List<FrontendStats>> frontends) {
            this.frontends = frontends;
            return this;
        }

        public Builder backend(BackendPool pool) {
            backends.put(pool.name(), pool);
            return this;
        }

        public Builder backends(Iterable<BackendPool> pools) {
            pools.forEach(this::backend);
            return this;
        }

        public Builder ocsp(OcspAdmin ocsp) {
            this.ocsp = ocsp;
            return this;
        }

        public Builder certificates(CertificateAdmin certificates) {
            this.certificates = certificates;
            return this;
        }

        public Builder fleet(FleetAdmin fleet) {
            this.fleet = fleet;
            return this;
        }

        /** Lets admin clients take the listening sockets ({@code _getsocks}); off when never called. */
        public Builder listeners(Supplier<List<ExportedListener>> listeners) {
            this.listeners = listeners;
            return this;
        }

        public RuntimeApiContext build() {
            return new RuntimeApiContext(process, frontends, backends, ocsp, certificates, fleet, listeners);
        }
    }
}
