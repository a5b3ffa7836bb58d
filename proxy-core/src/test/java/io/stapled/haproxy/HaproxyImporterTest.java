package io.stapled.haproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** One translation or one refusal per test: the YAML read back, the skipped lines with their numbers. */
class HaproxyImporterTest {
    private static HaproxyImporter.Result convert(String cfg) {
        return HaproxyImporter.convert(HaproxyParser.parse(cfg, "h.cfg", Map.of()), "h.cfg");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> yaml(String cfg) {
        return new Yaml().load(convert(cfg).yaml());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> frontend(String cfg, int i) {
        return ((List<Map<String, Object>>) yaml(cfg).get("frontends")).get(i);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> backend(String cfg, int i) {
        return ((List<Map<String, Object>>) yaml(cfg).get("backends")).get(i);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> server(String cfg) {
        return ((List<Map<String, Object>>) backend(cfg, 0).get("servers")).get(0);
    }

    private static List<String> skipped(String cfg) {
        return convert(cfg).skipped().stream().map(s -> s.where() + " " + s.reason()).toList();
    }

    private static final String HTTP = "defaults\n  mode http\nfrontend f\n  bind :80\n";
    private static final String BACKEND = "backend app\n  server a 10.0.0.1:80\n";

    @Test
    void globalTlsFilesAndDefaults() {
        String cfg = """
                global
                  crt-base /etc/haproxy/certs
                  key-base /etc/haproxy/keys
                  ssl-load-extra-del-ext
                  issuers-chain-path /etc/haproxy/issuers
                  ssl-default-bind-ciphers ECDHE-RSA-AES128-GCM-SHA256
                  ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256
                  ssl-default-bind-options ssl-min-ver TLSv1.3 no-tls-tickets
                defaults
                  mode http
                frontend f
                  bind :443 ssl crt site.pem
                  default_backend app
                """ + BACKEND;
        Map<String, Object> y = yaml(cfg);
        assertEquals(Map.of("crt_base", "/etc/haproxy/certs", "key_base", "/etc/haproxy/keys",
                "load_extra_del_ext", true, "issuers_chain_path", "/etc/haproxy/issuers"), y.get("global"));
        Map<String, Object> fe = frontend(cfg, 0);
        assertEquals(List.of(Map.of("crt", "site.pem")), fe.get("certificates"));
        assertEquals(Map.of("ciphers", "ECDHE-RSA-AES128-GCM-SHA256", "ciphersuites", "TLS_AES_128_GCM_SHA256",
                "protocols", List.of("TLSv1.3"), "session_tickets", false), fe.get("tls"));
        assertEquals(List.of(), skipped(cfg));
    }

    @Test
    void bindOptions() {
        Map<String, Object> fe = frontend("""
                defaults
                  mode http
                frontend f
                  bind 0.0.0.0:443 ssl crt /c/ crt-list /c/list.txt alpn h2,http/1.1 strict-sni default-crt /c/a.pem verify required ca-file ca.pem crl-file ca.crl accept-proxy
                  default_backend app
                """ + BACKEND, 0);
        assertEquals("0.0.0.0:443", fe.get("bind"));
        assertEquals(List.of(Map.of("dir", "/c/"), Map.of("crt_list", "/c/list.txt")), fe.get("certificates"));
        assertEquals("/c/a.pem", fe.get("default_certificate"));
        assertEquals(true, fe.get("accept_proxy"));
        assertEquals(Map.of("alpn", List.of("h2", "http/1.1"), "strict_sni", true,
                "client_auth", Map.of("mode", "required", "ca_file", "ca.pem", "crl_file", "ca.crl")), fe.get("tls"));
    }

    @Test
    void caBaseResolvesCaAndCrlFiles() {
        Map<String, Object> fe = frontend("global\n  ca-base /etc/ca\n" + HTTP.replace("bind :80",
                "bind :443 ssl crt s.pem verify optional ca-file c.pem crl-file /abs/c.crl") + "  default_backend app\n"
                + BACKEND, 0);
        assertEquals(Map.of("mode", "optional", "ca_file", "/etc/ca/c.pem", "crl_file", "/abs/c.crl"),
                ((Map<?, ?>) fe.get("tls")).get("client_auth"));
    }

    @Test
    void addressesInStapledSpelling() {
        String cfg = "defaults\n  mode http\nfrontend f\n  bind *:80\n  bind :::8080\n  bind ipv4@127.0.0.1:81\n"
                + "  default_backend app\nbackend app\n  server a [2001:db8::1]:80\n  server b 2001:db8::2:80\n";
        assertEquals(":80", frontend(cfg, 0).get("bind"));
        assertEquals("[::]:8080", frontend(cfg, 1).get("bind"));
        assertEquals("f-2", frontend(cfg, 1).get("name"));
        assertEquals("127.0.0.1:81", frontend(cfg, 2).get("bind"));
        assertEquals("[2001:db8::2]:80", ((List<Map<?, ?>>) backend(cfg, 0).get("servers")).get(1).get("address"));
    }

    @Test
    void modeTcpAndHaproxysDefaultModeIsTcp() {
        assertEquals("tcp", frontend("frontend f\n  bind :993 ssl crt s.pem\n  default_backend app\n" + BACKEND, 0)
                .get("mode"));
        assertNull(frontend(HTTP + "  default_backend app\n" + BACKEND, 0).get("mode"));
    }

    @Test
    void namedAndAnonymousAclsAsRoutes() {
        Map<String, Object> fe = frontend(HTTP + """
                  acl api hdr(host) -i api.example.com
                  acl preview hdr_end(host) -i .preview.example.com
                  acl dom hdr_dom(host) -i example.org
                  use_backend app if api { path_beg /v1/ /v2/ }
                  use_backend app if preview || dom
                  use_backend app if { path /exact } METH_GET
                  use_backend app if { path_reg ^/x/[0-9]+$ } { src 10.0.0.0/8 }
                  use_backend app if { ssl_fc_sni -i a.example.com } or { req.ssl_sni -m end .b.example.com }
                  use_backend app if { method POST PUT }
                  use_backend app if { req.hdr(X-Canary) -m found } { urlp(debug) -m found }
                  default_backend app
                """ + BACKEND, 0);
        assertEquals(List.of(
                Map.of("host", "api.example.com", "path_prefix", List.of("/v1/", "/v2/"), "backend", "app"),
                Map.of("host", List.of("*.preview.example.com", "example.org", "*.example.org"), "backend", "app"),
                Map.of("path", "/exact", "method", List.of("GET", "HEAD"), "backend", "app"),
                Map.of("path_regex", "^/x/[0-9]+$", "source", "10.0.0.0/8", "backend", "app"),
                Map.of("sni", List.of("a.example.com", "*.b.example.com"), "backend", "app"),
                Map.of("method", List.of("POST", "PUT"), "backend", "app"),
                Map.of("header", Map.of("name", "X-Canary"), "query", Map.of("name", "debug"), "backend", "app")),
                fe.get("routes"));
    }

    @Test
    void anOrOfDifferentKeysIsOneRoutePerTerm() {
        Map<String, Object> fe = frontend(HTTP + "  use_backend app if { hdr(host) -i a.test } || { path_beg /a/ }\n"
                + "  default_backend app\n" + BACKEND, 0);
        assertEquals(List.of(Map.of("host", "a.test", "backend", "app"), Map.of("path_prefix", "/a/", "backend", "app")),
                fe.get("routes"));
    }

    @Test
    void sslFcIsAConstantPerBind() {
        String cfg = HTTP + "  bind :443 ssl crt s.pem\n"
                + "  http-request redirect scheme https code 301 if !{ ssl_fc }\n  default_backend app\n" + BACKEND;
        assertEquals(Map.of("scheme", "https", "code", 301), frontend(cfg, 0).get("redirect"));
        assertNull(frontend(cfg, 0).get("default_backend"));
        assertNull(frontend(cfg, 1).get("redirect"));
        assertEquals("app", frontend(cfg, 1).get("default_backend"));
    }

    @Test
    void theOlderRedirectKeywordRunsAfterHttpRequestRules() {
        String cfg = HTTP + "  bind :443 ssl crt s.pem\n  redirect scheme https code 301 if !{ ssl_fc }\n"
                + "  http-request return status 200 content-type text/plain string ok if { path /ping }\n"
                + "  default_backend app\n" + BACKEND;
        assertEquals(List.of(Map.of("path", "/ping", "return", Map.of("status", 200, "content_type", "text/plain",
                "body", "ok"))), frontend(cfg, 0).get("routes"));
        assertEquals(Map.of("scheme", "https", "code", 301), frontend(cfg, 0).get("redirect"));
        assertEquals("app", frontend(cfg, 1).get("default_backend"));
    }

    @Test
    void clientCertificateConditions() {
        Map<String, Object> fe = frontend(HTTP.replace(":80", ":443 ssl crt s.pem verify optional ca-file c.pem")
                + "  use_backend app if { ssl_c_verify 0 }\n  use_backend app if !{ ssl_c_verify 0 } { ssl_fc }\n"
                + BACKEND, 0);
        assertEquals(List.of(Map.of("client_verified", true, "backend", "app"),
                Map.of("client_verified", false, "backend", "app")), fe.get("routes"));
    }

    @Test
    void unlessBecomesTheExceptionFirst() {
        Map<String, Object> fe = frontend(HTTP
                + "  http-request redirect scheme https code 301 unless { path_beg /.well-known/acme-challenge/ }\n"
                + "  use_backend acme if { path_beg /.well-known/acme-challenge/ }\n"
                + "backend acme\n  server a 10.0.0.1:80\n", 0);
        assertEquals(List.of(Map.of("path_prefix", "/.well-known/acme-challenge/", "backend", "acme")),
                fe.get("routes"));
        assertEquals(Map.of("scheme", "https", "code", 301), fe.get("redirect"));
    }

    @Test
    void unlessWithoutALaterRuleFallsBackToTheDefaultBackend() {
        Map<String, Object> fe = frontend(HTTP + "  http-request redirect location /x unless { path /ok }\n"
                + "  default_backend app\n" + BACKEND, 0);
        assertEquals(List.of(Map.of("path", "/ok", "backend", "app")), fe.get("routes"));
        assertEquals(Map.of("location", "/x"), fe.get("redirect"));
    }

    @Test
    void aNegatedAclBecomesAnExceptionRouteFirst() {
        Map<String, Object> fe = frontend(HTTP + """
                  acl office src 10.0.0.0/8
                  acl admin hdr(host) -i admin.test
                  http-request return status 403 content-type text/plain string no if admin !office
                  use_backend adm if admin
                  default_backend app
                """ + BACKEND + "backend adm\n  server a 10.0.0.2:80\n", 0);
        assertEquals(List.of(
                Map.of("host", "admin.test", "source", "10.0.0.0/8", "backend", "adm"),
                Map.of("host", "admin.test", "return", Map.of("status", 403, "content_type", "text/plain",
                        "body", "no"))), fe.get("routes"));
        assertEquals("app", fe.get("default_backend"));
    }

    @Test
    void redirectsAndReturnsComeBeforeUseBackendAsHaproxyRunsThem() {
        Map<String, Object> fe = frontend(HTTP + """
                  use_backend app if { path_beg /a/ }
                  http-request redirect prefix https://new.test code 308 drop-query if { path_beg /old/ }
                  http-request redirect location /m drop-query if { path /closed }
                  http-request return status 503 content-type "text/html; charset=utf-8" string "<h1>soon</h1>" if { path /m }
                  default_backend app
                """ + BACKEND, 0);
        assertEquals(List.of(
                Map.of("path_prefix", "/old/", "redirect", Map.of("prefix", "https://new.test", "code", 308,
                        "drop_query", true)),
                Map.of("path", "/closed", "redirect", Map.of("location", "/m")),
                Map.of("path", "/m", "return", Map.of("status", 503, "content_type", "text/html; charset=utf-8",
                        "body", "<h1>soon</h1>")),
                Map.of("path_prefix", "/a/", "backend", "app")), fe.get("routes"));
    }

    @Test
    void headerRulesAndHsts() {
        Map<String, Object> fe = frontend(HTTP.replace(":80", ":443 ssl crt s.pem") + """
                  http-request set-header X-Client-IP %[src]
                  http-request add-header X-DN %{+Q}[ssl_c_s_dn]
                  http-request set-header X-Host %[hdr(host)]
                  http-request del-header X-Debug
                  http-request del-header ^x-internal- -m reg
                  http-request set-header X-Proto https if { ssl_fc }
                  http-response set-header Strict-Transport-Security "max-age=63072000; includeSubDomains; preload"
                  http-response del-header Server
                  http-after-response add-header X-Edge e1
                  default_backend app
                """ + BACKEND, 0);
        assertEquals(List.of(Map.of("set", "X-Client-IP", "value", "%[src]"), Map.of("add", "X-DN", "value",
                "%[ssl_c_s_dn]"), Map.of("set", "X-Host", "value", "%[req.hdr(host)]"), Map.of("delete", "X-Debug"),
                Map.of("delete_regex", "^x-internal-"), Map.of("set", "X-Proto", "value", "https")),
                fe.get("request_headers"));
        assertEquals(Map.of("max_age", "2y", "include_subdomains", true, "preload", true), fe.get("hsts"));
        assertEquals(List.of(Map.of("delete", "Server")), fe.get("response_headers"));
        assertEquals(List.of(Map.of("add", "X-Edge", "value", "e1")), fe.get("after_response_headers"));
    }

    @Test
    void anHstsValueStapledWouldNotSendStaysAHeaderRule() {
        Map<String, Object> fe = frontend(HTTP.replace(":80", ":443 ssl crt s.pem")
                + "  http-response set-header Strict-Transport-Security max-age=31536000;includeSubDomains\n"
                + "  default_backend app\n" + BACKEND, 0);
        assertNull(fe.get("hsts"));
        assertEquals(List.of(Map.of("set", "Strict-Transport-Security", "value", "max-age=31536000;includeSubDomains")),
                fe.get("response_headers"));
    }

    @Test
    void frontendSettingsFromDefaultsAndFrontend() {
        Map<String, Object> fe = frontend("""
                defaults
                  mode http
                  option forwardfor
                  option httplog
                  timeout client 50000
                  timeout http-request 10s
                  compression algo gzip
                  compression type text/html text/plain
                frontend f
                  bind :80
                  maxconn 20000
                  unique-id-header X-Request-Id
                  default_backend app
                """ + BACKEND, 0);
        assertEquals("50s", fe.get("client_timeout"));
        assertEquals(20000, fe.get("max_connections"));
        assertEquals(true, fe.get("access_log"));
        assertEquals(Map.of("request_timeout", "10s", "forwarded_headers", true), fe.get("http"));
        assertEquals(Map.of("header", "X-Request-Id"), fe.get("request_id"));
        assertEquals(Map.of("algorithms", List.of("gzip"), "types", List.of("text/html", "text/plain")),
                fe.get("compression"));
    }

    @Test
    void withoutOptionForwardforNoForwardedHeaders() {
        assertEquals(Map.of("forwarded_headers", false), frontend(HTTP + "  default_backend app\n" + BACKEND, 0)
                .get("http"));
    }

    @Test
    void backendBalanceTimeoutsAndCookie() {
        String cfg = "defaults\n  timeout connect 5s\n  timeout server 1m\n  timeout queue 10s\n"
                + "backend app\n  balance uri\n  cookie SRV insert indirect nocache httponly secure\n"
                + "  server a 10.0.0.1:80 cookie s1\n";
        Map<String, Object> be = backend(cfg, 0);
        assertEquals("uri", be.get("balance"));
        assertEquals("5s", be.get("connect_timeout"));
        assertEquals("1m", be.get("server_timeout"));
        assertEquals("10s", be.get("queue_timeout"));
        assertEquals(Map.of("name", "SRV", "mode", "insert", "nocache", true, "httponly", true, "secure", true),
                be.get("cookie"));
        assertEquals("s1", server(cfg).get("cookie"));
        assertEquals("hdr(X-Tenant)", backend("backend b\n  balance hdr(X-Tenant)\n  server a 10.0.0.1:80\n", 0)
                .get("balance"));
        assertEquals("random", backend("backend b\n  balance random\n  server a 10.0.0.1:80\n", 0).get("balance"));
    }

    @Test
    void serverOptions() {
        String cfg = "backend app\n  default-server ssl verify required ca-file ca.pem\n"
                + "  server a 10.0.0.1:443 weight 10 maxconn 100 maxqueue 20 send-proxy-v2 sni str(app.internal) "
                + "alpn h2 proto h2 crt client.pem\n";
        assertEquals(Map.of("name", "a", "address", "10.0.0.1:443", "weight", 10, "max_connections", 100,
                "max_queue", 20, "send_proxy", "v2", "proto", "h2", "tls", Map.of("ca_file", "ca.pem", "sni",
                "app.internal", "alpn", List.of("h2"), "client_certificate", Map.of("crt", "client.pem"))),
                server(cfg));
        assertEquals(Map.of("verify", "none"), server("backend b\n  server a 10.0.0.1:443 ssl verify none\n")
                .get("tls"));
        assertEquals("v1", server("backend b\n  server a 10.0.0.1:80 send-proxy\n").get("send_proxy"));
    }

    @Test
    void httpchkOldFormWithHostAndExpect() {
        Map<String, Object> be = backend("""
                defaults
                  timeout check 2s
                backend app
                  option httpchk GET /health HTTP/1.1\\r\\nHost:\\ app.example.com
                  http-check expect status 204
                  server a 10.0.0.1:80 check inter 5s rise 3 fall 2
                """, 0);
        assertEquals(Map.of("type", "http", "method", "GET", "path", "/health", "host", "app.example.com",
                "expect_status", 204, "interval", "5s", "rise", 3, "fall", 2, "timeout", "2s"), be.get("health_check"));
    }

    @Test
    void httpCheckSendAndExpectString() {
        Map<String, Object> be = backend("""
                backend app
                  option httpchk
                  http-check send meth HEAD uri /ready ver HTTP/1.1 hdr host api.test
                  http-check expect string ready
                  server a 10.0.0.1:80 check
                """, 0);
        assertEquals(Map.of("type", "http", "method", "HEAD", "path", "/ready", "host", "api.test",
                "expect_body", "ready"), be.get("health_check"));
    }

    @Test
    void checkWithoutHttpchkIsTcpAndNoCheckIsNoHealthCheck() {
        assertEquals(Map.of("type", "tcp"), backend("backend b\n  server a 10.0.0.1:80 check\n", 0)
                .get("health_check"));
        assertNull(backend("backend b\n  option httpchk GET /\n  server a 10.0.0.1:80\n", 0).get("health_check"));
    }

    @Test
    void listenIsAFrontendAndABackend() {
        Map<String, Object> y = yaml("defaults\n  mode http\nlisten web\n  bind :80\n  balance leastconn\n"
                + "  server a 10.0.0.1:80\n");
        assertEquals("web", ((List<Map<?, ?>>) y.get("frontends")).get(0).get("default_backend"));
        assertEquals("leastconn", ((List<Map<?, ?>>) y.get("backends")).get(0).get("balance"));
    }

    @Test
    void statsSocketAsRuntimeApi() {
        Map<String, Object> y = yaml("""
                global
                  stats socket /run/haproxy/admin.sock mode 660 level admin expose-fd listeners
                  stats socket ipv4@127.0.0.1:9999
                  stats timeout 30s
                  stats maxconn 10
                """);
        assertEquals(Map.of("socket", "/run/haproxy/admin.sock", "mode", "660", "expose_listeners", true,
                "level", "operator", "tcp", "127.0.0.1:9999", "idle_timeout", "30s", "max_connections", 10),
                y.get("runtime_api"));
    }

    @Test
    void theOutputNamesTheSourceLines() {
        String out = convert(HTTP + "  use_backend app if { path_beg /a/ }\n" + BACKEND).yaml();
        assertTrue(out.contains("# h.cfg:5: use_backend app if { path_beg /a/ }\n      - path_prefix: /a/"), out);
        assertTrue(out.contains("# from h.cfg:4: bind :80\n  - name: f"), out);
    }

    // refusals: each is listed with its line and why, and the rest still converts

    @Test
    void unknownKeywordsAndSectionsAreListedWithTheirLines() {
        List<String> s = skipped("""
                global
                  log /dev/log local0
                  daemon
                defaults
                  mode http
                  option dontlognull
                  timeout http-keep-alive 1s
                frontend f
                  bind :80
                  http-request deny if { path /x }
                  tcp-request inspect-delay 5s
                  default_backend app
                backend app
                  option redispatch
                  server a 10.0.0.1:80 backup
                  server b 10.0.0.2:80 slowstart 10s
                resolvers dns
                  nameserver ns1 10.0.0.53:53
                """);
        assertEquals(List.of(
                "h.cfg:2 stapled logs to stdout/stderr (journald under systemd); access_log is per frontend",
                "h.cfg:3 stapled runs in the foreground under its supervisor",
                "h.cfg:6 option dontlognull has no stapled counterpart",
                "h.cfg:7 stapled has no keep-alive timeout of its own: an idle keep-alive connection is closed after "
                        + "client_timeout",
                "h.cfg:10 http-request deny has no stapled counterpart",
                "h.cfg:11 tcp-request rules are not translated (stapled terminates TLS itself and routes on the SNI "
                        + "after the handshake)",
                "h.cfg:14 option redispatch has no stapled counterpart",
                "h.cfg:15 backup servers are not translated: stapled has no backup servers (the server is left out)",
                "h.cfg:16 server option slowstart is not translated",
                "h.cfg:17 stapled has no resolvers section (its lines are left out too)",
                "h.cfg:18 in a resolvers section"), s);
    }

    @Test
    void conditionsStapledCannotExpress() {
        List<String> s = skipped(HTTP + """
                  acl office src 10.0.0.0/8
                  use_backend app if { path_beg /a/ } or !office
                  use_backend app if { path_beg -i /A/ }
                  use_backend app if { path_reg (a)\\1 }
                  use_backend app if { hdr_end(host) example.com }
                  use_backend app if { req.cook(x) -m found }
                  use_backend app if { hdr(host) -f hosts.lst }
                  use_backend app if nosuch
                  http-request set-header X-A a if office
                  default_backend app
                """ + BACKEND);
        assertEquals(8, s.size(), s.toString());
        assertTrue(s.get(0).startsWith("h.cfg:6 stapled routes cannot negate"), s.get(0));
        assertTrue(s.get(1).startsWith("h.cfg:7 stapled compares paths case-sensitively"), s.get(1));
        assertTrue(s.get(2).startsWith("h.cfg:8 the regex is not RE2 syntax"), s.get(2));
        assertTrue(s.get(3).startsWith("h.cfg:9 hdr_end(host) example.com also matches"), s.get(3));
        assertTrue(s.get(4).startsWith("h.cfg:10 the ACL fetch req.cook(x) has no stapled route condition"), s.get(4));
        assertTrue(s.get(5).startsWith("h.cfg:11 ACL patterns from a file"), s.get(5));
        assertTrue(s.get(6).startsWith("h.cfg:12 no acl named \"nosuch\""), s.get(6));
        assertTrue(s.get(7).startsWith("h.cfg:13 stapled's frontend header rules have no conditions"), s.get(7));
    }

    @Test
    void valuesStapledCannotExpress() {
        List<String> s = skipped(HTTP + """
                  http-request set-header X-A %ci
                  http-request set-header X-B %[req.cook(a)]
                  http-request redirect location /%[path] if { path /x }
                  http-request redirect prefix /p append-slash if { path /y }
                  http-request return status 200 file /etc/ok.html if { path /z }
                  compression algo deflate
                  compression offload
                  default_backend app
                backend app
                  balance url_param userid
                  cookie SRV
                  server a 10.0.0.1
                  server b unix@/run/b.sock
                """);
        assertEquals(List.of("h.cfg:5", "h.cfg:6", "h.cfg:7", "h.cfg:8", "h.cfg:9", "h.cfg:10", "h.cfg:11",
                "h.cfg:14", "h.cfg:15", "h.cfg:16", "h.cfg:17"), s.stream().map(x -> x.split(" ")[0]).toList());
    }

    @Test
    void tlsOlderThan12IsANoteNotASkip() {
        HaproxyImporter.Result r = convert("global\n  ssl-default-bind-options ssl-min-ver TLSv1.0\n" + HTTP.replace(
                ":80", ":443 ssl crt s.pem") + "  default_backend app\n" + BACKEND);
        assertEquals(List.of(), r.skipped());
        assertTrue(r.notes().get(0).startsWith("h.cfg:2: ssl-min-ver TLSv1.0: stapled's floor is TLS 1.2"),
                r.notes().toString());
    }
}
