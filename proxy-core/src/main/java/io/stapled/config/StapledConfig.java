package io.stapled.config;

import java.nio.file.Path;
import java.util.List;

/**
 * The whole configuration, validated. Built only by {@link ConfigLoader}; every nested value is an
 * immutable record so a running server can hold it without defensive copies.
 *
 * @param source      the file this was read from (for messages); null for configs built in code
 * @param global      process-wide settings
 * @param ocsp        global OCSP stapling settings
 * @param frontends   TLS listeners, at least one
 * @param backends    server pools the frontends proxy to
 * @param runtimeApi  HAProxy-compatible admin socket, or null when not configured
 * @param adminHttp   metrics/health HTTP listener, or null when not configured
 * @param warnings    what loads but is probably a mistake (a route that can never match), in the
 *                    {@code file:line key.path: message} form of errors; logged at start-up and by
 *                    {@code stapled check}
 * @param fleet       the Redis store staples are shared through, or null when not in a fleet
 */
public record StapledConfig(
        Path source,
        GlobalConfig global,
        OcspConfig ocsp,
        List<FrontendConfig> frontends,
        List<BackendConfig> backends,
        RuntimeApiConfig runtimeApi,
        AdminHttpConfig adminHttp,
        List<ConfigError> warnings,
        FleetConfig fleet) {

    public StapledConfig {
        frontends = List.copyOf(frontends);
        backends = List.copyOf(backends);
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
    }

    /** Without warnings or a fleet: a config built in code. */
    public StapledConfig(Path source, GlobalConfig global, OcspConfig ocsp, List<FrontendConfig> frontends,
                         List<BackendConfig> backends, RuntimeApiConfig runtimeApi, AdminHttpConfig adminHttp) {
        this(source, global, ocsp, frontends, backends, runtimeApi, adminHttp, List.of(), null);
    }

    public StapledConfig withFleet(FleetConfig v) {
        return new StapledConfig(source, global, ocsp, frontends, backends, runtimeApi, adminHttp, warnings, v);
    }

    public BackendConfig backend(String name) {
        for (BackendConfig b : backends) {
            if (b.name().equals(name)) {
                return b;
            }
        }
        return null;
    }
}
