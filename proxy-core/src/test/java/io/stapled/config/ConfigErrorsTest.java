package io.stapled.config;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.server.ConfigCheck;
import io.stapled.testing.SpecialFiles;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import io.stapled.testkit.TestPki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every class of configuration error gives one line naming the file, the line and the key path. */
class ConfigErrorsTest {

    /** A valid config; tests replace one line at a time so line numbers stay put. */
    static final String BASE = """
            frontends:
              - name: https
                bind: 127.0.0.1:0
                backend: app
                certificates:
                  - crt: site.pem
            backends:
              - name: app
                servers:
                  - { name: s1, address: 127.0.0.1:8080 }
            """;

    @TempDir
    Path dir;

    @BeforeEach
    void certificate() {
        TestPki.bundle(dir.resolve("site.pem"));
    }

    private List<String> errors(String yaml) {
        Path file = TestPki.write(dir.resolve("stapled.yaml"), yaml);
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        String prefix = dir + File.separator;
        List<String> lines = e.errors().stream().map(ConfigError::format)
                .map(s -> s.startsWith(prefix) ? s.substring(prefix.length()) : s).toList();
        assertEquals(String.join("\n", e.errors().stream().map(ConfigError::format).toList()), e.getMessage());
        return lines;
    }

    private void assertErrors(String yaml, String... expected) {
        assertEquals(List.of(expected), errors(yaml));
    }

    @Test
    void baseIsValid() {
        ConfigLoader.load(TestPki.write(dir.resolve("stapled.yaml"), BASE));
    }

