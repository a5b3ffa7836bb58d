package io.stapled.config;

import io.stapled.config.BackendConfig.Balance;
import io.stapled.config.BackendConfig.HealthCheckConfig;
import io.stapled.config.BackendConfig.SendProxy;
import io.stapled.config.BackendConfig.ServerConfig;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Binds {@code backends:}: pools, their servers and health checks. */
final class BackendBinder {

    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration DEFAULT_SERVER_TIMEOUT = Duration.ofSeconds(30);
    // Above the concurrent exchanges of a busy event loop, so a keep-alive load never closes and
    // reopens backend connections after each response (HAProxy keeps every idle connection).
    static final int DEFAULT_MAX_IDLE_PER_SERVER = 256;
    static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    static final int DEFAULT_WEIGHT = 1;
    static final int MAX_WEIGHT = 256;
    static final int MAX_SERVER_CONNECTIONS = 1_000_000;

    static final HealthCheckConfig DEFAULT_HEALTH_CHECK = new HealthCheckConfig(
            HealthCheckConfig.Type.TCP, null, 200, Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3);
    static final String DEFAULT_HEALTH_CHECK_PATH = "/";

    private static final Map<String, Balance> BALANCES = Choices.of("roundrobin", Balance.ROUNDROBIN,
            "leastconn", Balance.LEASTCONN, "source", Balance.SOURCE, "random", Balance.RANDOM, "uri", Balance.URI,
            // never looked up (HDR_BALANCE matches it first): there so that the error lists it
            "hdr(NAME)", Balance.HDR);
    /** {@code hdr(NAME)}: NAME an HTTP field name (RFC 9110 token). */
    private static final java.util.regex.Pattern HDR_BALANCE =
            java.util.regex.Pattern.compile("(?i)hdr\\(([!#$%&'*+.^_`|~0-9A-Za-z-]+)\\)");
    private static final java.util.regex.Pattern HTTP_METHOD = java.util.regex.Pattern.compile("[A-Z]{1,20}");
    private static final Map<String, SendProxy> SEND_PROXY = Choices.of("v1", SendProxy.V1, "v2", SendProxy.V2);
    private static final Map<String, BackendConfig.Protocol> PROTOCOLS =
            Choices.of("h1", BackendConfig.Protocol.H1, "h2", BackendConfig.Protocol.H2);
    private static final Map<String, HealthCheckConfig.Type> CHECK_TYPES =
            Choices.of("tcp", HealthCheckConfig.Type.TCP, "http", HealthCheckConfig.Type.HTTP);

    private final UniqueNames backendNames = new UniqueNames("backend");

    /** Names of the backends bound so far, for the frontends' references. */
    UniqueNames names() {
        return backendNames;
    }

    List<BackendConfig> bindAll(YamlValue value) {
        List<BackendConfig> backends = new ArrayList<>();
        if (value == null) {
            return backends;
        }
        List<YamlValue> items = value.list("a list of backends");
        if (items.isEmpty() && value.isList()) {
            value.error("needs at least one backend");
        }
        for (YamlValue item : items) {
            backends.add(bind(item));
        }
        return backends;
    }

