package io.stapled.tls;

import java.util.List;

import io.stapled.config.CertificateSource;
import io.stapled.config.FrontendConfig;
import io.stapled.config.GlobalConfig;
import io.stapled.config.HostPort;
import io.stapled.config.HttpConfig;
import io.stapled.config.TlsConfig;

/** Frontend configs for the TLS tests. */
final class Frontends {
    private Frontends() { }

    static FrontendConfig config(TlsConfig tls, String defaultCertificate, CertificateSource... sources) {
        return new FrontendConfig("test", new HostPort("127.0.0.1", 0), FrontendConfig.Mode.HTTP, "none",
                List.of(sources), defaultCertificate, tls, HttpConfig.defaults(), 100,
                java.time.Duration.ofSeconds(30), false);
    }

    static TlsFrontend create(TlsConfig tls, CertificateSource... sources) {
        return TlsFrontendFactory.create(config(tls, null, sources), GlobalConfig.defaults());
    }

    static CertificateSource.File file(java.nio.file.Path crt) {
        return new CertificateSource.File(crt, null, List.of(), CertificateSource.OcspOptions.DEFAULT);
    }
}
