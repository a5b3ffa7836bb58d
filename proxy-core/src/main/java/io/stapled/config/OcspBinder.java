package io.stapled.config;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

import io.stapled.ocsp.HashAlgorithm;
import io.stapled.ocsp.OcspSettings;

/** Binds the global {@code ocsp:} section and the per-certificate {@code ocsp:} options. */
final class OcspBinder {

    private static final Map<String, HashAlgorithm> HASHES = Choices.of("sha1", HashAlgorithm.SHA1,
            "sha-1", HashAlgorithm.SHA1, "sha256", HashAlgorithm.SHA256, "sha-256", HashAlgorithm.SHA256);

    private OcspBinder() {
    }

    static OcspConfig bind(YamlValue value) {
        OcspConfig defaults = OcspConfig.defaults();
        if (value == null) {
            return defaults;
        }
        OcspSettings d = defaults.settings();
        YamlMap m = value.map();
        OcspSettings.Builder b = OcspSettings.builder()
                .enabled(m.bool("enabled", d.enabled()))
                .responderOverride(url(m, "responder"));
        YamlValue proxyValue = m.get("http_proxy");
        HostPort proxy = proxyValue == null ? null : proxyValue.hostPort(false);
        if (proxy != null) {
            // Resolved when a request is made, not now.
            b.httpProxy(InetSocketAddress.createUnresolved(proxy.host(), proxy.port()));
        }
        Duration startupWait = m.durationOrZero("startup_wait", defaults.startupWait());
        b.connectTimeout(m.duration("connect_timeout", d.connectTimeout()))
                .readTimeout(m.duration("read_timeout", d.readTimeout()))
                .maxResponseSize(m.size("max_response_size", d.maxResponseSize(), 1024, 16 << 20));
        Duration minRefresh = m.duration("min_refresh", d.minRefresh());
        Duration maxRefresh = m.duration("max_refresh", d.maxRefresh());
        Duration retryInitial = m.duration("retry_initial", d.retryInitial());
        Duration retryMax = m.duration("retry_max", d.retryMax());
        b.clockSkew(m.durationOrZero("clock_skew", d.clockSkew()))
                .useNonce(m.bool("nonce", d.useNonce()))
                .hash(m.choice("hash", HASHES, d.hash()))
                .useGet(m.bool("http_get", d.useGet()));
        YamlValue rateValue = m.get("rate_limit");
        Double rate = rateValue == null ? null : rateValue.decimal(0, 10_000);
        b.requestsPerSecond(rate == null ? d.requestsPerSecond() : rate)
                .persist(m.bool("persist", d.persist()))
                .watchFiles(m.bool("watch_files", d.watchFiles()))
                .mustStapleRequired(m.bool("must_staple_required", d.mustStapleRequired()));
        // After an error the load fails with every error found; the pair is reset only so that the
        // settings (which refuse such a pair) can still be built while the rest is checked.
        if (minRefresh.compareTo(maxRefresh) > 0) {
            m.error("min_refresh", "min_refresh (" + Durations.format(minRefresh)
                    + ") must not be longer than max_refresh (" + Durations.format(maxRefresh) + ")");
            minRefresh = d.minRefresh();
            maxRefresh = d.maxRefresh();
        }
        if (retryInitial.compareTo(retryMax) > 0) {
            m.error("retry_initial", "retry_initial (" + Durations.format(retryInitial)
                    + ") must not be longer than retry_max (" + Durations.format(retryMax) + ")");
            retryInitial = d.retryInitial();
            retryMax = d.retryMax();
        }
        m.finish();
        b.minRefresh(minRefresh).maxRefresh(maxRefresh).retryInitial(retryInitial).retryMax(retryMax);
        return new OcspConfig(startupWait, b.build());
    }

    static CertificateSource.OcspOptions bindOptions(YamlValue value) {
        if (value == null) {
            return CertificateSource.OcspOptions.DEFAULT;
        }
        YamlMap m = value.map();
        boolean enabled = m.bool("enabled", CertificateSource.OcspOptions.DEFAULT.enabled());
        URI responder = url(m, "responder");
        m.finish();
        return new CertificateSource.OcspOptions(enabled, responder);
    }

    private static URI url(YamlMap m, String key) {
        YamlValue v = m.get(key);
        return v == null ? null : v.httpUrl();
    }
}
