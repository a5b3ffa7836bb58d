package io.stapled.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;

import io.stapled.config.FrontendConfig.Mode;

/**
 * Binds a frontend's routing keys: {@code routes:}, the default ({@code default_backend}, or its older
 * name {@code backend}), and a frontend-level {@code redirect:} or {@code return:} for requests no
 * route matched. Regexes are compiled here, so a bad one is an error at its line.
 */
final class RouteBinder {

    /**
     * The frontend's default backend (null when it has none), its routes, and the route keys that test
     * the client certificate (for the frontend binder to warn about when nothing asks for one).
     */
    record Bound(String defaultBackend, RoutingConfig routing, List<YamlValue> clientCertificateKeys) { }

    private static final List<String> CLIENT_CERTIFICATE_CONDITIONS = List.of("client_verified", "client_subject",
            "client_subject_regex");

    private static final Pattern HOST_NAME = Pattern.compile(
            "^(\\*\\.)?([a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)(\\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$|^\\[[0-9a-f:.]+\\]$");
    private static final Pattern TOKEN = Pattern.compile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$");
    private static final Map<String, String> TLS_VERSIONS = Choices.of("tlsv1.2", "TLSv1.2", "tlsv1.3", "TLSv1.3");
    private static final Map<String, Integer> REDIRECT_CODES = Choices.of("301", 301, "302", 302, "303", 303,
            "307", 307, "308", 308);
    /** The conditions a TCP frontend can test: nothing of HTTP is known there. */
    private static final List<String> TCP_CONDITIONS = List.of("sni", "sni_regex", "source", "tls_version",
            "client_verified", "client_subject", "client_subject_regex");
    private static final List<String> TLS_CONDITIONS = List.of("sni", "sni_regex", "tls_version", "client_verified",
            "client_subject", "client_subject_regex");

    private final List<FrontendBinder.BackendReference> references;
    private final List<YamlValue> clientCertificateKeys = new ArrayList<>();

    RouteBinder(List<FrontendBinder.BackendReference> references) {
        this.references = references;
    }

    Bound bind(YamlMap frontend, Mode mode, boolean plain) {
        YamlValue backend = frontend.get("backend");
        YamlValue defaultBackend = frontend.get("default_backend");
        if (backend != null && defaultBackend != null) {
            frontend.error("default_backend", "conflicting keys: backend and default_backend both name the "
                    + "default backend; keep one (backend is the older name)");
        }
        YamlValue defaultValue = defaultBackend != null ? defaultBackend : backend;
        String defaultName = defaultValue == null ? null : reference(defaultValue);
        RouteAction fallback = null;
        YamlValue redirect = frontend.get("redirect");
        YamlValue ret = frontend.get("return");
        if (redirect != null || ret != null) {
            if (mode == Mode.TCP) {
                frontend.error(redirect != null ? "redirect" : "return",
                        "redirect and return answer HTTP requests; this frontend is mode tcp");
            } else if (redirect != null && ret != null) {
                frontend.error("return", "conflicting keys: a frontend answers unmatched requests with one of "
                        + "redirect or return");
            } else if (defaultValue != null) {
                frontend.error(redirect != null ? "redirect" : "return", "conflicting keys: requests no route "
                        + "matched go to the default backend (" + (defaultBackend != null ? "default_backend"
                        : "backend") + ") or get this answer, not both");
            } else {
                fallback = redirect != null ? redirect(redirect) : ret(ret);
            }
        }
        YamlValue routesValue = frontend.get("routes");
        List<RouteConfig> routes = routesValue == null ? List.of() : routes(routesValue, mode, plain);
        if (defaultValue == null && fallback == null && routes.isEmpty() && frontend.isValid()
                && redirect == null && ret == null) {
            frontend.required("backend"); // the name every existing config uses
        }
        HeaderRules headers = HeaderRules.none();
        RequestIdConfig requestId = null;
        long maxBody = -1;
        CompressionConfig compression = null;
        List<HeaderRule> afterResponse = List.of();
        if (mode == Mode.TCP) {
            for (String key : List.of("request_headers", "response_headers", "hsts", "request_id",
                    "max_request_body", "compression", "after_response_headers")) {
                if (frontend.get(key) != null) {
                    frontend.error(key, key + " needs HTTP; this frontend is mode tcp");
                }
            }
        } else {
            headers = HeaderRulesBinder.bind(frontend, plain, HeaderRulesBinder.hsts(frontend, plain));
            requestId = HeaderRulesBinder.requestId(frontend);
            maxBody = maxRequestBody(frontend);
            compression = CompressionBinder.bind(frontend.get("compression"));
            if (compression != null && compression.off()) {
                compression = null; // a frontend's false is its default
            }
            afterResponse = HeaderRulesBinder.afterResponse(frontend, plain);
        }
        return new Bound(defaultName, new RoutingConfig(routes, fallback, headers, requestId, maxBody,
                compression, afterResponse),
                List.copyOf(clientCertificateKeys));
    }

