package io.stapled.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The routing keys: what they bind to, and each mistake as one {@code file:line key.path} error (or,
 * for a route that can never match, a warning).
 */
class RouteConfigTest {

    private static final Path FILE = Path.of("stapled.yaml");

    private static String config(String frontend) {
        return """
                frontends:
                  - name: web
                    bind: 127.0.0.1:0
                    certificates:
                      - crt: site.pem
                """ + frontend.indent(4) + """
                backends:
                  - name: app
                    servers:
                      - { name: s1, address: 127.0.0.1:8080 }
                  - name: api
                    servers:
                      - { name: s1, address: 127.0.0.1:8081 }
                """;
    }

    private static StapledConfig load(String frontend) {
        return ConfigLoader.parse(config(frontend), FILE, ConfigLoader.Option.SKIP_FILE_CHECKS);
    }

    private static List<String> errors(String frontend) {
        ConfigException e = assertThrows(ConfigException.class, () -> load(frontend));
        return e.errors().stream().map(ConfigError::format).toList();
    }

    @Test
    void routesBindInOrderWithTheDefaultBackend() {
        FrontendConfig fe = load("""
                default_backend: app
                routes:
                  - host: [API.example.com, "*.api.example.com"]
                    path_prefix: /v1/
                    method: get
                    backend: api
                  - path: /old
                    redirect: { prefix: https://new.example.com, code: 308, drop_query: true }
                  - path: /health
                    return: { content_type: text/plain, body: ok }
                """).frontends().get(0);
        assertEquals("app", fe.backend());
        List<RouteConfig> routes = fe.routing().routes();
        assertEquals(3, routes.size());
        assertEquals(List.of(new RouteCondition.Host(List.of("api.example.com", "*.api.example.com")),
                new RouteCondition.PathPrefix(List.of("/v1/")), new RouteCondition.Method(List.of("GET"))),
                routes.get(0).conditions());
        assertEquals(new RouteAction.UseBackend("api"), routes.get(0).action());
        assertEquals(new RouteAction.Redirect(RouteAction.Redirect.Kind.PREFIX, "https://new.example.com", 308, true),
                routes.get(1).action());
        assertEquals(new RouteAction.Return(200, "text/plain", "ok"), routes.get(2).action());
        assertEquals(new ConfigOrigin(FILE, 8, "frontends[0].routes[0]"), routes.get(0).origin());
        assertNull(fe.routing().fallback());
    }

    @Test
    void clientCertificateConditionsBind() {
        List<RouteConfig> routes = load("""
                default_backend: app
                routes:
                  - client_verified: false
                    path_prefix: /admin/
                    return: { status: 403 }
                  - client_subject: ["CN=alice,O=Example", "CN=bob"]
                    backend: api
                  - client_subject_regex: "^CN=ops-"
                    backend: api
                """).frontends().get(0).routing().routes();
        assertEquals(List.of(new RouteCondition.PathPrefix(List.of("/admin/")), new RouteCondition.ClientVerified(false)),
                routes.get(0).conditions());
        assertEquals(List.of(new RouteCondition.ClientSubject(List.of("CN=alice,O=Example", "CN=bob"))),
                routes.get(1).conditions());
        assertEquals("^CN=ops-", ((RouteCondition.ClientSubjectRegex) routes.get(2).conditions().get(0)).pattern()
                .pattern());
    }

    @Test
    void theOldBackendKeyIsTheDefaultBackend() {
        assertEquals("app", load("backend: app").frontends().get(0).backend());
    }

    @Test
    void aFrontendLevelRedirectAnswersWhatNoRouteMatched() {
        FrontendConfig fe = load("""
                routes:
                  - path_prefix: /.well-known/acme-challenge/
                    backend: app
                redirect: { scheme: https, code: 301 }
                """).frontends().get(0);
        assertNull(fe.backend());
        assertEquals(new RouteAction.Redirect(RouteAction.Redirect.Kind.SCHEME, "https", 301, false),
                fe.routing().fallback());
    }