    private BackendConfig bind(YamlValue value) {
        YamlMap m = value.map();
        String name = backendNames.read(m);
        YamlValue balanceValue = m.get("balance");
        String balanceHeader = balanceValue == null ? null : balanceHeader(balanceValue);
        Balance balance = balanceHeader != null ? Balance.HDR : m.choice("balance", BALANCES, Balance.ROUNDROBIN);
        YamlValue tlsValue = m.get("tls");
        BackendTlsConfig defaultTls = tlsValue == null ? null : bindTls(tlsValue);
        YamlValue serversValue = m.required("servers");
        YamlValue checkValue = m.get("health_check");
        HealthCheckConfig check = checkValue == null ? null : bindHealthCheck(checkValue);
        List<ServerConfig> servers = bindServers(serversValue, defaultTls,
                check != null && check.type() == HealthCheckConfig.Type.HTTP);
        Duration connectTimeout = m.duration("connect_timeout", DEFAULT_CONNECT_TIMEOUT);
        Duration serverTimeout = m.duration("server_timeout", DEFAULT_SERVER_TIMEOUT);
        int maxIdle = m.integer("max_idle_per_server", DEFAULT_MAX_IDLE_PER_SERVER, 0, 10_000);
        Duration idleTimeout = m.duration("idle_timeout", DEFAULT_IDLE_TIMEOUT);
        // HAProxy's timeout queue defaults to timeout connect as well
        Duration queueTimeout = m.durationOrZero("queue_timeout", connectTimeout);
        if (m.has("queue_timeout") && servers.stream().allMatch(s -> s.maxConnections() == 0)) {
            m.error("queue_timeout", "only requests to a server with max_connections wait: set max_connections"
                    + " on a server, or leave queue_timeout out");
        }
        YamlValue cookieValue = m.get("cookie");
        BackendConfig.CookieConfig cookie = cookieValue == null ? null : bindCookie(cookieValue);
        if (cookie != null) {
            checkServerCookies(serversValue, servers);
        }
        Duration resolveInterval = m.durationOrZero("resolve_interval", BackendConfig.DEFAULT_RESOLVE_INTERVAL);
        BackendConfig.ResolvePrefer prefer = m.choice("resolve_prefer", RESOLVE_PREFER, BackendConfig.ResolvePrefer.IPV4);
        m.finish();
        return new BackendConfig(name, balance, servers, check, connectTimeout, serverTimeout, maxIdle,
                idleTimeout, balanceHeader, queueTimeout, cookie, resolveInterval, prefer);
    }

    /** The header of {@code balance: hdr(NAME)} (lower case), or null for any other balance. */
    private static String balanceHeader(YamlValue value) {
        String text = value.isScalar() ? value.scalar("") : null;
        java.util.regex.Matcher hdr = text == null ? null : HDR_BALANCE.matcher(text.strip());
        return hdr != null && hdr.matches() ? hdr.group(1).toLowerCase(java.util.Locale.ROOT) : null;
    }

    private static final String H2_ALPN = "h2";

    private static List<ServerConfig> bindServers(YamlValue value, BackendTlsConfig defaultTls, boolean httpCheck) {
        List<ServerConfig> servers = new ArrayList<>();
        if (value == null) {
            return servers;
        }
        List<YamlValue> items = value.list("a list of servers");
        if (items.isEmpty() && value.isList()) {
            value.error("needs at least one server");
        }
        UniqueNames serverNames = new UniqueNames("server");
        for (YamlValue item : items) {
            YamlMap m = item.map();
            String name = serverNames.read(m);
            YamlValue addressValue = m.required("address");
            HostPort address = addressValue == null ? null : addressValue.hostPort(false);
            int weight = m.integer("weight", DEFAULT_WEIGHT, 0, MAX_WEIGHT);
            SendProxy sendProxy = m.choice("send_proxy", SEND_PROXY, null);
            YamlValue tlsValue = m.get("tls");
            // A server's own tls replaces the backend's as a whole; tls: false makes one server plain.
            BackendTlsConfig tls = tlsValue == null ? defaultTls
                    : tlsValue.isScalar() && "false".equals(tlsValue.scalar("")) ? null : bindTls(tlsValue);
            BackendConfig.Protocol proto = m.choice("proto", PROTOCOLS, BackendConfig.Protocol.H1);
            int maxConnections = m.integer("max_connections", 0, 1, MAX_SERVER_CONNECTIONS);
            int maxQueue = m.integer("max_queue", ServerConfig.NO_QUEUE_LIMIT, 1, MAX_SERVER_CONNECTIONS);
            if (m.has("max_queue") && !m.has("max_connections")) {
                m.error("max_queue", "a queue forms only at a server's max_connections: set max_connections too");
            }
            if (proto == BackendConfig.Protocol.H2 && httpCheck) {
                // The check is an HTTP/1.1 GET, which a server speaking only HTTP/2 (a gRPC server)
                // answers by closing: it would be marked down while it works.
                m.error("proto", "the backend's http health check speaks HTTP/1.1, which an h2 server may"
                        + " not; use health_check type tcp for a backend with h2 servers");
            }
            if (proto == BackendConfig.Protocol.H2 && tls != null) {
                // The connection speaks HTTP/2 only, so ALPN offers h2 only: a server that picks nothing
                // or http/1.1 is a failed connect rather than a preface sent to an HTTP/1.1 server.
                if (tls.alpn().isEmpty()) {
                    tls = tls.withAlpn(List.of(H2_ALPN));
                } else if (!tls.alpn().equals(List.of(H2_ALPN))) {
                    m.error("proto", "proto h2 over tls offers ALPN h2 only: leave tls.alpn out or set it to [h2], got "
                            + tls.alpn());
                }
            }
            if (proto == BackendConfig.Protocol.H2 && sendProxy != null) {
                // A PROXY header describes one client, and an h2 connection carries the streams of many:
                // refused rather than telling the server every stream came from the first client.
                m.error("proto", "proto h2 cannot be combined with send_proxy: an h2 connection is shared by the"
                        + " streams of many clients, and a PROXY header names only one");
            }
            YamlValue cookieValue = m.get("cookie");
            String cookie = cookieValue == null ? null : cookieValue.string();
            if (cookie != null && !COOKIE_VALUE.matcher(cookie).matches()) {
                cookieValue.error("a cookie value is 1 to 64 of letters, digits and !#$%&'()*+-./:<=>?@[]^_`{|}, got "
                        + cookieValue.describe());
            }
            m.finish();
            servers.add(new ServerConfig(name, address, weight, sendProxy, tls, proto, maxConnections, maxQueue,
                    cookie));
        }
        return servers;
    }

