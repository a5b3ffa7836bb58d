package io.stapled.config;

import io.stapled.config.FrontendConfig.Mode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/** Binds {@code frontends:}: listeners, their certificate sources, TLS and HTTP settings. */
final class FrontendBinder {

    static final int DEFAULT_MAX_CONNECTIONS = 10_000;
    static final Duration DEFAULT_CLIENT_TIMEOUT = Duration.ofSeconds(60);

    private static final Map<String, Mode> MODES = Choices.of("http", Mode.HTTP, "tcp", Mode.TCP);
    private static final Pattern SNI_NAME = Pattern.compile(
            "(\\*\\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*");

    /** A frontend's {@code backend:} value and where it was written, checked once all backends are known. */
    record BackendReference(String backend, YamlValue where) { }

    /** A frontend's listening address and where it was written, for the address clash check. */
    record Listener(HostPort address, YamlValue where) { }

    /**
     * Where relative certificate paths start: HAProxy's {@code crt-base} and {@code key-base}, the
     * frontend's own or else the global ones; null means the config file's directory.
     */
    private record Bases(Path crt, Path key) { }

    private final CertificateFiles global;
    private final UniqueNames frontendNames = new UniqueNames("frontend");
    private final List<BackendReference> backendReferences = new ArrayList<>();
    private final List<Listener> listeners = new ArrayList<>();

    FrontendBinder(CertificateFiles global) {
        this.global = global;
    }

    List<BackendReference> backendReferences() {
        return backendReferences;
    }

    List<Listener> listeners() {
        return listeners;
    }

    List<FrontendConfig> bindAll(YamlValue value) {
        List<FrontendConfig> frontends = new ArrayList<>();
        if (value == null) {
            return frontends;
        }
        List<YamlValue> items = value.list("a list of frontends");
        if (items.isEmpty() && value.isList()) {
            value.error("needs at least one frontend");
        }
        for (YamlValue item : items) {
            frontends.add(bind(item));
        }
        return frontends;
    }

    private FrontendConfig bind(YamlValue value) {
        YamlMap m = value.map();
        String name = frontendNames.read(m);
        YamlValue bindValue = m.required("bind");
        HostPort bind = bindValue == null ? null : bindValue.hostPort(true);
        if (bind != null) {
            listeners.add(new Listener(bind, bindValue));
        }
        Mode mode = m.choice("mode", MODES, Mode.HTTP);
        YamlValue tlsValue = m.get("tls");
        // tls: false is a plain listener; tls: true (or a tls: mapping, or no tls key) is TLS. A missing
        // certificates list stays an error rather than meaning plain text: that must be said.
        boolean plain = tlsValue != null && tlsValue.isScalar() && Boolean.FALSE.equals(tlsValue.bool());
        RouteBinder.Bound routing = new RouteBinder(backendReferences).bind(m, mode, plain);
        YamlMap tlsMap = tlsValue == null || tlsValue.isScalar() ? null : tlsValue.map();
        Bases bases = bases(tlsMap);
        List<CertificateSource> certificates;
        Path defaultCertificate;
        TlsConfig tls;
        if (plain) {
            for (String key : List.of("certificates", "default_certificate", "max_handshakes_per_source")) {
                if (m.get(key) != null) {
                    m.error(key, key + " belongs to a TLS frontend; this one is plain HTTP (tls: false)");
                }
            }
            certificates = List.of();
            defaultCertificate = null;
            tls = null;
        } else {
            certificates = bindCertificates(m.required("certificates"), bases);
            YamlValue defaultValue = m.get("default_certificate");
            defaultCertificate = defaultValue == null ? null : defaultValue.existingFile(bases.crt());
            if (defaultCertificate != null && !isAmong(defaultCertificate, certificates)) {
                defaultValue.error("default_certificate " + defaultCertificate + " is not one of this frontend's "
                        + "certificates (a crt, or a file in one of its dirs)");
            }
            tls = TlsBinder.bind(tlsMap, mode);
            // A crt-list line may ask for certificates itself ([verify ...]); it is read later, so only a
            // frontend with neither is known to ask for none.
            boolean mayAsk = (tls != null && tls.clientAuth().enabled())
                    || certificates.stream().anyMatch(c -> c instanceof CertificateSource.CrtList);
            if (!mayAsk) {
                for (YamlValue key : routing.clientCertificateKeys()) {
                    key.warn("this frontend asks for no client certificate (tls.client_auth), so no connection "
                            + "has a verified one: this condition is decided before any client connects");
                }
            }
        }
        YamlValue httpValue = m.get("http");
        if (httpValue != null && mode == Mode.TCP) {
            m.error("http", "http settings only apply to frontends in mode http; this one is mode tcp");
        }
        HttpConfig http = HttpBinder.bind(httpValue);
        YamlValue http2Value = m.get("http2");
        if (http2Value != null && mode == Mode.TCP) {
            m.error("http2", "http2 settings only apply to frontends in mode http; this one is mode tcp");
        }
        Http2Config http2 = Http2Binder.bind(http2Value, http);
        int maxConnections = m.integer("max_connections", DEFAULT_MAX_CONNECTIONS, 1, 1_000_000);
        Duration clientTimeout = m.duration("client_timeout", DEFAULT_CLIENT_TIMEOUT);
        AccessLogConfig accessLog = AccessLogBinder.bind(m.get("access_log"), plain);
        int maxHandshakesPerSource = m.integer("max_handshakes_per_source",
                FrontendConfig.DEFAULT_MAX_HANDSHAKES_PER_SOURCE, 0, 1_000_000);
        AcceptProxyConfig acceptProxy = bindAcceptProxy(m.get("accept_proxy"));
        m.finish();
        return new FrontendConfig(name, bind, mode, routing.defaultBackend(), certificates,
                defaultCertificate == null ? null : defaultCertificate.toString(), tls, http, maxConnections,
                clientTimeout, accessLog, maxHandshakesPerSource, http2, routing.routing(), acceptProxy);
    }