    @Test
    void messageFormatUsesTheFileNameAsGiven() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                BASE.replace("bind: 127.0.0.1:0", "bind: localhost"), Path.of("stapled.yaml"),
                ConfigLoader.Option.SKIP_FILE_CHECKS));
        assertEquals("stapled.yaml:3 frontends[0].bind: expected host:port, got \"localhost\"", e.getMessage());
        ConfigError error = e.errors().get(0);
        assertEquals(new ConfigError(Path.of("stapled.yaml"), 3, "frontends[0].bind",
                "expected host:port, got \"localhost\""), error);
    }

    @Test
    void unknownKeyWithHint() {
        assertErrors(BASE.replace("backend: app", "backnd: app"),
                "stapled.yaml:2 frontends[0].backend: missing required key",
                "stapled.yaml:4 frontends[0].backnd: unknown key \"backnd\", did you mean \"backend\"?");
    }

    @Test
    void unknownTopLevelKeyWithHint() {
        assertErrors(BASE + "runtime-api: { socket: admin.sock }\n",
                "stapled.yaml:11 runtime-api: unknown key \"runtime-api\", did you mean \"runtime_api\"?");
    }

    @Test
    void unknownKeyWithoutCloseMatchListsTheKnownKeys() {
        List<String> errors = errors(BASE.replace("      - { name: s1, address: 127.0.0.1:8080 }",
                "      - { name: s1, address: 127.0.0.1:8080, colour: blue }"));
        assertEquals(List.of("stapled.yaml:10 backends[0].servers[0].colour: unknown key \"colour\" "
                + "(known keys here: name, address, weight, send_proxy, tls, proto, max_connections, max_queue, cookie)"), errors);
    }

    @Test
    void durationWithoutUnit() {
        assertErrors(BASE + "global: { shutdown_grace: 5 }\n",
                "stapled.yaml:11 global.shutdown_grace: a duration needs a unit (ms, s, m, h or d), got \"5\"; "
                        + "write e.g. \"5s\"");
    }

    @Test
    void durationWithUnknownUnit() {
        assertErrors(BASE.replace("backend: app", "backend: app\n    client_timeout: 5 minutes"),
                "stapled.yaml:5 frontends[0].client_timeout: expected a duration like 500ms, 5s, 2m, 1h or 1d, "
                        + "got \"5 minutes\"");
    }

    @Test
    void zeroTimeoutIsRefused() {
        assertErrors(BASE + "ocsp: { connect_timeout: 0s }\n",
                "stapled.yaml:11 ocsp.connect_timeout: must be longer than 0s");
    }

    @Test
    void badSize() {
        assertErrors(BASE + "ocsp: { max_response_size: 64q }\n",
                "stapled.yaml:11 ocsp.max_response_size: expected a size like 512, 16k or 1m, got \"64q\"");
    }

    @Test
    void sizeOutOfRange() {
        assertErrors(BASE + "ocsp: { max_response_size: 1g }\n",
                "stapled.yaml:11 ocsp.max_response_size: must be from 1k to 16m, got \"1g\"");
    }

    @Test
    void badHostPort() {
        assertErrors(BASE.replace("bind: 127.0.0.1:0", "bind: localhost"),
                "stapled.yaml:3 frontends[0].bind: expected host:port, got \"localhost\"");
    }

    @Test
    void bareListenPortGetsAHint() {
        assertErrors(BASE.replace("bind: 127.0.0.1:0", "bind: 8443"),
                "stapled.yaml:3 frontends[0].bind: expected host:port, got \"8443\" (for all interfaces write \":8443\")");
    }

    @Test
    void ipv6WithoutBrackets() {
        assertErrors(BASE.replace("bind: 127.0.0.1:0", "bind: \"::1:8443\""),
                "stapled.yaml:3 frontends[0].bind: IPv6 addresses need brackets, like [::1]:8443, got \"::1:8443\"");
    }

    @Test
    void serverAddressNeedsARealPort() {
        assertErrors(BASE.replace("address: 127.0.0.1:8080", "address: 127.0.0.1:0"),
                "stapled.yaml:10 backends[0].servers[0].address: port 0 (ephemeral) is only allowed for listening "
                        + "addresses, got \"127.0.0.1:0\"");
    }

    @Test
    void missingRequiredKeys() {
        assertErrors("""
                frontends:
                  - name: https
                    certificates:
                      - crt: site.pem
                backends:
                  - servers:
                      - { name: s1 }
                """,
                "stapled.yaml:2 frontends[0].bind: missing required key",
                "stapled.yaml:2 frontends[0].backend: missing required key",
                "stapled.yaml:6 backends[0].name: missing required key",
                "stapled.yaml:7 backends[0].servers[0].address: missing required key");
    }

    @Test
    void emptyValueOfARequiredKeyIsMissing() {
        assertErrors(BASE.replace("bind: 127.0.0.1:0", "bind:"),
                "stapled.yaml:3 frontends[0].bind: missing required key");
    }

    @Test
    void missingTopLevelSections() {
        assertErrors("global: { workers: 2 }\n",
                "stapled.yaml:1 frontends: missing required key",
                "stapled.yaml:1 backends: missing required key");
    }

    @Test
    void wrongTypes() {
        assertErrors(BASE.replace("  - crt: site.pem", "  site.pem").replace("certificates:\n", "certificates:")
                        + "global: { workers: many }\nadmin_http: 127.0.0.1:9100\n",
                "stapled.yaml:5 frontends[0].certificates: expected a list of certificate sources (crt, dir or "
                        + "crt_list), got \"site.pem\"",
                "stapled.yaml:10 global.workers: expected an integer from 0 to 1024, got \"many\"",
                "stapled.yaml:11 admin_http: expected a mapping of keys to values, got \"127.0.0.1:9100\"");
    }

    @Test
    void wrongBooleanAndEnum() {
        assertErrors(BASE.replace("backend: app", "backend: app\n    mode: udp\n    access_log: maybe"),
                "stapled.yaml:5 frontends[0].mode: expected one of http, tcp, got \"udp\"",
                "stapled.yaml:6 frontends[0].access_log: expected true or false, got \"maybe\"");
    }

    @Test
    void listWhereAScalarIsExpected() {
        assertErrors(BASE.replace("name: app", "name: [app]"),
                "stapled.yaml:4 frontends[0].backend: no backend named \"app\"",
                "stapled.yaml:8 backends[0].name: expected a string, got a list");
    }

    @Test
    void duplicateNames() {
        assertErrors(BASE + """
                  - name: app
                    servers:
                      - { name: a, address: 127.0.0.1:1 }
                      - { name: a, address: 127.0.0.1:2 }
                """,
                "stapled.yaml:11 backends[1].name: duplicate backend name \"app\" (first used on line 8)",
                "stapled.yaml:14 backends[1].servers[1].name: duplicate server name \"a\" (first used on line 13)");
    }

    @Test
    void duplicateKeyInAMapping() {
        assertErrors(BASE.replace("backend: app", "backend: app\n    backend: other"),
                "stapled.yaml:5 frontends[0].backend: duplicate key (first set on line 4)");
    }

    @Test
    void danglingBackendReference() {
        assertErrors(BASE.replace("backend: app", "backend: ap"),
                "stapled.yaml:4 frontends[0].backend: no backend named \"ap\"");
    }

    @Test
    void missingCertificateFile() {
        assertErrors(BASE.replace("crt: site.pem", "crt: certs/missing.pem"),
                "stapled.yaml:6 frontends[0].certificates[0].crt: file not found: " + dir.resolve("certs/missing.pem"));
    }

    @Test
    void missingDirectoryAndCrtListAndKey() throws IOException {
        Files.createDirectories(dir.resolve("adir"));
        assertErrors(BASE.replace("      - crt: site.pem", ""
                        + "      - dir: nodir/\n"
                        + "      - crt_list: none.txt\n"
                        + "      - crt: site.pem\n"
                        + "        key: none.key\n"
                        + "      - dir: site.pem\n"
                        + "      - crt: adir"),
                "stapled.yaml:6 frontends[0].certificates[0].dir: directory not found: " + dir.resolve("nodir"),
                "stapled.yaml:7 frontends[0].certificates[1].crt_list: file not found: " + dir.resolve("none.txt"),
                "stapled.yaml:9 frontends[0].certificates[2].key: file not found: " + dir.resolve("none.key"),
                "stapled.yaml:10 frontends[0].certificates[3].dir: expected a directory, got a file: "
                        + dir.resolve("site.pem"),
                "stapled.yaml:11 frontends[0].certificates[4].crt: expected a file, got a directory: "
                        + dir.resolve("adir"));
    }

    @Test
    void certificateSourceNeedsExactlyOneKind() {
        assertErrors(BASE.replace("      - crt: site.pem", ""
                        + "      - crt: site.pem\n"
                        + "        dir: certs/\n"
                        + "      - ocsp: { enabled: false }\n"
                        + "      - dir: .\n"
                        + "        key: site.key\n"
                        + "        sni: [www.example.com]"),
                "stapled.yaml:6 frontends[0].certificates[0]: a certificate source takes exactly one of crt, dir "
                        + "or crt_list, got crt and dir; make one list entry for each",
                "stapled.yaml:8 frontends[0].certificates[1]: a certificate source needs one of crt, dir or crt_list",
                "stapled.yaml:10 frontends[0].certificates[2].key: key is only allowed together with crt",
                "stapled.yaml:11 frontends[0].certificates[2].sni: sni is only allowed together with crt (a crt-list "
                        + "line carries its own SNI filters)");
    }

    @Test
    void certificateSourceWrittenAsAPlainPath() {
        assertErrors(BASE.replace("- crt: site.pem", "- site.pem"),
                "stapled.yaml:6 frontends[0].certificates[0]: expected a certificate source like { crt: site.pem }, "
                        + "{ dir: ... } or { crt_list: ... }, got \"site.pem\"");
    }

    @Test
    void defaultCertificateMustBeOneOfTheFrontendsCertificates() {
        TestPki.bundle(dir.resolve("other.pem"));
        TestPki.bundle(dir.resolve("d/in-dir.pem"));
        assertErrors(BASE.replace("backend: app", "backend: app\n    default_certificate: other.pem"),
                "stapled.yaml:5 frontends[0].default_certificate: default_certificate " + dir.resolve("other.pem")
                        + " is not one of this frontend's certificates (a crt, or a file in one of its dirs)");
        ConfigLoader.load(TestPki.write(dir.resolve("ok.yaml"), BASE
                .replace("backend: app", "backend: app\n    default_certificate: ./d/in-dir.pem")
                .replace("      - crt: site.pem", "      - crt: site.pem\n      - dir: d")));
    }

    @Test
    void atLeastOneFrontendAndCertificate() {
        assertErrors("""
                frontends: []
                backends:
                  - name: app
                    servers: []
                """,
                "stapled.yaml:1 frontends: needs at least one frontend",
                "stapled.yaml:4 backends[0].servers: needs at least one server");
        assertErrors(BASE.replace("      - crt: site.pem", "").replace("certificates:", "certificates: []"),
                "stapled.yaml:5 frontends[0].certificates: needs at least one certificate source (crt, dir or "
                        + "crt_list)");
    }

    @Test
    void tlsProtocolsAndAlpn() {
        assertErrors(BASE + """
                    tls:
                      protocols: [TLSv1.1, tlsv1.3]
                      alpn: [h2, http/1.1, spdy/3]
                """,
                // A backend's tls is TLS to its servers, with keys of its own.
                "stapled.yaml:12 backends[0].tls: verify: ca_file needs a ca_file with the CAs the server's "
                        + "certificate must chain to (or verify: none, which accepts any certificate)",
                "stapled.yaml:12 backends[0].tls.protocols: unknown key \"protocols\" (known keys here: ca_file, "
                        + "verify, sni, alpn, client_certificate)");
        assertErrors(BASE.replace("backend: app", """
                backend: app
                    tls:
                      protocols: [TLSv1.1, tlsv1.3]
                      alpn: [h2, http/1.1, spdy/3]"""),
                "stapled.yaml:6 frontends[0].tls.protocols[0]: unsupported protocol \"TLSv1.1\"; only TLSv1.2 and "
                        + "TLSv1.3 are allowed",
                "stapled.yaml:7 frontends[0].tls.alpn[2]: unsupported ALPN protocol \"spdy/3\"; only h2 and "
                        + "http/1.1 are supported");
    }

    @Test
    void http2Limits() {
        assertErrors(BASE.replace("backend: app", """
                backend: app
                    http2:
                      max_concurrent_streams: 0
                      initial_window_size: 100
                      max_header_list_size: 64m
                      header_table_size: -1
                      max_frame_size: 8k
                      max_resets_per_second: lots
                      max_continuation_frames: 0
                      max_control_frames_queued: 2000000
                      max_empty_data_frames: none
                      max_streams: 5"""),
                "stapled.yaml:6 frontends[0].http2.max_concurrent_streams: expected an integer from 1 to 10000, got 0",
                "stapled.yaml:7 frontends[0].http2.initial_window_size: must be from 1k to 2147483647, got \"100\"",
                "stapled.yaml:8 frontends[0].http2.max_header_list_size: must be from 1k to 16m, got \"64m\"",
                "stapled.yaml:9 frontends[0].http2.header_table_size: expected a size like 512, 16k or 1m, got \"-1\"",
                "stapled.yaml:10 frontends[0].http2.max_frame_size: must be from 16k to 16777215, got \"8k\"",
                "stapled.yaml:11 frontends[0].http2.max_resets_per_second: expected an integer from 0 to 1000000, "
                        + "got \"lots\"",
                "stapled.yaml:12 frontends[0].http2.max_continuation_frames: expected an integer from 1 to 10000, "
                        + "got 0",
                "stapled.yaml:13 frontends[0].http2.max_control_frames_queued: expected an integer from 1 to "
                        + "1000000, got 2000000",
                "stapled.yaml:14 frontends[0].http2.max_empty_data_frames: expected an integer from 1 to 10000, "
                        + "got \"none\"",
                "stapled.yaml:15 frontends[0].http2.max_streams: unknown key \"max_streams\" (known keys here: "
                        + "max_concurrent_streams, initial_window_size, max_header_list_size, header_table_size, "
                        + "max_frame_size, max_resets_per_second, max_continuation_frames, max_control_frames_queued, "
                        + "max_empty_data_frames)");
        assertErrors(BASE.replace("backend: app", """
                backend: app
                    mode: tcp
                    http2: { max_concurrent_streams: 10 }"""),
                "stapled.yaml:6 frontends[0].http2: http2 settings only apply to frontends in mode http; this one "
                        + "is mode tcp");
    }

    @Test
    void clientAuthKeys() {
        assertErrors(BASE.replace("backend: app", """
                backend: app
                    tls:
                      client_auth: { mode: required }"""),
                "stapled.yaml:6 frontends[0].tls.client_auth.mode: mode required needs ca_file, the CAs client "
                        + "certificates must chain to");
        assertErrors(BASE.replace("backend: app", """
                backend: app
                    tls:
                      client_auth: { mode: sometimes, crl_file: none.crl }"""),
                "stapled.yaml:6 frontends[0].tls.client_auth.mode: expected one of none, optional, required, got "
                        + "\"sometimes\"",
                "stapled.yaml:6 frontends[0].tls.client_auth.crl_file: file not found: " + dir.resolve("none.crl"));
    }

    @Test
    void backendTlsKeys() {
        List<String> errors = errors(BASE.replace("      - { name: s1, address: 127.0.0.1:8080 }",
                "      - name: s1\n"
                + "        address: 127.0.0.1:8080\n"
                + "        tls: { verify: sometimes, sni: \"bad name\", alpn: [\"\"], client_certificate: { key: k.pem } }"));
        assertEquals(List.of(
                "stapled.yaml:12 backends[0].servers[0].tls.verify: expected one of ca_file, none, got \"sometimes\"",
                "stapled.yaml:12 backends[0].servers[0].tls.sni: expected a host name like app.internal, got \"bad name\"",
                "stapled.yaml:12 backends[0].servers[0].tls.alpn[0]: must not be empty",
                "stapled.yaml:12 backends[0].servers[0].tls.client_certificate.crt: missing required key",
                "stapled.yaml:12 backends[0].servers[0].tls.client_certificate.key: file not found: "
                        + dir.resolve("k.pem")), errors);
        assertEquals(List.of("stapled.yaml:12 backends[0].servers[0].tls: verify: ca_file needs a ca_file with the "
                + "CAs the server's certificate must chain to (or verify: none, which accepts any certificate)"),
                errors(BASE.replace("      - { name: s1, address: 127.0.0.1:8080 }",
                        "      - name: s1\n        address: 127.0.0.1:8080\n        tls: { sni: app.internal }")));
    }

    @Test
    void anH2ServerCannotHaveSendProxyAndOverTlsOffersAlpnH2Only() {
        assertErrors(BASE.replace("address: 127.0.0.1:8080 }", "address: 127.0.0.1:8080, proto: h2, send_proxy: v2 }"),
                "stapled.yaml:10 backends[0].servers[0].proto: proto h2 cannot be combined with send_proxy: an h2 "
                        + "connection is shared by the streams of many clients, and a PROXY header names only one");
        assertErrors(BASE.replace("address: 127.0.0.1:8080 }",
                        "address: 127.0.0.1:8080, proto: h2, tls: { verify: none, alpn: [h2, http/1.1] } }"),
                "stapled.yaml:10 backends[0].servers[0].proto: proto h2 over tls offers ALPN h2 only: leave "
                        + "tls.alpn out or set it to [h2], got [h2, http/1.1]");
        // Without alpn (here inherited from the backend's tls), proto h2 makes it h2; h1 servers keep none.
        String yaml = BASE.replace("      - { name: s1, address: 127.0.0.1:8080 }",
                "      - { name: s1, address: 127.0.0.1:8080, proto: h2 }\n"
                        + "      - { name: s2, address: 127.0.0.1:8081, proto: h2, tls: { verify: none, alpn: [h2] } }\n"
                        + "      - { name: s3, address: 127.0.0.1:8082 }\n"
                        + "    tls: { verify: none }");
        List<BackendConfig.ServerConfig> servers = ConfigLoader.load(TestPki.write(dir.resolve("stapled.yaml"), yaml))
                .backends().get(0).servers();
        assertEquals(List.of("h2"), servers.get(0).tls().alpn());
        assertEquals(List.of("h2"), servers.get(1).tls().alpn());
        assertEquals(List.of(), servers.get(2).tls().alpn());
    }

    @Test
    void serverProtoIsH1OrH2AndH2ServersCannotHaveAnHttpHealthCheck() {
        assertErrors(BASE.replace("address: 127.0.0.1:8080 }", "address: 127.0.0.1:8080, proto: h3 }") + """
                  - name: grpc
                    servers:
                      - { name: g1, address: 127.0.0.1:50051, proto: h2 }
                      - { name: g2, address: 127.0.0.1:50052 }
                    health_check: { type: http, path: /healthz }
                """,
                "stapled.yaml:10 backends[0].servers[0].proto: expected one of h1, h2, got \"h3\"",
                "stapled.yaml:13 backends[1].servers[0].proto: the backend's http health check speaks HTTP/1.1, "
                        + "which an h2 server may not; use health_check type tcp for a backend with h2 servers");
    }

    @Test
    void serverWeightAndHealthCheckRanges() {
        assertErrors(BASE.replace("address: 127.0.0.1:8080 }", "address: 127.0.0.1:8080, weight: 300 }") + """
                    health_check: { type: http, path: healthz, rise: 0, fall: -1 }
                  - name: tcpcheck
                    servers: [ { name: s1, address: "[::1]:5432" } ]
                    health_check: { type: tcp, path: /x, expect_status: 200 }
                """,
                "stapled.yaml:10 backends[0].servers[0].weight: expected an integer from 0 to 256, got 300",
                "stapled.yaml:11 backends[0].health_check.path: an HTTP health check path starts with '/' and has "
                        + "no spaces, got \"healthz\"",
                "stapled.yaml:11 backends[0].health_check.rise: expected an integer from 1 to 100, got 0",
                "stapled.yaml:11 backends[0].health_check.fall: expected an integer from 1 to 100, got -1",
                "stapled.yaml:14 backends[1].health_check.path: path is only used by health checks of type http",
                "stapled.yaml:14 backends[1].health_check.expect_status: expect_status is only used by health "
                        + "checks of type http");
    }

    @Test
    void runtimeApiAndAdminHttp() {
        assertErrors(BASE + """
                runtime_api: { socket: admin.sock, mode: "0999", level: root, tcp: 0.0.0.0:9999 }
                admin_http: { bind: ":9100" }
                """,
                "stapled.yaml:11 runtime_api.mode: expected an octal file mode like \"0600\", got \"0999\"",
                "stapled.yaml:11 runtime_api.level: expected one of user, operator, admin, got \"root\"",
                "stapled.yaml:11 runtime_api.tcp: runtime_api.tcp must be a loopback address (127.0.0.1, [::1] or "
                        + "localhost) because the runtime API has no authentication, got 0.0.0.0:9999",
                "stapled.yaml:12 admin_http.bind: admin_http.bind must be a loopback address (127.0.0.1, [::1] or "
                        + "localhost) because /metrics and /readyz are for local scrapers and probes unless "
                        + "admin_http.expose is true, got 0.0.0.0:9100");
    }

    @Test
    void exposedAdminHttp() {
        assertErrors(BASE + """
                admin_http:
                  bind: 0.0.0.0:9100
                  expose: sometimes
                  bearer_token_file: no-such-token
                """,
                "stapled.yaml:12 admin_http.bind: admin_http.bind must be a loopback address (127.0.0.1, [::1] or "
                        + "localhost) because /metrics and /readyz are for local scrapers and probes unless "
                        + "admin_http.expose is true, got 0.0.0.0:9100",
                "stapled.yaml:13 admin_http.expose: expected true or false, got \"sometimes\"",
                "stapled.yaml:14 admin_http.bearer_token_file: file not found: " + dir.resolve("no-such-token"));
    }

    @Test
    void exposeListenersNeedsTheUnixSocketAndAdmin() {
        assertErrors(BASE + "runtime_api: { tcp: 127.0.0.1:9999, expose_listeners: true }\n",
                "stapled.yaml:11 runtime_api.expose_listeners: the listening sockets are passed over the unix socket: "
                        + "set runtime_api.socket");
        assertErrors(BASE + "runtime_api: { socket: admin.sock, level: operator, expose_listeners: true }\n",
                "stapled.yaml:11 runtime_api.expose_listeners: only an admin-level client may take the listening "
                        + "sockets: set runtime_api.level: admin");
        assertErrors(BASE + "runtime_api: { socket: admin.sock, expose_listeners: sometimes }\n",
                "stapled.yaml:11 runtime_api.expose_listeners: expected true or false, got \"sometimes\"");
        StapledConfig on = ConfigLoader.load(TestPki.write(dir.resolve("stapled.yaml"),
                BASE + "runtime_api: { socket: admin.sock, expose_listeners: true }\n"));
        assertTrue(on.runtimeApi().exposeListeners());
        StapledConfig off = ConfigLoader.load(TestPki.write(dir.resolve("stapled.yaml"),
                BASE + "runtime_api: { socket: admin.sock }\n"));
        assertFalse(off.runtimeApi().exposeListeners());
    }

    @Test
    void runtimeApiNeedsAnEndpoint() {
        assertErrors(BASE + "runtime_api: { level: user }\n",
                "stapled.yaml:11 runtime_api: runtime_api needs a socket, a tcp address, or both");
    }

    @Test
    void unixSocketPathTooLong() {
        String longName = "s".repeat(120) + ".sock";
        List<String> errors = errors(BASE + "runtime_api: { socket: " + longName + " }\n");
        assertEquals(1, errors.size());
        assertTrue(errors.get(0).startsWith("stapled.yaml:11 runtime_api.socket: unix socket path is too long ("),
                errors.get(0));
    }

    @Test
    void listenerAddressClash() {
        assertErrors(BASE.replace("bind: 127.0.0.1:0", "bind: 127.0.0.1:9100")
                        + "admin_http: { bind: 127.0.0.1:9100 }\n",
                "stapled.yaml:11 admin_http.bind: address 127.0.0.1:9100 is already used by frontends[0].bind (line 3)");
    }

    @Test
    void ocspRefreshBounds() {
        assertErrors(BASE + "ocsp: { min_refresh: 2d, retry_initial: 1h, retry_max: 1m, hash: md5, rate_limit: 0 }\n",
                "stapled.yaml:11 ocsp.hash: expected one of sha1, sha-1, sha256, sha-256, got \"md5\"",
                "stapled.yaml:11 ocsp.rate_limit: expected a number above 0 and at most 10000, got \"0\"",
                "stapled.yaml:11 ocsp.min_refresh: min_refresh (2d) must not be longer than max_refresh (1d)",
                "stapled.yaml:11 ocsp.retry_initial: retry_initial (1h) must not be longer than retry_max (1m)");
    }

    @Test
    void httpSettingsInTcpMode() {
        assertErrors(BASE.replace("backend: app", "backend: app\n    mode: tcp\n    http: { request_timeout: 5s }"),
                "stapled.yaml:6 frontends[0].http: http settings only apply to frontends in mode http; this one is "
                        + "mode tcp");
    }

    @Test
    void httpRequestValidationKeys() {
        assertErrors(BASE.replace("backend: app", "backend: app\n    http: { accept_invalid_requests: maybe, "
                        + "underscore_headers: strip, client_ip_header: X_Real_IP }"),
                "stapled.yaml:5 frontends[0].http.accept_invalid_requests: expected true or false, got \"maybe\"",
                "stapled.yaml:5 frontends[0].http.underscore_headers: expected one of drop, reject, allow, got \"strip\"",
                "stapled.yaml:5 frontends[0].http.client_ip_header: a header name with \"_\" is folded into \"-\" by "
                        + "some backends; use \"X-Real-IP\"");
        assertErrors(BASE.replace("backend: app", "backend: app\n    http:\n      client_ip_header: Host"),
                "stapled.yaml:6 frontends[0].http.client_ip_header: Host is framed or set by the proxy itself; "
                        + "choose another header, such as X-Real-IP");
        assertErrors(BASE.replace("backend: app", "backend: app\n    http:\n      client_ip_header: \"Real IP\""),
                "stapled.yaml:6 frontends[0].http.client_ip_header: expected a header name like X-Real-IP, "
                        + "got \"Real IP\"");
        assertErrors(BASE.replace("backend: app", "backend: app\n    http:\n      client_ip_header: [X-Real-IP]"),
                "stapled.yaml:6 frontends[0].http.client_ip_header: expected a string, got a list");
    }

    @Test
    void badUrlAndCidr() {
        assertErrors(BASE.replace("crt: site.pem", "crt: site.pem\n        ocsp: { responder: ftp://x/ }")
                        + "ocsp: { responder: \"http://\" }\n",
                "stapled.yaml:7 frontends[0].certificates[0].ocsp.responder: expected an http:// URL, got \"ftp://x/\"",
                "stapled.yaml:12 ocsp.responder: not a valid URL: \"http://\" (Expected authority)");
        assertErrors(BASE.replace("backend: app", "backend: app\n    http: { trusted_upstreams: [10.0.0.0/33, fe80::/10, "
                        + "example.com] }"),
                "stapled.yaml:5 frontends[0].http.trusted_upstreams[0]: prefix length must be 0 to 32 in \"10.0.0.0/33\"",
                "stapled.yaml:5 frontends[0].http.trusted_upstreams[2]: expected a CIDR like 10.0.0.0/8 or fd00::/8, "
                        + "got \"example.com\"");
    }

    @Test
    void smallerChecks() {
        assertErrors(BASE.replace("name: https", "name: \"\"")
                        .replace("crt: site.pem", "crt: \"a\\0b\"")
                        .replace("backend: app", "backend: app\n    tls: { protocols: [], session_cache_size: -1 }")
                        + "ocsp: { responder: \"http:/nohost\", http_proxy: \"proxy:0\" }\n"
                        + "runtime_api: { socket: a.sock, max_payload: 100 }\n"
                        + "? [complex, key]\n: value\n",
                "stapled.yaml:2 frontends[0].name: must not be empty",
                "stapled.yaml:5 frontends[0].tls.protocols: needs at least one protocol (TLSv1.2, TLSv1.3)",
                "stapled.yaml:5 frontends[0].tls.session_cache_size: expected an integer from 0 to 10000000, got -1",
                "stapled.yaml:7 frontends[0].certificates[0].crt: not a valid path: \"a\\u0000b\"",
                "stapled.yaml:12 ocsp.responder: URL has no host: \"http:/nohost\"",
                "stapled.yaml:12 ocsp.http_proxy: port 0 (ephemeral) is only allowed for listening addresses, "
                        + "got \"proxy:0\"",
                "stapled.yaml:13 runtime_api.max_payload: must be from 1k to 64m, got \"100\"",
                "stapled.yaml:14 keys must be plain words, got a list or mapping as a key");
    }

    @Test
    void quotedValuesInMessagesStayOnOneLineAndShort() {
        List<String> errors = errors(BASE.replace("bind: 127.0.0.1:0", "bind: \"two\\nlines\"")
                .replace("name: app", "name: " + "x".repeat(200)));
        assertEquals("stapled.yaml:3 frontends[0].bind: expected host:port, got \"two\\nlines\"", errors.get(0));
        assertTrue(errors.get(2).endsWith("got \"" + "x".repeat(80) + "...\""), errors.get(2));
        errors.forEach(e -> assertEquals(-1, e.indexOf('\n'), e));
    }

    @Test
    void wildcardListenerClashesWithASpecificAddress() {
        assertErrors(BASE.replace("bind: 127.0.0.1:0", "bind: \":9100\"") + "admin_http: { bind: 127.0.0.1:9100 }\n",
                "stapled.yaml:11 admin_http.bind: address 127.0.0.1:9100 is already used by frontends[0].bind (line 3)");
    }

    @Test
    void sectionsOfTheWrongShape() {
        assertErrors("""
                frontends: { name: https }
                backends: []
                """,
                "stapled.yaml:1 frontends: expected a list of frontends, got a mapping",
                "stapled.yaml:2 backends: needs at least one backend");
    }

    @Test
    void yamlSyntaxError() {
        assertErrors(BASE.replace("backend: app", "backend: app\n   - oops: ["),
                "stapled.yaml:5 YAML syntax error: expected <block end>, but found '<block sequence start>' (while "
                        + "parsing a block collection started on line 2)");
    }

    @Test
    void tabsAreASyntaxError() {
        List<String> errors = errors(BASE.replace("    backend: app", "\tbackend: app"));
        assertEquals(1, errors.size());
        assertTrue(errors.get(0).startsWith("stapled.yaml:4 YAML syntax error: "), errors.get(0));
    }

    @Test
    void severalErrorsAreAllReportedInLineOrder() {
        List<String> errors = errors("""
                global: { workers: -1, log_level: loud }
                frontends:
                  - name: https
                    bind: nowhere
                    backend: missing
                    certificates:
                      - crt: nope.pem
                    client_timout: 5s
                backends:
                  - name: app
                    balance: fastest
                    servers:
                      - { name: s1, address: 127.0.0.1:8080, weight: 999 }
                """);
        assertEquals(8, errors.size(), String.join("\n", errors));
        List<Integer> lines = errors.stream().map(s -> Integer.parseInt(s.split("[: ]")[1])).toList();
        assertEquals(List.of(1, 1, 4, 5, 7, 8, 11, 13), lines);
        assertTrue(errors.contains("stapled.yaml:8 frontends[0].client_timout: unknown key \"client_timout\", "
                + "did you mean \"client_timeout\"?"), String.join("\n", errors));
        assertTrue(errors.contains("stapled.yaml:5 frontends[0].backend: no backend named \"missing\""));
    }

    @Test
    void customTagsAreRefused() {
        List<String> errors = errors(BASE + "global: { log_level: !!javax.script.ScriptEngineManager [] }\n");
        assertEquals(1, errors.size(), String.join("\n", errors));
        assertTrue(errors.get(0).startsWith("stapled.yaml:11 "), errors.get(0));
        assertTrue(errors.get(0).contains("not allowed"), errors.get(0));
    }

    @Test
    void localTagsAreRefused() {
        assertErrors(BASE + "global: !custom { workers: 1 }\n",
                "stapled.yaml:11 YAML tag !custom is not allowed; stapled reads plain values only");
    }

    @Test
    void aliasBombIsRefused() {
        StringBuilder yaml = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 10; i++) {
            yaml.append("a").append(i).append(": &a").append(i).append(" [");
            for (int j = 0; j < 10; j++) {
                yaml.append(j == 0 ? "" : ", ").append("*a").append(i - 1);
            }
            yaml.append("]\n");
        }
        List<String> errors = errors(yaml.toString());
        assertEquals(1, errors.size(), String.join("\n", errors));
        assertTrue(errors.get(0).contains("aliases"), errors.get(0));
    }

    @Test
    void deepNestingIsRefused() {
        List<String> errors = errors(BASE + "global: " + "[".repeat(40) + "]".repeat(40) + "\n");
        assertEquals(1, errors.size(), String.join("\n", errors));
        assertTrue(errors.get(0).contains("Nesting Depth exceeded"), errors.get(0));
    }

    @Test
    void moreThanOneDocumentIsRefused() {
        assertErrors(BASE + "---\nglobal: {}\n",
                "stapled.yaml:11 YAML syntax error: but found another document (expected a single document in the "
                        + "stream started on line 1)");
    }

    @Test
    void mergeKeysAreRefused() {
        assertErrors(BASE + "global: { <<: { workers: 2 } }\n",
                "stapled.yaml:11 global: YAML merge keys (<<) are not supported; write the keys out");
    }

    @Test
    void emptyMissingHugeAndBinaryFiles() throws IOException {
        assertErrors("", "stapled.yaml the file is empty; it needs at least frontends and backends");
        assertErrors("# only a comment\n", "stapled.yaml the file is empty; it needs at least frontends and backends");
        assertErrors("- a\n- b\n", "stapled.yaml:1 expected a mapping of keys to values, got a list");

        Path missing = dir.resolve("missing.yaml");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(missing));
        assertEquals(missing + " file not found", e.getMessage());

        Path huge = dir.resolve("huge.yaml");
        Files.write(huge, new byte[ConfigLoader.MAX_FILE_BYTES + 1]);
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(huge));
        assertEquals(huge + " file is too large (1048577 bytes, the limit is 1m)", e.getMessage());

        Path binary = dir.resolve("binary.yaml");
        Files.write(binary, new byte[] {(byte) 0xff, (byte) 0xfe, 'a'});
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(binary));
        assertEquals(binary + " file is not valid UTF-8", e.getMessage());
    }

    @Test
    void hugeTextIsRefusedByParseToo() {
        String yaml = "# " + "x".repeat(ConfigLoader.MAX_FILE_BYTES + 10) + "\n" + BASE;
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse(yaml, dir.resolve("big.yaml")));
        assertEquals(1, e.errors().size(), e.getMessage());
        assertTrue(e.getMessage().contains("limit"), e.getMessage());
    }

    // ---- files that are not regular files (a FIFO blocks the reader, /dev/zero never ends) -------------

    @Test
    @Timeout(20)
    void aDeviceOrAFifoAsTheConfigFileIsRefused() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(SpecialFiles.DEV_ZERO));
        assertEquals("/dev/zero file is a character device, not a regular file", e.getMessage());
        Path fifo = SpecialFiles.fifo(dir.resolve("fifo.yaml"));
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(fifo));
        assertEquals(fifo + " file is a FIFO, not a regular file", e.getMessage());
    }

    @Test
    @Timeout(20)
    void aDeviceOrAFifoAsCertificateKeyOrCrtListIsRefusedAtItsLine() {
        Path fifo = SpecialFiles.fifo(dir.resolve("fifo.pem"));
        assertErrors(BASE.replace("      - crt: site.pem", ""
                        + "      - crt: /dev/zero\n"
                        + "      - crt: fifo.pem\n"
                        + "      - crt: site.pem\n"
                        + "        key: /dev/zero\n"
                        + "      - crt_list: fifo.pem\n"
                        + "      - crt: site.pem\n"
                        + "        key: fifo.pem"),
                "stapled.yaml:6 frontends[0].certificates[0].crt: expected a regular file, got a character device: "
                        + "/dev/zero",
                "stapled.yaml:7 frontends[0].certificates[1].crt: expected a regular file, got a FIFO: " + fifo,
                "stapled.yaml:9 frontends[0].certificates[2].key: expected a regular file, got a character device: "
                        + "/dev/zero",
                "stapled.yaml:10 frontends[0].certificates[3].crt_list: expected a regular file, got a FIFO: " + fifo,
                "stapled.yaml:12 frontends[0].certificates[4].key: expected a regular file, got a FIFO: " + fifo);
    }

    @Test
    @Timeout(20)
    void aDeviceOrAFifoNamedInACrtListOrAsASiblingIsRefusedWhenTheCertificatesLoad() {
        Path list = TestPki.write(dir.resolve("list.txt"), "site.pem\n/dev/zero\n");
        assertCertificateError(BASE.replace("crt: site.pem", "crt_list: list.txt"),
                "stapled.yaml:6 frontends[0].certificates[0].crt_list: " + list + ":2: /dev/zero: not a regular file "
                        + "(a character device)");
        Path fifoList = TestPki.write(dir.resolve("fifo-list.txt"), "fifo.pem\n");
        Path fifo = SpecialFiles.fifo(dir.resolve("fifo.pem"));
        assertCertificateError(BASE.replace("crt: site.pem", "crt_list: fifo-list.txt"),
                "stapled.yaml:6 frontends[0].certificates[0].crt_list: " + fifoList + ":1: " + fifo
                        + ": not a regular file (a FIFO)");
        Path ocsp = SpecialFiles.fifo(dir.resolve("site.pem.ocsp"));
        assertCertificateError(BASE, "stapled.yaml:6 frontends[0].certificates[0].crt: " + ocsp
                + ": not a regular file (a FIFO)");
        Path key = SpecialFiles.devZeroAt(dir.resolve("chain.pem.key"));
        TestPki.chainOnly(dir.resolve("chain.pem"));
        assertCertificateError(BASE.replace("crt: site.pem", "crt: chain.pem"),
                "stapled.yaml:6 frontends[0].certificates[0].crt: " + key + ": not a regular file (a character device)");
    }

    // ---- problems found when the certificates are read: still file:line key.path ---------------------

    /** What {@code stapled check} (and start-up) reports once the config loaded: the files are read. */
    private void assertCertificateError(String yaml, String expected) {
        Path file = TestPki.write(dir.resolve("stapled.yaml"), yaml);
        StapledConfig config = ConfigLoader.load(file);
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigCheck.verify(config));
        assertEquals(dir + File.separator + expected, e.getMessage());
        assertEquals(1, e.errors().size());
    }

    @Test
    void aKeyThatDoesNotMatchItsCertificate() {
        Path crt = TestPki.mismatched(dir.resolve("mismatch.pem"));
        assertCertificateError(BASE.replace("crt: site.pem", "crt: mismatch.pem"),
                "stapled.yaml:6 frontends[0].certificates[0].crt: " + crt + ": the private key does not match the "
                        + "certificate");
        Path key = TestPki.write(dir.resolve("other.key"),
                CertificateBuilder.subject("CN=x").build().privateKeyPem());
        assertCertificateError(BASE.replace("crt: site.pem", "crt: site.pem\n        key: other.key"),
                "stapled.yaml:6 frontends[0].certificates[0].crt: " + dir.resolve("site.pem") + ": the private key in "
                        + key + " does not match the certificate");
    }

    @Test
    void anEncryptedKeyIsReportedAtTheKeysLine() {
        TestPki.chainOnly(dir.resolve("chain.pem"));
        Path key = TestPki.encryptedKey(dir.resolve("chain.key"));
        assertCertificateError(BASE.replace("crt: site.pem", "crt: chain.pem\n        key: chain.key"),
                "stapled.yaml:7 frontends[0].certificates[0].key: " + key + ": the private key is encrypted; stapled "
                        + "needs an unencrypted key (decrypt it with `openssl pkey -in chain.key`)");
    }

    @Test
    void aMissingKey() {
        Path crt = TestPki.chainOnly(dir.resolve("nokey.pem"));
        assertCertificateError(BASE.replace("crt: site.pem", "crt: nokey.pem"),
                "stapled.yaml:6 frontends[0].certificates[0].crt: " + crt + ": no private key in the file and no "
                        + "nokey.pem.key beside it");
    }

    @Test
    void garbagePem() {
        Path garbage = TestPki.write(dir.resolve("garbage.pem"), "this is not PEM at all\n");
        assertCertificateError(BASE.replace("crt: site.pem", "crt: garbage.pem"),
                "stapled.yaml:6 frontends[0].certificates[0].crt: " + garbage + ": no certificate found in the file");
        Path corrupt = TestPki.write(dir.resolve("corrupt.pem"),
                "-----BEGIN CERTIFICATE-----\nMIIB!!!!\n-----END CERTIFICATE-----\n");
        Path file = TestPki.write(dir.resolve("stapled.yaml"), BASE.replace("crt: site.pem", "crt: corrupt.pem"));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigCheck.verify(ConfigLoader.load(file)));
        assertTrue(e.getMessage().startsWith(file + ":6 frontends[0].certificates[0].crt: " + corrupt
                + ": not a valid PEM file: "), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    @Test
    void aCaCertificateAsTheLeafIsRefusedAtItsLine() {
        Path crt = TestPki.caAsLeaf(dir.resolve("ca.pem"));
        assertCertificateError(BASE.replace("crt: site.pem", "crt: ca.pem"),
                "stapled.yaml:6 frontends[0].certificates[0].crt: " + crt + ": the certificate of the private key is a"
                        + " CA certificate (basicConstraints CA:TRUE), not a server certificate: serve a leaf issued by"
                        + " it (a self-signed test certificate needs -addext basicConstraints=critical,CA:FALSE with"
                        + " openssl req -x509)");
    }

    @Test
    void aProblemInADirectoryIsReportedAtTheDirLine() {
        TestPki.mismatched(dir.resolve("d/bad.pem"));
        assertCertificateError(BASE.replace("crt: site.pem", "dir: d"),
                "stapled.yaml:6 frontends[0].certificates[0].dir: " + dir.resolve("d/bad.pem")
                        + ": the private key does not match the certificate");
    }
}