    private static final Map<String, BackendConfig.ResolvePrefer> RESOLVE_PREFER = Choices.of(
            "ipv4", BackendConfig.ResolvePrefer.IPV4, "ipv6", BackendConfig.ResolvePrefer.IPV6);
    private static final Map<String, BackendConfig.CookieMode> COOKIE_MODES = Choices.of(
            "insert", BackendConfig.CookieMode.INSERT, "rewrite", BackendConfig.CookieMode.REWRITE,
            "prefix", BackendConfig.CookieMode.PREFIX);
    private static final java.util.regex.Pattern COOKIE_NAME =
            java.util.regex.Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}");
    /** RFC 6265 cookie-octets, without the {@code ~} that separates prefix mode's value from the server's. */
    private static final java.util.regex.Pattern COOKIE_VALUE =
            java.util.regex.Pattern.compile("[!#$%&'()*+\\-./0-9:<=>?@A-Z\\[\\]^_`a-z{|}]{1,64}");

    private static BackendConfig.CookieConfig bindCookie(YamlValue value) {
        YamlMap m = value.map();
        YamlValue nameValue = m.required("name");
        String name = nameValue == null ? null : nameValue.string();
        if (name != null && !COOKIE_NAME.matcher(name).matches()) {
            nameValue.error("a cookie name is 1 to 64 token characters (letters, digits, !#$%&'*+.^_`|~-), got "
                    + nameValue.describe());
        }
        BackendConfig.CookieMode mode = m.choice("mode", COOKIE_MODES, BackendConfig.CookieMode.INSERT);
        boolean httpOnly = m.bool("httponly", false);
        boolean secure = m.bool("secure", false);
        boolean noCache = m.bool("nocache", false);
        if (mode != BackendConfig.CookieMode.INSERT) {
            for (String insertOnly : List.of("httponly", "secure", "nocache")) {
                if (m.has(insertOnly)) {
                    m.error(insertOnly, insertOnly + " applies to the cookie the proxy inserts: only with mode insert"
                            + " (in " + mode.name().toLowerCase(java.util.Locale.ROOT) + " mode the server sets it)");
                }
            }
        }
        m.finish();
        return new BackendConfig.CookieConfig(name, mode, httpOnly, secure, noCache);
    }

    /** Two servers with one cookie value could not be told apart. */
    private static void checkServerCookies(YamlValue serversValue, List<ServerConfig> servers) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (ServerConfig s : servers) {
            if (s.cookie() != null && !seen.add(s.cookie())) {
                serversValue.error("servers " + s.name() + " and another have the same cookie value \"" + s.cookie()
                        + "\": each server needs its own (cookie: VALUE)");
            }
        }
    }

    private static final Map<String, Boolean> VERIFY = Choices.of("ca_file", Boolean.TRUE, "none", Boolean.FALSE);
    private static final java.util.regex.Pattern HOST_NAME = java.util.regex.Pattern.compile(
            "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

    /** A backend's or a server's {@code tls:} map. */
    private static BackendTlsConfig bindTls(YamlValue value) {
        YamlMap m = value.map();
        YamlValue caValue = m.get("ca_file");
        java.nio.file.Path caFile = caValue == null ? null : caValue.existingFile();
        boolean verifyGiven = m.has("verify");
        Boolean verifyChoice = m.choice("verify", VERIFY, null);
        boolean verify = verifyChoice == null || verifyChoice;
        // A misspelt verify value has its own error; "needs a ca_file" would only add noise.
        if (verify && caValue == null && m.isValid() && (!verifyGiven || verifyChoice != null)) {
            value.error("verify: ca_file needs a ca_file with the CAs the server's certificate must chain to "
                    + "(or verify: none, which accepts any certificate)");
        }
        YamlValue sniValue = m.get("sni");
        String sni = sniValue == null ? null : sniValue.string();
        if (sni != null && !HOST_NAME.matcher(sni).matches()) {
            sniValue.error("expected a host name like app.internal, got " + sniValue.describe());
            sni = null;
        }
        List<String> alpn = m.strings("alpn", List.of());
        for (String p : alpn) {
            if (p.isEmpty() || p.length() > 255 || !p.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                m.error("alpn", "an ALPN protocol is 1 to 255 printable characters, got '" + p + "'");
            }
        }
        YamlValue clientValue = m.get("client_certificate");
        java.nio.file.Path crt = null;
        java.nio.file.Path key = null;
        if (clientValue != null) {
            YamlMap c = clientValue.map();
            YamlValue crtValue = c.required("crt");
            crt = crtValue == null ? null : crtValue.existingFile();
            YamlValue keyValue = c.get("key");
            key = keyValue == null ? crt : keyValue.existingFile();
            c.finish();
        }
        m.finish();
        return new BackendTlsConfig(verify, caFile, sni, alpn, crt, key);
    }

    private static HealthCheckConfig bindHealthCheck(YamlValue value) {
        HealthCheckConfig d = DEFAULT_HEALTH_CHECK;
        YamlMap m = value.map();
        HealthCheckConfig.Type type = m.choice("type", CHECK_TYPES, d.type());
        String path = null;
        int expectStatus = d.expectStatus();
        String method = null;
        String host = null;
        String expectBody = null;
        if (type == HealthCheckConfig.Type.HTTP) {
            YamlValue pathValue = m.get("path");
            path = pathValue == null ? DEFAULT_HEALTH_CHECK_PATH : pathValue.string();
            if (path != null && (!path.startsWith("/") || !path.chars().allMatch(c -> c > 0x20 && c < 0x7f))) {
                pathValue.error("an HTTP health check path starts with '/' and has no spaces, got "
                        + pathValue.describe());
            }
            expectStatus = m.integer("expect_status", d.expectStatus(), 100, 599);
            YamlValue methodValue = m.get("method");
            method = methodValue == null ? null : methodValue.string();
            if (method != null && !HTTP_METHOD.matcher(method).matches()) {
                methodValue.error("expected an HTTP method like GET, HEAD or OPTIONS, got " + methodValue.describe());
            }
            YamlValue hostValue = m.get("host");
            host = hostValue == null ? null : hostValue.string();
            if (host != null && (host.isEmpty() || !host.chars().allMatch(c -> c > 0x20 && c < 0x7f))) {
                hostValue.error("a Host header is a host name or address, with an optional :port, got "
                        + hostValue.describe());
            }
            YamlValue bodyValue = m.get("expect_body");
            expectBody = bodyValue == null ? null : bodyValue.string();
            if (expectBody != null && expectBody.isEmpty()) {
                bodyValue.error("an empty string is in every body: leave expect_body out instead");
            }
            if (expectBody != null && "HEAD".equals(method)) {
                bodyValue.error("a response to HEAD has no body: use another method with expect_body");
            }
        } else {
            for (String httpOnly : List.of("path", "expect_status", "method", "host", "expect_body")) {
                if (m.has(httpOnly)) {
                    m.error(httpOnly, httpOnly + " is only used by health checks of type http");
                }
            }
        }
        Duration interval = m.duration("interval", d.interval());
        Duration timeout = m.duration("timeout", d.timeout());
        int rise = m.integer("rise", d.rise(), 1, 100);
        int fall = m.integer("fall", d.fall(), 1, 100);
        m.finish();
        return new HealthCheckConfig(type, path, expectStatus, interval, timeout, rise, fall, method, host,
                expectBody);
    }
}