    @Test
    void badRegexIsAnErrorAtItsLine() {
        assertEquals(List.of("stapled.yaml:8 frontends[0].routes[0].path_regex: invalid regex (RE2 syntax): "
                + "error parsing regexp: missing closing ): `^/(a`"), errors("""
                default_backend: app
                routes:
                  - path_regex: "^/(a"
                    backend: api
                """));
        // Backreferences need backtracking: RE2 does not have them, so they cannot make a request slow.
        assertEquals(1, errors("""
                default_backend: app
                routes:
                  - host_regex: "(a+)\\\\1"
                    backend: api
                """).size());
    }

    @Test
    void unknownBackendInARoute() {
        assertEquals(List.of("stapled.yaml:9 frontends[0].routes[0].backend: no backend named \"nope\""), errors("""
                default_backend: app
                routes:
                  - path: /x
                    backend: nope
                """));
        assertEquals(List.of("stapled.yaml:6 frontends[0].default_backend: no backend named \"gone\""),
                errors("default_backend: gone"));
    }

    @Test
    void conflictingKeys() {
        assertEquals(List.of("stapled.yaml:7 frontends[0].default_backend: conflicting keys: backend and "
                + "default_backend both name the default backend; keep one (backend is the older name)"), errors("""
                backend: app
                default_backend: app
                """));
        assertEquals(List.of("stapled.yaml:8 frontends[0].routes[0]: conflicting keys: a route takes one of "
                + "backend, redirect or return, got backend and redirect"), errors("""
                default_backend: app
                routes:
                  - path: /x
                    backend: api
                    redirect: { scheme: https }
                """));
        assertEquals(List.of("stapled.yaml:7 frontends[0].redirect: conflicting keys: requests no route matched "
                + "go to the default backend (default_backend) or get this answer, not both"), errors("""
                default_backend: app
                redirect: { scheme: https }
                """));
        assertEquals(List.of("stapled.yaml:8 frontends[0].routes[0].redirect: conflicting keys: a redirect takes "
                + "one of scheme, location or prefix, got scheme and location"), errors("""
                default_backend: app
                routes:
                  - redirect: { scheme: https, location: /x }
                """));
        assertEquals(List.of("stapled.yaml:8 frontends[0].routes[0].header.regex: conflicting keys: a header test "
                + "takes value or regex, not both"), errors("""
                default_backend: app
                routes:
                  - header: { name: X-A, value: "1", regex: "2" }
                    backend: api
                """));
    }

    @Test
    void badValues() {
        List<String> e = errors("""
                default_backend: app
                routes:
                  - host: "www.example.com:443"
                    path: api
                    method: "GE T"
                    source: 10.0.0.0/33
                    tls_version: SSLv3
                    backend: api
                  - redirect: { scheme: https, code: 305 }
                  - return: { status: 99 }
                  - return: { body: "no type" }
                  - redirect: { location: /x, drop_query: true }
                  - backend: api
                    client_verified: maybe
                    client_subject_regex: "CN=(a"
                """);
        assertEquals(List.of(
                "stapled.yaml:8 frontends[0].routes[0].host: expected a host name like www.example.com or "
                        + "*.example.com (without a port; use a _regex key for patterns), got \"www.example.com:443\"",
                "stapled.yaml:9 frontends[0].routes[0].path: expected a path starting with / (no query, no spaces), "
                        + "got \"api\"",
                "stapled.yaml:10 frontends[0].routes[0].method: expected an HTTP method like GET, got \"GE T\"",
                "stapled.yaml:11 frontends[0].routes[0].source: prefix length must be 0 to 32 in \"10.0.0.0/33\"",
                "stapled.yaml:12 frontends[0].routes[0].tls_version: expected one of tlsv1.2, tlsv1.3, got \"SSLv3\"",
                "stapled.yaml:14 frontends[0].routes[1].redirect.code: expected one of 301, 302, 303, 307, 308, "
                        + "got \"305\"",
                "stapled.yaml:15 frontends[0].routes[2].return.status: expected an integer from 200 to 599, got 99",
                "stapled.yaml:16 frontends[0].routes[3].return.body: a body needs its content_type (as HAProxy's "
                        + "return asks for content-type)",
                "stapled.yaml:17 frontends[0].routes[4].redirect.drop_query: a location is used as written, without "
                        + "the request's query; drop_query applies to scheme and prefix redirects",
                "stapled.yaml:19 frontends[0].routes[5].client_verified: expected true or false, got \"maybe\"",
                "stapled.yaml:20 frontends[0].routes[5].client_subject_regex: invalid regex (RE2 syntax): "
                        + "error parsing regexp: missing closing ): `CN=(a`"), e);
    }

