package io.stapled.config;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Binds the document root and the small top-level sections, then runs the checks that span sections:
 * backend references and listening-address clashes.
 */
final class StapledConfigBinder {

    /** A unix socket path must fit in {@code sockaddr_un.sun_path} (108 bytes with the terminating NUL). */
    static final int MAX_UNIX_SOCKET_PATH_BYTES = 107;
    static final String DEFAULT_SOCKET_MODE = "0600";
    static final String DEFAULT_LEVEL = "admin";
    static final Duration DEFAULT_RUNTIME_IDLE_TIMEOUT = Duration.ofSeconds(60);
    static final int DEFAULT_MAX_PAYLOAD = 1 << 20;
    static final boolean DEFAULT_READY_REQUIRES_MUST_STAPLE = true;

    private static final Map<String, GlobalConfig.TlsProvider> PROVIDERS =
            Choices.of("openssl", GlobalConfig.TlsProvider.OPENSSL, "boringssl", GlobalConfig.TlsProvider.OPENSSL,
                    "jdk", GlobalConfig.TlsProvider.JDK);
    private static final Map<String, String> LOG_LEVELS = Choices.of("error", "ERROR", "warn", "WARN", "info", "INFO",
            "debug", "DEBUG", "trace", "TRACE");
    private static final Map<String, GlobalConfig.LogFormat> LOG_FORMATS = Choices.of("text", GlobalConfig.LogFormat.TEXT,
            "json", GlobalConfig.LogFormat.JSON);
    private static final Map<String, String> LEVELS = Choices.of("user", "user", "operator", "operator",
            "admin", "admin");

    private final LoadContext context;
    private final List<FrontendBinder.Listener> listeners = new ArrayList<>();

    StapledConfigBinder(LoadContext context) {
        this.context = context;
    }

    StapledConfig bind(YamlValue root) {
        YamlMap m = root.map();
        GlobalConfig global = bindGlobal(m.get("global"));
        OcspConfig ocsp = OcspBinder.bind(m.get("ocsp"));
        FrontendBinder frontendBinder = new FrontendBinder(global.certificateFiles());
        List<FrontendConfig> frontends = frontendBinder.bindAll(m.required("frontends"));
        BackendBinder backendBinder = new BackendBinder();
        YamlValue backendsValue = m.required("backends");
        List<BackendConfig> backends = backendBinder.bindAll(backendsValue);
        RuntimeApiConfig runtimeApi = bindRuntimeApi(m.get("runtime_api"));
        AdminHttpConfig adminHttp = bindAdminHttp(m.get("admin_http"));
        FleetConfig fleet = FleetBinder.bind(m.get("fleet"));
        m.finish();

        if (backendsValue != null && backendsValue.isList()) {
            for (FrontendBinder.BackendReference ref : frontendBinder.backendReferences()) {
                if (!backendBinder.names().contains(ref.backend())) {
                    ref.where().error("no backend named \"" + ref.backend() + "\"");
                }
            }
        }
        listeners.addAll(0, frontendBinder.listeners());
        checkAddressClashes();
        return new StapledConfig(context.file(), global, ocsp, frontends, backends, runtimeApi, adminHttp,
                context.warnings(), fleet);
    }

    private static GlobalConfig bindGlobal(YamlValue value) {
        GlobalConfig d = GlobalConfig.defaults();
        if (value == null) {
            return d;
        }
        YamlMap m = value.map();
        int workers = m.integer("workers", d.workers(), 0, 1024);
        GlobalConfig.TlsProvider provider = m.choice("tls_provider", PROVIDERS, d.tlsProvider());
        Duration shutdownGrace = m.durationOrZero("shutdown_grace", d.shutdownGrace());
        String logLevel = m.choice("log_level", LOG_LEVELS, d.logLevel());
        GlobalConfig.LogFormat logFormat = m.choice("log_format", LOG_FORMATS, d.logFormat());
        CertificateFiles files = bindCertificateFiles(m);
        m.finish();
        return new GlobalConfig(workers, provider, shutdownGrace, logLevel, files, logFormat);
    }

    /** The global log level; shared with {@code stapled staple}'s file ({@link StapleConfigBinder}). */
    static String bindLogLevel(YamlMap global, String defaultValue) {
        return global.choice("log_level", LOG_LEVELS, defaultValue);
    }

    /** The global certificate-file rules; shared with {@code stapled staple}'s file ({@link StapleConfigBinder}). */
    static CertificateFiles bindCertificateFiles(YamlMap m) {
        YamlValue crtBase = m.get("crt_base");
        YamlValue keyBase = m.get("key_base");
        boolean deleteExtension = m.bool("load_extra_del_ext", false);
        YamlValue issuers = m.get("issuers_chain_path");
        return new CertificateFiles(
                crtBase == null ? null : crtBase.existingDirectory(), keyBase == null ? null : keyBase.existingDirectory(),
                deleteExtension, issuers == null ? null : issuers.existingDirectory(),
                issuers == null ? null : issuers.origin());
    }