    private String reference(YamlValue value) {
        String name = value.string();
        if (name != null) {
            references.add(new FrontendBinder.BackendReference(name, value));
        }
        return name;
    }

    private List<RouteConfig> routes(YamlValue value, Mode mode, boolean plain) {
        List<RouteConfig> routes = new ArrayList<>();
        YamlValue catchAll = null;
        for (YamlValue item : value.list("a list of routes like [{ host: www.example.com, backend: web }]")) {
            RouteConfig route = route(item, mode, plain);
            if (route == null) {
                continue;
            }
            if (catchAll != null) {
                item.warn("this route can never match: the route on line " + catchAll.line()
                        + " has no conditions and matches every request first");
            } else if (route.catchAll()) {
                catchAll = item;
            }
            routes.add(route);
        }
        return routes;
    }

    private RouteConfig route(YamlValue value, Mode mode, boolean plain) {
        YamlMap m = value.map();
        if (!m.isValid()) {
            return null;
        }
        List<RouteCondition> conditions = new ArrayList<>();
        for (String key : mode == Mode.TCP ? TCP_CONDITIONS : List.of("host", "host_regex", "path", "path_prefix",
                "path_regex", "method", "header", "query", "source", "sni", "sni_regex", "tls_version", "client_verified",
                "client_subject", "client_subject_regex")) {
            YamlValue v = m.get(key);
            if (v == null) {
                continue;
            }
            if (plain && TLS_CONDITIONS.contains(key)) {
                m.error(key, key + " tests the TLS connection; this frontend is plain HTTP (tls: false)");
                continue;
            }
            RouteCondition c = condition(key, v);
            if (c != null) {
                conditions.add(c);
                if (CLIENT_CERTIFICATE_CONDITIONS.contains(key)) {
                    clientCertificateKeys.add(v);
                }
            }
        }
        if (mode == Mode.TCP) {
            for (String httpKey : List.of("host", "host_regex", "path", "path_prefix", "path_regex", "method",
                    "header", "query", "redirect", "return", "request_headers", "response_headers", "strip_prefix",
                    "replace_prefix", "max_request_body", "compression")) {
                if (m.get(httpKey) != null) {
                    m.error(httpKey, httpKey + " needs HTTP; a mode tcp frontend routes on "
                            + String.join(", ", TCP_CONDITIONS));
                }
            }
        }
        YamlValue backend = m.get("backend");
        YamlValue redirect = mode == Mode.HTTP ? m.get("redirect") : null;
        YamlValue ret = mode == Mode.HTTP ? m.get("return") : null;
        HeaderRules headers = HeaderRules.none();
        PathRewrite rewrite = null;
        YamlValue strip = null;
        YamlValue replace = null;
        if (mode == Mode.HTTP) {
            headers = HeaderRulesBinder.bind(m, plain, null);
            strip = m.get("strip_prefix");
            replace = m.get("replace_prefix");
            rewrite = pathRewrite(m, strip, replace);
        }
        YamlValue maxBodyValue = mode == Mode.HTTP ? m.get("max_request_body") : null;
        long maxBody = maxBodyValue == null ? -1 : maxRequestBody(m);
        YamlValue compressionValue = mode == Mode.HTTP ? m.get("compression") : null;
        CompressionConfig compression = CompressionBinder.bind(compressionValue);
        m.finish();
        List<String> actions = new ArrayList<>();
        if (backend != null) {
            actions.add("backend");
        }
        if (redirect != null) {
            actions.add("redirect");
        }
        if (ret != null) {
            actions.add("return");
        }
        if (actions.isEmpty()) {
            value.error(mode == Mode.TCP ? "a route needs a backend"
                    : "a route needs one of backend, redirect or return");
            return null;
        }
        if (actions.size() > 1) {
            value.error("conflicting keys: a route takes one of backend, redirect or return, got "
                    + String.join(" and ", actions));
            return null;
        }
        RouteAction action;
        if (backend != null) {
            String name = reference(backend);
            action = name == null ? null : new RouteAction.UseBackend(name);
        } else if (redirect != null) {
            action = redirect(redirect);
        } else {
            action = ret(ret);
        }
        if ((!headers.isEmpty() || strip != null || replace != null || maxBodyValue != null
                || compressionValue != null) && !(action instanceof RouteAction.UseBackend)) {
            value.error("request_headers, response_headers, strip_prefix, replace_prefix, max_request_body and "
                    + "compression apply to proxied requests; this route answers with a "
                    + (redirect != null ? "redirect" : "return"));
            return null;
        }
        return action == null ? null
                : new RouteConfig(conditions, action, value.origin(), headers, rewrite, maxBody, compression);
    }

