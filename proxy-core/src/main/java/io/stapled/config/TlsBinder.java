package io.stapled.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Binds a frontend's {@code tls:} section. */
final class TlsBinder {

    static final String HTTP_1_1 = "http/1.1";
    static final String H2 = "h2";

    private TlsBinder() {
    }

    /**
     * HTTP frontends offer {@code h2} then {@code http/1.1}, as HAProxy's {@code alpn h2,http/1.1}; frontends
     * in TCP mode offer no ALPN by default: the bytes behind TLS are not necessarily HTTP.
     */
    static TlsConfig defaultsFor(FrontendConfig.Mode mode) {
        TlsConfig d = TlsConfig.defaults();
        List<String> alpn = mode == FrontendConfig.Mode.HTTP ? List.of(H2, HTTP_1_1) : List.of();
        return new TlsConfig(d.protocols(), d.ciphers(), d.ciphersuites(), alpn, d.sessionTickets(),
                d.ticketKeyRotation(), d.sessionCacheSize(), d.sessionTimeout(), d.handshakeTimeout());
    }

    static TlsConfig bind(YamlValue value, FrontendConfig.Mode mode) {
        return bind(value == null ? null : value.map(), mode);
    }

    /** @param m the {@code tls:} map, or null when absent; the frontend binder may have read keys of it already */
    static TlsConfig bind(YamlMap m, FrontendConfig.Mode mode) {
        TlsConfig d = defaultsFor(mode);
        if (m == null) {
            return d;
        }
        YamlValue protocolsValue = m.get("protocols");
        List<String> protocols = protocolsValue == null ? d.protocols() : protocols(protocolsValue);
        String ciphers = m.string("ciphers", d.ciphers());
        String ciphersuites = m.string("ciphersuites", d.ciphersuites());
        YamlValue alpnValue = m.get("alpn");
        List<String> alpn = alpnValue == null ? d.alpn() : alpn(alpnValue);
        boolean sessionTickets = m.bool("session_tickets", d.sessionTickets());
        Duration ticketKeyRotation = m.duration("ticket_key_rotation", d.ticketKeyRotation());
        int sessionCacheSize = m.integer("session_cache_size", d.sessionCacheSize(), 0, 10_000_000);
        Duration sessionTimeout = m.duration("session_timeout", d.sessionTimeout());
        Duration handshakeTimeout = m.duration("handshake_timeout", d.handshakeTimeout());
        boolean strictSni = m.bool("strict_sni", false);
        YamlValue clientAuthValue = m.get("client_auth");
        ClientAuthConfig clientAuth = clientAuthValue == null ? ClientAuthConfig.NONE : clientAuth(clientAuthValue);
        m.finish();
        return new TlsConfig(protocols, ciphers, ciphersuites, alpn, sessionTickets, ticketKeyRotation,
                sessionCacheSize, sessionTimeout, handshakeTimeout, strictSni, clientAuth);
    }

    private static final java.util.Map<String, ClientAuthConfig.Mode> CLIENT_AUTH_MODES = Choices.of(
            "none", ClientAuthConfig.Mode.NONE, "optional", ClientAuthConfig.Mode.OPTIONAL,
            "required", ClientAuthConfig.Mode.REQUIRED);

    private static final java.util.Map<String, ClientAuthConfig.OcspMode> OCSP_MODES = Choices.of(
            "off", ClientAuthConfig.OcspMode.OFF, "soft", ClientAuthConfig.OcspMode.SOFT,
            "hard", ClientAuthConfig.OcspMode.HARD);

    /** {@code tls.client_auth}: HAProxy's {@code verify}, {@code ca-file}, {@code crl-file} of a bind line. */
    private static ClientAuthConfig clientAuth(YamlValue value) {
        YamlMap m = value.map();
        YamlValue modeValue = m.required("mode");
        ClientAuthConfig.Mode chosen = m.choice("mode", CLIENT_AUTH_MODES, null);
        ClientAuthConfig.Mode mode = chosen == null ? ClientAuthConfig.Mode.NONE : chosen;
        YamlValue caValue = m.get("ca_file");
        java.nio.file.Path ca = caValue == null ? null : caValue.existingFile();
        YamlValue crlValue = m.get("crl_file");
        java.nio.file.Path crl = crlValue == null ? null : crlValue.existingFile();
        Duration interval = m.duration("crl_reload_interval", ClientAuthConfig.DEFAULT_CRL_RELOAD_INTERVAL);
        ClientAuthConfig.OcspMode ocsp = m.choice("ocsp", OCSP_MODES, ClientAuthConfig.OcspMode.OFF);
        if (chosen != null && chosen != ClientAuthConfig.Mode.NONE && caValue == null && modeValue != null && m.isValid()) {
            modeValue.error("mode " + mode.name().toLowerCase(Locale.ROOT) + " needs ca_file, the CAs client "
                    + "certificates must chain to");
        }
        if (chosen == ClientAuthConfig.Mode.NONE && crlValue != null) {
            crlValue.error("crl_file is only used with mode optional or required");
        }
        m.finish();
        return new ClientAuthConfig(mode, ca, crl, interval, ocsp);
    }

    private static List<String> protocols(YamlValue value) {
        List<String> out = new ArrayList<>();
        List<YamlValue> items = value.list("a list like [TLSv1.2, TLSv1.3]");
        for (YamlValue item : items) {
            String p = item.string();
            if (p == null) {
                continue;
            }
            String canonical = switch (p.strip().toLowerCase(Locale.ROOT)) {
                case "tlsv1.2" -> "TLSv1.2";
                case "tlsv1.3" -> "TLSv1.3";
                default -> null;
            };
            if (canonical == null) {
                item.error("unsupported protocol " + item.describe() + "; only TLSv1.2 and TLSv1.3 are allowed");
            } else if (!out.contains(canonical)) {
                out.add(canonical);
            }
        }
        if (out.isEmpty() && value.isList() && items.isEmpty()) {
            value.error("needs at least one protocol (TLSv1.2, TLSv1.3)");
        }
        return out;
    }

    /** In preference order; the server's order decides when the client offers both. */
    private static List<String> alpn(YamlValue value) {
        List<String> out = new ArrayList<>();
        for (YamlValue item : value.list("a list like [h2, http/1.1]")) {
            String p = item.string();
            if (p == null) {
                continue;
            }
            String lower = p.strip().toLowerCase(Locale.ROOT);
            if (!lower.equals(H2) && !lower.equals(HTTP_1_1)) {
                item.error("unsupported ALPN protocol " + item.describe() + "; only h2 and http/1.1 are supported");
            } else if (!out.contains(lower)) {
                out.add(lower);
            }
        }
        return out;
    }
}
