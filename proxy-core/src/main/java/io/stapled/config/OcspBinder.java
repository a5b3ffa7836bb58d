package io.stapled.config;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/** Binds the global {@code ocsp:} section and the per-certificate {@code ocsp:} options. */
final class OcspBinder {

    private static final Map<String, String> HASHES =
            Choices.of("sha1", "SHA1", "sha-1", "SHA1", "sha256", "SHA256", "sha-256", "SHA256");

    private OcspBinder() {
    }

    static OcspConfig bind(YamlValue value) {
        OcspConfig d = OcspConfig.defaults();
        if (value == null) {
            return d;
        }
        YamlMap m = value.map();
        boolean enabled = m.bool("enabled", d.enabled());
        URI responder = url(m, "responder");
        YamlValue proxyValue = m.get("http_proxy");
        HostPort proxy = proxyValue == null ? null : proxyValue.hostPort(false);
        Duration startupWait = m.durationOrZero("startup_wait", d.startupWait());
        Duration connectTimeout = m.duration("connect_timeout", d.connectTimeout());
        Duration readTimeout = m.duration("read_timeout", d.readTimeout());
        int maxResponseSize = m.size("max_response_size", d.maxResponseSize(), 1024, 16 << 20);
        Duration minRefresh = m.duration("min_refresh", d.minRefresh());
        Duration maxRefresh = m.duration("max_refresh", d.maxRefresh());
        Duration retryInitial = m.duration("retry_initial", d.retryInitial());
        Duration retryMax = m.duration("retry_max", d.retryMax());
        Duration clockSkew = m.durationOrZero("clock_skew", d.clockSkew());
        boolean nonce = m.bool("nonce", d.useNonce());
        String hash = m.choice("hash", HASHES, d.hashAlgorithm());
        boolean httpGet = m.bool("http_get", d.useGet());
        YamlValue rateValue = m.get("rate_limit");
        Double rate = rateValue == null ? null : rateValue.decimal(0, 10_000);
        boolean persist = m.bool("persist", d.persist());
        boolean watchFiles = m.bool("watch_files", d.watchFiles());
        boolean mustStapleRequired = m.bool("must_staple_required", d.mustStapleRequired());
        if (minRefresh.compareTo(maxRefresh) > 0) {
            m.error("min_refresh", "min_refresh (" + Durations.format(minRefresh)
                    + ") must not be longer than max_refresh (" + Durations.format(maxRefresh) + ")");
        }
        if (retryInitial.compareTo(retryMax) > 0) {
            m.error("retry_initial", "retry_initial (" + Durations.format(retryInitial)
                    + ") must not be longer than retry_max (" + Durations.format(retryMax) + ")");
        }
        m.finish();
        return new OcspConfig(enabled, responder, proxy == null ? null : proxy.toString(), startupWait,
                connectTimeout, readTimeout, maxResponseSize, minRefresh, maxRefresh, retryInitial, retryMax,
                clockSkew, nonce, hash, httpGet, rate == null ? d.requestsPerSecond() : rate, persist,
                watchFiles, mustStapleRequired);
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