    private static RouteCondition condition(String key, YamlValue v) {
        return switch (key) {
            case "host" -> {
                List<String> names = hostNames(v);
                yield names.isEmpty() ? null : new RouteCondition.Host(names);
            }
            case "sni" -> {
                List<String> names = hostNames(v);
                yield names.isEmpty() ? null : new RouteCondition.Sni(names);
            }
            case "host_regex" -> {
                Pattern p = regex(v, Pattern.CASE_INSENSITIVE);
                yield p == null ? null : new RouteCondition.HostRegex(p);
            }
            case "sni_regex" -> {
                Pattern p = regex(v, Pattern.CASE_INSENSITIVE);
                yield p == null ? null : new RouteCondition.SniRegex(p);
            }
            case "path" -> {
                List<String> paths = paths(v);
                yield paths.isEmpty() ? null : new RouteCondition.Path(paths);
            }
            case "path_prefix" -> {
                List<String> paths = paths(v);
                yield paths.isEmpty() ? null : new RouteCondition.PathPrefix(paths);
            }
            case "path_regex" -> {
                Pattern p = regex(v, 0);
                yield p == null ? null : new RouteCondition.PathRegex(p);
            }
            case "method" -> {
                List<String> methods = new ArrayList<>();
                for (YamlValue item : oneOrList(v, "a method or a list like [GET, HEAD]")) {
                    String s = item.string();
                    if (s != null && !TOKEN.matcher(s.strip()).find()) {
                        item.error("expected an HTTP method like GET, got " + item.describe());
                    } else if (s != null) {
                        methods.add(s.strip().toUpperCase(Locale.ROOT));
                    }
                }
                yield methods.isEmpty() ? null : new RouteCondition.Method(methods);
            }
            case "header" -> fieldTest(v, true);
            case "query" -> fieldTest(v, false);
            case "source" -> {
                List<Cidr> networks = new ArrayList<>();
                for (YamlValue item : oneOrList(v, "a CIDR or a list like [10.0.0.0/8, 192.168.0.0/16]")) {
                    Cidr c = item.cidr();
                    if (c != null) {
                        networks.add(c);
                    }
                }
                yield networks.isEmpty() ? null : new RouteCondition.Source(networks);
            }
            case "tls_version" -> {
                List<String> versions = new ArrayList<>();
                for (YamlValue item : oneOrList(v, "a TLS version or a list like [TLSv1.3]")) {
                    String s = item.choice(TLS_VERSIONS);
                    if (s != null) {
                        versions.add(s);
                    }
                }
                yield versions.isEmpty() ? null : new RouteCondition.TlsVersion(versions);
            }
            case "client_verified" -> {
                Boolean verified = v.bool();
                yield verified == null ? null : new RouteCondition.ClientVerified(verified);
            }
            case "client_subject" -> {
                List<String> subjects = new ArrayList<>();
                for (YamlValue item : oneOrList(v, "a subject DN or a list like [\"CN=alice,O=Example\"]")) {
                    String s = item.string();
                    if (s != null) {
                        subjects.add(s);
                    }
                }
                yield subjects.isEmpty() ? null : new RouteCondition.ClientSubject(subjects);
            }
            case "client_subject_regex" -> {
                Pattern p = regex(v, 0);
                yield p == null ? null : new RouteCondition.ClientSubjectRegex(p);
            }
            default -> throw new IllegalArgumentException(key);
        };
    }

