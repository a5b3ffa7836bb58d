package io.stapled.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * {@code request_headers}, {@code response_headers}, {@code hsts} and {@code request_id}: what they
 * bind to (templates compiled into parts at load), and each mistake as a {@code file:line key.path} error.
 */
class HeaderRulesConfigTest {
    private static final Path FILE = Path.of("stapled.yaml");

    private static String config(String frontend, boolean plain) {
        return """
                frontends:
                  - name: web
                    bind: 127.0.0.1:0
                    backend: app
                """ + (plain ? "    tls: false\n" : "    certificates: [ { crt: site.pem } ]\n")
                + frontend.indent(4) + """
                backends:
                  - name: app
                    servers:
                      - { name: s1, address: 127.0.0.1:8080 }
                """;
    }

    private static FrontendConfig load(String frontend) {
        return ConfigLoader.parse(config(frontend, false), FILE, ConfigLoader.Option.SKIP_FILE_CHECKS)
                .frontends().get(0);
    }

    private static List<String> errors(String frontend, boolean plain) {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse(config(frontend, plain), FILE, ConfigLoader.Option.SKIP_FILE_CHECKS));
        return e.errors().stream().map(ConfigError::format).toList();
    }

    @Test
    void rulesBindInOrderWithCompiledTemplates() {
        FrontendConfig fe = load("""
                request_headers:
                  - { set: X-Client, value: "ip=%[src] port=%[src_port] 100%%" }
                  - { add: X-Host, value: "%[req.hdr(Host)]" }
                  - { delete: X-Secret }
                  - { delete_regex: "^x-internal-" }
                response_headers:
                  - { delete: Server }
                hsts: { max_age: 1y, include_subdomains: true, preload: true }
                request_id: { header: X-Trace-Id, trust_incoming: true }
                """);
        List<HeaderRule> request = fe.routing().headers().request();
        assertEquals(4, request.size());
        assertEquals(new HeaderRule.Set("x-client", new HeaderTemplate(List.of(
                new HeaderTemplate.Literal("ip="), new HeaderTemplate.Fetch(HeaderTemplate.Kind.SRC, null),
                new HeaderTemplate.Literal(" port="), new HeaderTemplate.Fetch(HeaderTemplate.Kind.SRC_PORT, null),
                new HeaderTemplate.Literal(" 100%")))), request.get(0));
        assertEquals(new HeaderRule.Add("x-host", new HeaderTemplate(List.of(
                new HeaderTemplate.Fetch(HeaderTemplate.Kind.REQ_HDR, "host")))), request.get(1));
        assertEquals(new HeaderRule.Delete("x-secret"), request.get(2));
        assertTrue(request.get(3) instanceof HeaderRule.DeleteRegex d && d.names().matcher("X-Internal-A").find());
        List<HeaderRule> response = fe.routing().headers().response();
        assertEquals(new HeaderRule.Delete("server"), response.get(0));
        assertEquals(new HeaderRule.Set("strict-transport-security", new HeaderTemplate(List.of(
                new HeaderTemplate.Literal("max-age=31536000; includeSubDomains; preload")))), response.get(1),
                "hsts is the last response rule");
        assertEquals(new RequestIdConfig("x-trace-id", true), fe.routing().requestId());
    }

    @Test
    void requestIdIsOffUnlessAskedForAndDefaultsToXRequestId() {
        assertNull(load("").routing().requestId());
        assertEquals(new RequestIdConfig("x-request-id", false), load("request_id: {}").routing().requestId());
    }

    @Test
    void hstsMaxAgeTakesDurations() {
        assertEquals(new HeaderRule.Set("strict-transport-security", new HeaderTemplate(List.of(
                new HeaderTemplate.Literal("max-age=86400")))),
                load("hsts: { max_age: 1d }").routing().headers().response().get(0));
    }

    @Test
    void anUnknownFetchIsAnErrorAtItsLine() {
        List<String> e = errors("""
                request_headers:
                  - { set: X-A, value: "%[src]" }
                  - { set: X-B, value: "%[hdr(host)]" }
                """, false);
        assertEquals(1, e.size(), e.toString());
        assertTrue(e.get(0).startsWith("stapled.yaml:8 frontends[0].request_headers[1].value: unknown fetch "
                + "%[hdr(host)]; known: "), e.get(0));
    }

    @Test
    void templateAndRuleMistakes() {
        assertEquals(List.of("stapled.yaml:7 frontends[0].request_headers[0].value: at character 3: expected "
                + "%[fetch] or %% for a literal %, in \"50%\""), errors("""
                request_headers:
                  - { set: X-A, value: "50%" }
                """, false));
        assertEquals(List.of("stapled.yaml:7 frontends[0].request_headers[0].value: req.hdr needs a header name, "
                + "as %[req.hdr(host)]"), errors("""
                request_headers:
                  - { set: X-A, value: "%[req.hdr()]" }
                """, false));
        assertEquals(List.of("stapled.yaml:7 frontends[0].response_headers[0]: conflicting keys: a header rule "
                + "takes one of set, add, delete or delete_regex, got set and delete"), errors("""
                response_headers:
                  - { set: X-A, delete: X-B, value: x }
                """, false));
        assertEquals(List.of("stapled.yaml:7 frontends[0].response_headers[0]: set needs a value (a template "
                + "like \"%[src]\")"), errors("""
                response_headers:
                  - { set: X-A }
                """, false));
        assertTrue(errors("""
                response_headers:
                  - { delete_regex: "(" }
                """, false).get(0).startsWith("stapled.yaml:7 frontends[0].response_headers[0].delete_regex: "
                + "invalid regex (RE2 syntax)"));
        assertEquals(List.of("stapled.yaml:7 frontends[0].request_headers[0].set: expected a header name like "
                + "X-Client-Ip, got \"X A\""), errors("""
                request_headers:
                  - { set: "X A", value: x }
                """, false));
    }

    @Test
    void framingHeadersAreNotForRules() {
        assertEquals(List.of("stapled.yaml:7 frontends[0].response_headers[0].delete: content-length frames the "
                + "message and is stapled's to set; a rule cannot change it"), errors("""
                response_headers:
                  - { delete: Content-Length }
                """, false));
        assertEquals(List.of("stapled.yaml:7 frontends[0].request_headers[0].set: transfer-encoding frames the "
                + "message and is stapled's to set; a rule cannot change it"), errors("""
                request_headers:
                  - { set: Transfer-Encoding, value: chunked }
                """, false));
    }

    @Test
    void tlsOnlyThingsOnAPlainFrontend() {
        assertEquals(List.of("stapled.yaml:6 frontends[0].hsts: Strict-Transport-Security is ignored by browsers "
                + "over plain HTTP (RFC 6797 section 8.1); this frontend is tls: false - redirect it to https "
                + "instead"), errors("hsts: { max_age: 1y }", true));
        assertEquals(List.of("stapled.yaml:7 frontends[0].request_headers[0].value: %[ssl_fc_sni] reads the TLS "
                + "connection; this frontend is plain HTTP (tls: false)"), errors("""
                request_headers:
                  - { set: X-Sni, value: "%[ssl_fc_sni]" }
                """, true));
    }

    @Test
    void tcpFrontendsHaveNoHeaders() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("""
                frontends:
                  - name: tcp
                    bind: 127.0.0.1:0
                    mode: tcp
                    backend: app
                    certificates: [ { crt: site.pem } ]
                    hsts: { max_age: 1y }
                    request_headers: [ { delete: X-A } ]
                    routes:
                      - sni: a.test
                        backend: app
                        strip_prefix: /a
                backends:
                  - name: app
                    servers: [ { name: s1, address: 127.0.0.1:8080 } ]
                """, FILE, ConfigLoader.Option.SKIP_FILE_CHECKS));
        assertEquals(List.of("stapled.yaml:7 frontends[0].hsts: hsts needs HTTP; this frontend is mode tcp",
                "stapled.yaml:8 frontends[0].request_headers: request_headers needs HTTP; this frontend is mode tcp",
                "stapled.yaml:12 frontends[0].routes[0].strip_prefix: strip_prefix needs HTTP; a mode tcp frontend "
                        + "routes on sni, sni_regex, source, tls_version, client_verified, client_subject, client_subject_regex"),
                e.errors().stream().map(ConfigError::format).toList());
    }

    @Test
    void preloadNeedsAYearAndSubdomains() {
        assertEquals(List.of("stapled.yaml:6 frontends[0].hsts.preload: the HSTS preload list requires "
                + "include_subdomains: true and a max_age of at least 1y"),
                errors("hsts: { max_age: 180d, include_subdomains: true, preload: true }", false));
    }

    @Test
    void pathRewrites() {
        FrontendConfig fe = load("""
                routes:
                  - path_prefix: /api/
                    backend: app
                    strip_prefix: /api
                  - path_prefix: /old/
                    backend: app
                    replace_prefix: { prefix: /old/, with: /new/ }
                """);
        assertEquals(new PathRewrite("/api", ""), fe.routing().routes().get(0).pathRewrite());
        assertEquals(new PathRewrite("/old/", "/new/"), fe.routing().routes().get(1).pathRewrite());
        assertEquals(List.of("stapled.yaml:10 frontends[0].routes[0].replace_prefix: conflicting keys: a route "
                + "takes one of strip_prefix or replace_prefix"), errors("""
                routes:
                  - path_prefix: /api/
                    backend: app
                    strip_prefix: /api
                    replace_prefix: { prefix: /api/, with: /v1/ }
                """, false));
        assertEquals(List.of("stapled.yaml:9 frontends[0].routes[0].strip_prefix: expected a path starting with / "
                + "(no query, no spaces), got \"api\""), errors("""
                routes:
                  - path_prefix: /api/
                    backend: app
                    strip_prefix: api
                """, false));
        assertEquals(List.of("stapled.yaml:9 frontends[0].routes[0].replace_prefix.with: missing required key"),
                errors("""
                routes:
                  - path_prefix: /api/
                    backend: app
                    replace_prefix: { prefix: /api/ }
                """, false));
    }

    @Test
    void maxRequestBody() {
        FrontendConfig fe = load("""
                max_request_body: 1m
                routes:
                  - path_prefix: /upload/
                    backend: app
                    max_request_body: 1g
                  - path_prefix: /x/
                    backend: app
                """);
        assertEquals(1 << 20, fe.routing().maxRequestBody());
        assertEquals(1L << 30, fe.routing().routes().get(0).maxRequestBody());
        assertEquals(-1, fe.routing().routes().get(1).maxRequestBody(), "the frontend's applies");
        assertEquals(-1, load("").routing().maxRequestBody(), "no limit by default");
        List<String> e = errors("max_request_body: lots", false);
        assertTrue(e.size() == 1 && e.get(0).startsWith("stapled.yaml:6 frontends[0].max_request_body: "), e.toString());
    }

    @Test
    void pathRewriteMatchesWholeSegments() {
        PathRewrite strip = new PathRewrite("/api", "");
        assertEquals("/v1/x?q", strip.apply("/api/v1/x?q"));
        assertEquals("/", strip.apply("/api"));
        assertEquals("/?q", strip.apply("/api?q"));
        assertEquals("/apix", strip.apply("/apix"));
        assertEquals("/other", strip.apply("/other"));
        assertEquals("http://h/x", strip.apply("http://h/api/x"), "absolute form keeps its authority");
        assertEquals("/new/x", new PathRewrite("/old/", "/new/").apply("/old/x"));
    }

    @Test
    void routeRulesOnlyOnProxyingRoutes() {
        FrontendConfig fe = load("""
                routes:
                  - path_prefix: /api/
                    backend: app
                    request_headers: [ { set: X-Route, value: api } ]
                """);
        assertEquals(List.of(new HeaderRule.Set("x-route", new HeaderTemplate(List.of(
                new HeaderTemplate.Literal("api"))))), fe.routing().routes().get(0).headers().request());
        assertEquals(List.of("stapled.yaml:7 frontends[0].routes[0]: request_headers, response_headers, strip_prefix, "
                + "replace_prefix, max_request_body and compression apply to proxied requests; this route answers "
                + "with a return"), errors("""
                routes:
                  - path: /health
                    return: { status: 200 }
                    response_headers: [ { set: X-A, value: b } ]
                """, false));
    }
}