    /**
     * {@code accept_proxy: true} (loopback peers only), {@code false}, or a mapping with
     * {@code trusted_sources} (required there: writing the mapping means naming the load balancers) and
     * {@code timeout}.
     */
    static AcceptProxyConfig bindAcceptProxy(YamlValue value) {
        if (value == null) {
            return null;
        }
        AcceptProxyConfig d = AcceptProxyConfig.defaults();
        if (value.isScalar()) {
            Boolean on = value.bool();
            return Boolean.TRUE.equals(on) ? d : null;
        }
        YamlMap m = value.map();
        YamlValue sourcesValue = m.required("trusted_sources");
        List<Cidr> sources = d.trustedSources();
        if (sourcesValue != null) {
            sources = new ArrayList<>();
            List<YamlValue> items = sourcesValue.list("a list of CIDRs like [10.0.0.0/8] (the load balancers)");
            if (items.isEmpty() && sourcesValue.isList()) {
                sourcesValue.error("needs at least one CIDR (the load balancers' addresses); "
                        + "[0.0.0.0/0, \"::/0\"] trusts every peer, as HAProxy's accept-proxy does");
            }
            for (YamlValue item : items) {
                Cidr cidr = item.cidr();
                if (cidr != null) {
                    sources.add(cidr);
                }
            }
        }
        Duration timeout = m.duration("timeout", d.timeout());
        m.finish();
        return new AcceptProxyConfig(sources, timeout);
    }

    /** The frontend's {@code tls.crt_base} / {@code tls.key_base}, each else the global one. */
    private Bases bases(YamlMap tls) {
        YamlValue crt = tls == null ? null : tls.get("crt_base");
        YamlValue key = tls == null ? null : tls.get("key_base");
        return new Bases(crt == null ? global.crtBase() : crt.existingDirectory(),
                key == null ? global.keyBase() : key.existingDirectory());
    }

    /** Whether {@code file} is served by one of {@code sources}; a crt-list's contents are not known here. */
    private static boolean isAmong(Path file, List<CertificateSource> sources) {
        for (CertificateSource source : sources) {
            if (source instanceof CertificateSource.CrtList) {
                return true;
            }
            if (source instanceof CertificateSource.File f && (file.equals(f.crt()) || isBundleMember(file, f.crt()))) {
                return true;
            }
            if (source instanceof CertificateSource.Directory d && d.dir() != null && file.startsWith(d.dir())) {
                return true;
            }
        }
        return false;
    }