    /** {@code { name: X-Canary }}, with {@code value:} or {@code regex:}. */
    private static RouteCondition fieldTest(YamlValue v, boolean header) {
        String what = header ? "header" : "query parameter";
        YamlMap m = v.map();
        if (!m.isValid()) {
            return null;
        }
        YamlValue nameValue = m.required("name");
        YamlValue value = m.get("value");
        YamlValue regexValue = m.get("regex");
        m.finish();
        String name = nameValue == null ? null : nameValue.string();
        if (name != null && header && !TOKEN.matcher(name).find()) {
            nameValue.error("expected a header name like X-Canary, got " + nameValue.describe());
            return null;
        }
        if (value != null && regexValue != null) {
            m.error("regex", "conflicting keys: a " + what + " test takes value or regex, not both");
            return null;
        }
        String equals = value == null ? null : value.scalar("a string");
        Pattern regex = regexValue == null ? null : regex(regexValue, 0);
        if (name == null || (value != null && equals == null) || (regexValue != null && regex == null)) {
            return null;
        }
        return header ? new RouteCondition.Header(name, equals, regex) : new RouteCondition.Query(name, equals, regex);
    }

    private static List<YamlValue> oneOrList(YamlValue v, String expected) {
        return v.isScalar() ? List.of(v) : v.list(expected);
    }

    private static List<String> hostNames(YamlValue v) {
        List<String> names = new ArrayList<>();
        for (YamlValue item : oneOrList(v, "a host name or a list like [www.example.com, \"*.example.com\"]")) {
            String s = item.string();
            if (s == null) {
                continue;
            }
            String lower = s.strip().toLowerCase(Locale.ROOT);
            if (!HOST_NAME.matcher(lower).find()) {
                item.error("expected a host name like www.example.com or *.example.com (without a port; "
                        + "use a _regex key for patterns), got " + item.describe());
                continue;
            }
            names.add(lower);
        }
        return names;
    }

    private static List<String> paths(YamlValue v) {
        List<String> paths = new ArrayList<>();
        for (YamlValue item : oneOrList(v, "a path or a list like [/api/, /static/]")) {
            String s = item.string();
            if (s == null) {
                continue;
            }
            if (!s.startsWith("/") || s.indexOf('?') >= 0 || s.chars().anyMatch(c -> c <= 0x20 || c >= 0x7f)) {
                item.error("expected a path starting with / (no query, no spaces), got " + item.describe());
                continue;
            }
            paths.add(s);
        }
        return paths;
    }

    /** {@code max_request_body: 10m} in bytes, or -1 when absent (or invalid: the error is recorded). */
    private static long maxRequestBody(YamlMap m) {
        if (m.get("max_request_body") == null) {
            return -1;
        }
        return m.size("max_request_body", -1, 0, Integer.MAX_VALUE);
    }

    /** {@code strip_prefix: /api} or {@code replace_prefix: { prefix: /old/, with: /new/ }}, or null. */
    private static PathRewrite pathRewrite(YamlMap route, YamlValue strip, YamlValue replace) {
        if (strip != null && replace != null) {
            route.error("replace_prefix", "conflicting keys: a route takes one of strip_prefix or replace_prefix");
            return null;
        }
        if (strip != null) {
            String prefix = rewritePath(strip);
            if (prefix != null && prefix.equals("/")) {
                strip.error("stripping / leaves every path as it is; name a prefix like /api");
                return null;
            }
            return prefix == null ? null : new PathRewrite(prefix, "");
        }
        if (replace == null) {
            return null;
        }
        YamlMap m = replace.map();
        if (!m.isValid()) {
            return null;
        }
        YamlValue prefixValue = m.required("prefix");
        YamlValue withValue = m.required("with");
        m.finish();
        String prefix = prefixValue == null ? null : rewritePath(prefixValue);
        String with = withValue == null ? null : rewritePath(withValue);
        return prefix == null || with == null ? null : new PathRewrite(prefix, with);
    }