    @Test
    void clientCertificateConditionsWithoutClientAuthAreAWarning() {
        String routes = """
                default_backend: app
                routes:
                  - client_verified: true
                    backend: api
                """;
        assertEquals(List.of("stapled.yaml:8 frontends[0].routes[0].client_verified: this frontend asks for no "
                + "client certificate (tls.client_auth), so no connection has a verified one: this condition is "
                + "decided before any client connects"),
                load(routes).warnings().stream().map(ConfigError::format).toList());
        assertEquals(List.of(), load(routes + "tls: { client_auth: { mode: optional, ca_file: ca.pem } }\n")
                .warnings());
    }

    @Test
    void aRouteAfterACatchAllIsAWarning() {
        StapledConfig c = load("""
                default_backend: app
                routes:
                  - backend: api
                  - path: /never
                    backend: app
                """);
        assertEquals(List.of("stapled.yaml:9 frontends[0].routes[1]: this route can never match: the route on "
                + "line 8 has no conditions and matches every request first"),
                c.warnings().stream().map(ConfigError::format).toList());
    }

    @Test
    void tcpFrontendsRouteOnTheConnectionOnly() {
        assertEquals(List.of(
                "stapled.yaml:10 frontends[0].routes[0].path: path needs HTTP; a mode tcp frontend routes on sni, "
                        + "sni_regex, source, tls_version, client_verified, client_subject, client_subject_regex",
                "stapled.yaml:12 frontends[0].redirect: redirect and return answer HTTP requests; this frontend is "
                        + "mode tcp"), errors("""
                mode: tcp
                default_backend: app
                routes:
                  - sni: a.example.com
                    path: /x
                    backend: api
                redirect: { scheme: https }
                """));
        FrontendConfig fe = load("""
                mode: tcp
                default_backend: app
                routes:
                  - sni: [a.example.com, "*.b.example.com"]
                    backend: api
                """).frontends().get(0);
        assertEquals(List.of(new RouteCondition.Sni(List.of("a.example.com", "*.b.example.com"))),
                fe.routing().routes().get(0).conditions());
    }

    @Test
    void plainFrontendsHaveNoCertificatesAndNoTlsConditions() {
        String plain = """
                frontends:
                  - name: http
                    bind: 127.0.0.1:0
                    tls: false
                    backend: app
                backends:
                  - name: app
                    servers:
                      - { name: s1, address: 127.0.0.1:8080 }
                """;
        FrontendConfig fe = ConfigLoader.parse(plain, FILE).frontends().get(0);
        assertTrue(fe.plain());
        assertEquals(List.of(), fe.certificates());
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(plain.replace(
                "    backend: app\n", "    backend: app\n    certificates:\n      - crt: site.pem\n"
                        + "    routes:\n      - sni: a.example.com\n        backend: app\n"
                        + "      - client_verified: true\n        backend: app\n"), FILE,
                ConfigLoader.Option.SKIP_FILE_CHECKS));
        assertEquals(List.of(
                "stapled.yaml:6 frontends[0].certificates: certificates belongs to a TLS frontend; this one is plain "
                        + "HTTP (tls: false)",
                "stapled.yaml:9 frontends[0].routes[0].sni: sni tests the TLS connection; this frontend is plain "
                        + "HTTP (tls: false)",
                "stapled.yaml:11 frontends[0].routes[1].client_verified: client_verified tests the TLS connection; "
                        + "this frontend is plain HTTP (tls: false)"), e.errors().stream().map(ConfigError::format).toList());
        // Leaving certificates out of a TLS frontend is still an error, not a plain listener.
        ConfigException missing = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                plain.replace("    tls: false\n", ""), FILE));
        assertEquals("stapled.yaml:2 frontends[0].certificates: missing required key", missing.getMessage());
    }
}
