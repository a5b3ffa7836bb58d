package io.stapled.server;

import java.util.ArrayList;
import java.util.List;

import io.stapled.config.FrontendConfig;
import io.stapled.config.StapledConfig;
import io.stapled.ocsp.OcspManager;
import io.stapled.tls.LoadedCertificate;
import io.stapled.tls.TlsFrontend;
import io.stapled.tls.TlsFrontendFactory;
import io.stapled.tls.TlsProviders;

/**
 * What {@code stapled check} adds to config validation: the TLS provider loads, every certificate
 * and key is read and matched, every certificate that wants a staple has its issuer, and the TLS
 * contexts to backend servers build.
 */
public final class ConfigCheck {
    private ConfigCheck() { }

    /** Returns a one-line summary; throws {@link StartupException} (or a TLS error) on the first problem. */
    public static String verify(StapledConfig config) {
        TlsProviders.resolve(config.global().tlsProvider());
        List<LoadedCertificate> all = new ArrayList<>();
        // an engine that is never started: binding every certificate to it applies the same
        // cross-frontend rules as a run (one update mode per certificate) without fetching
        try (OcspManager engine = OcspManager.builder().settings(config.ocsp().settings()).build()) {
            for (FrontendConfig fe : config.frontends()) {
                if (fe.plain()) {
                    continue;
                }
                try (TlsFrontend tls = TlsFrontendFactory.create(fe, config.global(), engine)) {
                    all.addAll(tls.certificates());
                }
            }
        }
        OcspWiring.checkIssuers(all, config.ocsp().settings());
        // TLS to backends: the CA file, the client certificate and its key are read as at start.
        for (io.stapled.config.BackendConfig backend : config.backends()) {
            for (io.stapled.config.BackendConfig.ServerConfig server : backend.servers()) {
                if (server.tls() != null) {
                    io.stapled.tls.BackendTlsContext.build(server.tls(),
                            "backend " + backend.name() + " server " + server.name()).close();
                }
            }
        }
        return config.frontends().size() + " frontend(s), " + all.size() + " certificate(s), "
                + config.backends().size() + " backend(s)";
    }
}