    private RuntimeApiConfig bindRuntimeApi(YamlValue value) {
        if (value == null) {
            return null;
        }
        YamlMap m = value.map();
        YamlValue socketValue = m.get("socket");
        Path socket = socketValue == null ? null : socketValue.filePath();
        if (socket != null && socket.toString().getBytes(StandardCharsets.UTF_8).length > MAX_UNIX_SOCKET_PATH_BYTES) {
            socketValue.error("unix socket path is too long (" + socket.toString().getBytes(StandardCharsets.UTF_8).length
                    + " bytes, the limit is " + MAX_UNIX_SOCKET_PATH_BYTES + "): " + socket);
        }
        YamlValue modeValue = m.get("mode");
        String mode = modeValue == null ? DEFAULT_SOCKET_MODE : socketMode(modeValue);
        String level = m.choice("level", LEVELS, DEFAULT_LEVEL);
        YamlValue tcpValue = m.get("tcp");
        HostPort tcp = tcpValue == null ? null : loopback(tcpValue, "runtime_api.tcp",
                "the runtime API has no authentication");
        Duration idleTimeout = m.duration("idle_timeout", DEFAULT_RUNTIME_IDLE_TIMEOUT);
        int maxPayload = m.size("max_payload", DEFAULT_MAX_PAYLOAD, 1024, 64 << 20);
        int maxConnections = m.integer("max_connections", RuntimeApiConfig.DEFAULT_MAX_CONNECTIONS, 1, 1000);
        YamlValue exposeValue = m.get("expose_listeners");
        boolean exposeListeners = m.bool("expose_listeners", false);
        m.finish();
        if (m.isValid() && socketValue == null && tcpValue == null) {
            value.error("runtime_api needs a socket, a tcp address, or both");
        }
        if (exposeListeners && socketValue == null) {
            exposeValue.error("the listening sockets are passed over the unix socket: set runtime_api.socket");
        } else if (exposeListeners && !"admin".equals(level)) {
            exposeValue.error("only an admin-level client may take the listening sockets: set runtime_api.level: admin");
        }
        return new RuntimeApiConfig(socket, mode, level, tcp, idleTimeout, maxPayload, maxConnections,
                exposeListeners);
    }

    /** {@code "0600"}, {@code 600} or {@code 0660}: three or four octal digits, normalized to four. */
    private static String socketMode(YamlValue value) {
        String text = value.scalar("an octal file mode like \"0600\"");
        if (text == null) {
            return DEFAULT_SOCKET_MODE;
        }
        String t = text.strip();
        if (!t.matches("[0-7]{3,4}")) {
            value.error("expected an octal file mode like \"0600\", got " + value.describe());
            return DEFAULT_SOCKET_MODE;
        }
        return t.length() == 3 ? "0" + t : t;
    }

    AdminHttpConfig bindAdminHttp(YamlValue value) {
        return bindAdminHttp(value, true);
    }

    /** @param servesCertificates false for {@code stapled staple}, which has no TLS frontend to check */
    AdminHttpConfig bindAdminHttp(YamlValue value, boolean servesCertificates) {
        if (value == null) {
            return null;
        }
        YamlMap m = value.map();
        boolean expose = m.bool("expose", false);
        YamlValue bindValue = m.required("bind");
        HostPort bind = bindValue == null ? null
                : expose ? listener(bindValue)
                : loopback(bindValue, "admin_http.bind",
                        "/metrics and /readyz are for local scrapers and probes unless admin_http.expose is true");
        boolean readyRequiresMustStaple = m.bool("ready_requires_must_staple", DEFAULT_READY_REQUIRES_MUST_STAPLE);
        Duration readyMinValidity = m.duration("ready_min_staple_validity", null);
        YamlValue tokenValue = m.get("bearer_token_file");
        Path tokenFile = tokenValue == null ? null : tokenValue.existingFile();
        Duration readyMinCertificateValidity = null;
        if (servesCertificates) {
            readyMinCertificateValidity = m.duration("ready_min_certificate_validity", null);
        } else if (m.get("ready_min_certificate_validity") != null) {
            m.error("ready_min_certificate_validity", "ready_min_certificate_validity is for stapled run: "
                    + "stapled staple serves no certificate over TLS");
        }
        m.finish();
        if (expose && tokenValue == null && bind != null && !bind.isLoopback()) {
            bindValue.warn("admin_http is exposed on " + bind + " without bearer_token_file: anyone who reaches it "
                    + "can read /metrics");
        }
        return new AdminHttpConfig(bind, readyRequiresMustStaple, readyMinValidity, expose, tokenFile,
                tokenValue == null ? null : tokenValue.origin(), readyMinCertificateValidity);
    }

    private HostPort loopback(YamlValue value, String what, String why) {
        HostPort address = value.hostPort(true);
        if (address == null) {
            return null;
        }
        if (!address.isLoopback()) {
            value.error(what + " must be a loopback address (127.0.0.1, [::1] or localhost) because " + why
                    + ", got " + address);
        } else {
            listeners.add(new FrontendBinder.Listener(address, value));
        }
        return address;
    }

    /** Any address, checked for clashes with the other listeners. */
    private HostPort listener(YamlValue value) {
        HostPort address = value.hostPort(true);
        if (address != null) {
            listeners.add(new FrontendBinder.Listener(address, value));
        }
        return address;
    }

    /** Two listeners on the same port of the same (or the wildcard) address would fail at bind time. */
    private void checkAddressClashes() {
        for (int i = 0; i < listeners.size(); i++) {
            FrontendBinder.Listener a = listeners.get(i);
            if (a.address().port() == 0) {
                continue;
            }
            for (int j = 0; j < i; j++) {
                FrontendBinder.Listener b = listeners.get(j);
                if (a.address().port() == b.address().port() && overlap(a.address().host(), b.address().host())) {
                    a.where().error("address " + a.address() + " is already used by " + b.where().keyPath()
                            + " (line " + b.where().line() + ")");
                    break;
                }
            }
        }
    }

    private static boolean overlap(String a, String b) {
        return a.equalsIgnoreCase(b) || isWildcard(a) || isWildcard(b);
    }

    private static boolean isWildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0");
    }
}