    private static boolean isBundleMember(Path file, Path crt) {
        return CertificateSource.BUNDLE_EXTENSIONS.stream()
                .anyMatch(ext -> file.equals(crt.resolveSibling(crt.getFileName() + ext)));
    }

    /**
     * A list of certificate sources ({@code crt}, {@code dir}, {@code crt_list}) with the global bases, as a
     * frontend without its own {@code tls.crt_base} reads it; for {@code stapled staple}'s file.
     */
    static List<CertificateSource> bindCertificates(YamlValue value, CertificateFiles global) {
        return bindCertificates(value, new Bases(global.crtBase(), global.keyBase()));
    }

    private static List<CertificateSource> bindCertificates(YamlValue value, Bases bases) {
        List<CertificateSource> sources = new ArrayList<>();
        if (value == null) {
            return sources;
        }
        List<YamlValue> items = value.list("a list of certificate sources (crt, dir or crt_list)");
        if (items.isEmpty() && value.isList()) {
            value.error("needs at least one certificate source (crt, dir or crt_list)");
        }
        for (YamlValue item : items) {
            CertificateSource source = bindCertificate(item, bases);
            if (source != null) {
                sources.add(source);
            }
        }
        return sources;
    }

    private static CertificateSource bindCertificate(YamlValue value, Bases bases) {
        if (value.isScalar()) {
            value.error("expected a certificate source like { crt: " + value.scalar("") + " }, { dir: ... } or "
                    + "{ crt_list: ... }, got " + value.describe());
            return null;
        }
        YamlMap m = value.map();
        YamlValue crt = m.get("crt");
        YamlValue dir = m.get("dir");
        YamlValue crtList = m.get("crt_list");
        YamlValue key = m.get("key");
        YamlValue sni = m.get("sni");
        CertificateSource.OcspOptions ocsp = OcspBinder.bindOptions(m.get("ocsp"));
        m.finish();

        List<String> kinds = new ArrayList<>();
        if (crt != null) {
            kinds.add("crt");
        }
        if (dir != null) {
            kinds.add("dir");
        }
        if (crtList != null) {
            kinds.add("crt_list");
        }
        if (kinds.isEmpty()) {
            if (m.isValid()) {
                value.error("a certificate source needs one of crt, dir or crt_list");
            }
            return null;
        }
        if (kinds.size() > 1) {
            value.error("a certificate source takes exactly one of crt, dir or crt_list, got "
                    + String.join(" and ", kinds) + "; make one list entry for each");
            return null;
        }
        if (crt == null && key != null) {
            key.error("key is only allowed together with crt");
        }
        if (crt == null && sni != null) {
            sni.error("sni is only allowed together with crt (a crt-list line carries its own SNI filters)");
        }
        if (crt != null && crt.isScalar() && crt.scalar("").startsWith("@")) {
            crt.error(CertificateSource.crtStoreReference(crt.scalar("")));
            return null;
        }
        if (crt != null) {
            return new CertificateSource.File(crt.existingCertificate(bases.crt()),
                    key == null ? null : key.existingFile(bases.key()), sniNames(sni), ocsp, crt.origin(),
                    key == null ? null : key.origin());
        }
        if (dir != null) {
            return new CertificateSource.Directory(dir.existingDirectory(bases.crt()), ocsp, dir.origin());
        }
        // As in HAProxy, crt-base prefixes the crt-list's entries, not the crt-list file itself.
        return new CertificateSource.CrtList(crtList.existingFile(), ocsp, crtList.origin(), bases.crt());
    }

    private static List<String> sniNames(YamlValue value) {
        List<String> names = new ArrayList<>();
        if (value == null) {
            return names;
        }
        for (YamlValue item : value.list("a list of host names like [www.example.com]")) {
            String name = item.string();
            if (name == null) {
                continue;
            }
            String lower = name.strip().toLowerCase(Locale.ROOT);
            if (!SNI_NAME.matcher(lower).matches()) {
                item.error("expected a host name like www.example.com or *.example.com, got " + item.describe());
                continue;
            }
            names.add(lower);
        }
        return names;
    }
}