    private static String rewritePath(YamlValue v) {
        String s = v.string();
        if (s == null) {
            return null;
        }
        if (!s.startsWith("/") || s.indexOf('?') >= 0 || s.chars().anyMatch(c -> c <= 0x20 || c >= 0x7f)) {
            v.error("expected a path starting with / (no query, no spaces), got " + v.describe());
            return null;
        }
        return s;
    }

    static Pattern regex(YamlValue v, int flags) {
        String text = v.string();
        if (text == null) {
            return null;
        }
        try {
            return Pattern.compile(text, flags);
        } catch (PatternSyntaxException e) {
            v.error("invalid regex (RE2 syntax): " + e.getMessage());
            return null;
        }
    }

    private static RouteAction redirect(YamlValue v) {
        YamlMap m = v.map();
        if (!m.isValid()) {
            return null;
        }
        YamlValue scheme = m.get("scheme");
        YamlValue location = m.get("location");
        YamlValue prefix = m.get("prefix");
        Integer code = m.choice("code", REDIRECT_CODES, 302);
        YamlValue dropValue = m.get("drop_query");
        Boolean dropQuery = dropValue == null ? Boolean.FALSE : dropValue.bool();
        m.finish();
        List<String> kinds = new ArrayList<>();
        if (scheme != null) {
            kinds.add("scheme");
        }
        if (location != null) {
            kinds.add("location");
        }
        if (prefix != null) {
            kinds.add("prefix");
        }
        if (kinds.size() != 1) {
            v.error(kinds.isEmpty() ? "a redirect needs one of scheme, location or prefix"
                    : "conflicting keys: a redirect takes one of scheme, location or prefix, got "
                    + String.join(" and ", kinds));
            return null;
        }
        if (location != null && dropValue != null) {
            m.error("drop_query", "a location is used as written, without the request's query; drop_query "
                    + "applies to scheme and prefix redirects");
            return null;
        }
        RouteAction.Redirect.Kind kind;
        String target;
        if (scheme != null) {
            kind = RouteAction.Redirect.Kind.SCHEME;
            target = scheme.string();
            if (target != null && !target.matches("[A-Za-z][A-Za-z0-9+.-]*")) {
                scheme.error("expected a URL scheme like https, got " + scheme.describe());
                return null;
            }
            target = target == null ? null : target.toLowerCase(Locale.ROOT);
        } else {
            YamlValue t = location != null ? location : prefix;
            kind = location != null ? RouteAction.Redirect.Kind.LOCATION : RouteAction.Redirect.Kind.PREFIX;
            target = t.string();
            if (target != null && target.chars().anyMatch(c -> c <= 0x20 || c >= 0x7f)) {
                t.error("a Location cannot hold spaces or control characters; percent-encode them: "
                        + t.describe());
                return null;
            }
        }
        if (target == null || code == null || dropQuery == null) {
            return null;
        }
        return new RouteAction.Redirect(kind, target, code, dropQuery);
    }

    private static RouteAction ret(YamlValue v) {
        YamlMap m = v.map();
        if (!m.isValid()) {
            return null;
        }
        int status = m.integer("status", 200, 200, 599);
        YamlValue typeValue = m.get("content_type");
        YamlValue bodyValue = m.get("body");
        m.finish();
        String type = typeValue == null ? null : typeValue.string();
        String body = bodyValue == null ? "" : bodyValue.scalar("a string");
        if (body == null || (typeValue != null && type == null)) {
            return null;
        }
        if (!body.isEmpty() && type == null) {
            m.error("body", "a body needs its content_type (as HAProxy's return asks for content-type)");
            return null;
        }
        if (type != null && type.chars().anyMatch(c -> c < 0x20 || c >= 0x7f)) {
            typeValue.error("expected a media type like text/plain, got " + typeValue.describe());
            return null;
        }
        if (status == 204 || status == 304) {
            if (!body.isEmpty()) {
                m.error("body", status + " responses have no body");
                return null;
            }
        }
        return new RouteAction.Return(status, type, body);
    }
}
