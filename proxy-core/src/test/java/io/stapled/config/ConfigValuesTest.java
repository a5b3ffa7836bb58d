package io.stapled.config;

import io.stapled.config.BackendConfig.HealthCheckConfig;
import io.stapled.config.BackendConfig.ServerConfig;
import io.stapled.config.CertificateSource.OcspOptions;
import io.stapled.ocsp.HashAlgorithm;
import io.stapled.ocsp.OcspSettings;
import io.stapled.testkit.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/** What a valid file turns into: every default when keys are left out, every value when they are given. */
class ConfigValuesTest {

    @TempDir
    Path dir;

    @Test
    void minimalConfigGetsEveryDefault() {
        TestPki.bundle(dir.resolve("site.pem"));
        Path file = TestPki.write(dir.resolve("stapled.yaml"), ConfigErrorsTest.BASE);

        StapledConfig config = ConfigLoader.load(file);

        assertEquals(file, config.source());
        assertEquals(GlobalConfig.defaults(), config.global());
        assertEquals(new GlobalConfig(0, GlobalConfig.TlsProvider.OPENSSL, Duration.ofSeconds(10), "INFO"),
                config.global());
        assertEquals(OcspConfig.defaults(), config.ocsp());
        assertNull(config.runtimeApi());
        assertNull(config.adminHttp());

        FrontendConfig f = config.frontends().get(0);
        assertEquals(new FrontendConfig("https", new HostPort("127.0.0.1", 0), FrontendConfig.Mode.HTTP, "app",
                List.of(new CertificateSource.File(dir.resolve("site.pem"), null, List.of(), OcspOptions.DEFAULT)),
                null, TlsConfig.defaults(), HttpConfig.defaults(), 10_000, Duration.ofSeconds(60), false), f);
        assertEquals(List.of("TLSv1.2", "TLSv1.3"), f.tls().protocols());
        assertEquals(List.of("h2", "http/1.1"), f.tls().alpn(), "HAProxy's alpn h2,http/1.1");
        assertEquals(new Http2Config(100, 65_535, 16 * 1024, 4096, 16_384, 100, 16, 10_000, 2), f.http2());

        BackendConfig b = config.backends().get(0);
        assertEquals(new BackendConfig("app", BackendConfig.Balance.ROUNDROBIN,
                List.of(new ServerConfig("s1", new HostPort("127.0.0.1", 8080), 1)), null,
                Duration.ofSeconds(5), Duration.ofSeconds(30), 256, Duration.ofSeconds(60)), b);
        assertSame(b, config.backend("app"));
    }

    @Test
    void http2SettingsAndTheirDefaults() {
        TestPki.bundle(dir.resolve("site.pem"));
        StapledConfig config = ConfigLoader.parse(ConfigErrorsTest.BASE.replace("backend: app", """
                backend: app
                    tls: { alpn: [http/1.1, H2, http/1.1] }
                    http: { max_header_size: 32k }
                    http2:
                      max_concurrent_streams: 2500
                      initial_window_size: 1m
                      header_table_size: 0
                      max_frame_size: 1m
                      max_resets_per_second: 0
                      max_continuation_frames: 64
                      max_control_frames_queued: 500
                      max_empty_data_frames: 1"""), dir.resolve("stapled.yaml"));
        FrontendConfig f = config.frontends().get(0);
        assertEquals(List.of("http/1.1", "h2"), f.tls().alpn(), "in the order given, once each");
        assertEquals(new Http2Config(2500, 1 << 20, 32 * 1024, 0, 1 << 20, 0, 64, 500, 1), f.http2(),
                "the header list follows http.max_header_size unless set");
        assertEquals(Integer.MAX_VALUE, f.http2().connectionWindowSize(), "2500 windows of 1m, capped at 2^31-1");
        assertEquals(100 * 65_535, Http2Config.defaults(null).connectionWindowSize());
    }

    @Test
    void sectionDefaultsWhenSectionsAreNearlyEmpty() {
        TestPki.bundle(dir.resolve("site.pem"));
        StapledConfig config = ConfigLoader.parse(ConfigErrorsTest.BASE.replace("backend: app", """
                backend: app
                    mode: tcp
                    tls: {}""") + """
                    health_check: { type: http }
                global: {}
                ocsp:
                runtime_api: { socket: admin.sock }
                admin_http: { bind: "[::1]:0" }
                """, dir.resolve("stapled.yaml"));

        assertEquals(GlobalConfig.defaults(), config.global());
        assertEquals(OcspConfig.defaults(), config.ocsp());
        TlsConfig tls = config.frontends().get(0).tls();
        assertEquals(List.of(), tls.alpn(), "a TCP frontend offers no ALPN unless asked");
        assertEquals(TlsConfig.defaults().protocols(), tls.protocols());
        assertEquals(new HealthCheckConfig(HealthCheckConfig.Type.HTTP, "/", 200, Duration.ofSeconds(2),
                Duration.ofSeconds(1), 2, 3), config.backends().get(0).healthCheck());
        assertEquals(new RuntimeApiConfig(dir.resolve("admin.sock"), "0600", "admin", null, Duration.ofSeconds(60),
                1 << 20), config.runtimeApi());
        assertEquals(new AdminHttpConfig(new HostPort("::1", 0), true, null), config.adminHttp());
    }

    @Test
    void exposedAdminHttpWithAToken() {
        TestPki.bundle(dir.resolve("site.pem"));
        TestPki.write(dir.resolve("token"), "s3cret\n");
        StapledConfig config = ConfigLoader.parse(ConfigErrorsTest.BASE
                + "admin_http: { bind: 0.0.0.0:9100, expose: true, bearer_token_file: token }\n",
                dir.resolve("stapled.yaml"));
        assertEquals(new AdminHttpConfig(new HostPort("0.0.0.0", 9100), true, null, true, dir.resolve("token"),
                new ConfigOrigin(dir.resolve("stapled.yaml"), 11, "admin_http.bearer_token_file")), config.adminHttp());
        assertEquals(List.of(), config.warnings());
    }

    @Test
    void exposedAdminHttpWithoutATokenIsWarnedAbout() {
        TestPki.bundle(dir.resolve("site.pem"));
        StapledConfig config = ConfigLoader.parse(ConfigErrorsTest.BASE
                + "admin_http: { bind: \"[::]:9100\", expose: true }\n", dir.resolve("stapled.yaml"));
        assertEquals(new AdminHttpConfig(new HostPort("::", 9100), true, null, true, null, null), config.adminHttp());
        assertEquals(List.of(dir.resolve("stapled.yaml") + ":11 admin_http.bind: admin_http is exposed on [::]:9100 without "
                + "bearer_token_file: anyone who reaches it can read /metrics"),
                config.warnings().stream().map(ConfigError::format).toList());

        StapledConfig loopback = ConfigLoader.parse(ConfigErrorsTest.BASE
                + "admin_http: { bind: 127.0.0.1:9100, expose: true }\n", dir.resolve("stapled.yaml"));
        assertEquals(new AdminHttpConfig(new HostPort("127.0.0.1", 9100), true, null, true, null, null),
                loopback.adminHttp());
        assertEquals(List.of(), loopback.warnings(), "exposing a loopback bind exposes nothing");
    }

    @Test
    void everyKeyOfTheSchemaIsRead() {
        Path certs = dir.resolve("certs");
        TestPki.withSiblingKey(certs.resolve("site.pem"));
        TestPki.key(certs.resolve("site.key"));
        TestPki.directory(certs.resolve("all"));
        TestPki.crtList(certs.resolve("crt-list.txt"));

        StapledConfig config = ConfigLoader.parse("""
                global: { workers: 4, tls_provider: JDK, shutdown_grace: 0s, log_level: debug }
                ocsp:
                  enabled: false
                  responder: http://ocsp.example/
                  http_proxy: proxy.example:3128
                  startup_wait: 0s
                  connect_timeout: 2s
                  read_timeout: 3s
                  max_response_size: 32k
                  min_refresh: 1m
                  max_refresh: 12h
                  retry_initial: 5s
                  retry_max: 10m
                  clock_skew: 0s
                  nonce: true
                  hash: SHA256
                  http_get: no
                  rate_limit: 2.5
                  persist: false
                  watch_files: false
                  must_staple_required: true
                frontends:
                  - name: https
                    bind: :8443
                    mode: HTTP
                    backend: app
                    certificates:
                      - crt: certs/site.pem
                        key: certs/site.key
                        sni: [WWW.Example.com, "*.example.org"]
                        ocsp: { enabled: true, responder: http://127.0.0.1:8889/ }
                      - dir: certs/all/
                        ocsp: { enabled: false }
                      - crt_list: certs/crt-list.txt
                    default_certificate: certs/site.pem
                    tls:
                      protocols: [TLSv1.3]
                      ciphers: ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256
                      ciphersuites: TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256
                      alpn: [http/1.1]
                      session_tickets: false
                      ticket_key_rotation: 30m
                      session_cache_size: 0
                      session_timeout: 2m
                      handshake_timeout: 3s
                    http: { request_timeout: 7s, max_header_size: 32k, max_initial_line: 4k, forwarded_headers: false,
                            trusted_upstreams: [10.0.0.0/8, "fd00::/8", 192.168.1.1] }
                    max_connections: 500
                    client_timeout: 90s
                    access_log: true
                  - name: smtps
                    bind: "[::1]:8465"
                    mode: tcp
                    backend: mail
                    certificates: [ { crt: /ABS/certs/site.pem } ]
                backends:
                  - name: app
                    balance: LeastConn
                    servers:
                      - { name: s1, address: 127.0.0.1:8080, weight: 0 }
                      - { name: s2, address: "[::1]:8081", weight: 256 }
                    health_check: { type: http, path: /healthz, expect_status: 204, interval: 5s, timeout: 500ms,
                                    rise: 1, fall: 5 }
                    connect_timeout: 1s
                    server_timeout: 2m
                    max_idle_per_server: 0
                    idle_timeout: 10s
                  - name: mail
                    balance: source
                    servers: [ { name: m1, address: mail.internal:25 } ]
                    health_check: { type: tcp, interval: 10s }
                runtime_api: { socket: /run/stapled/admin.sock, mode: 660, level: operator, tcp: 127.0.0.1:9999,
                               idle_timeout: 1h, max_payload: 2m }
                admin_http: { bind: localhost:9100, ready_requires_must_staple: false, ready_min_staple_validity: 1h }
                """.replace("/ABS", dir.toString()), dir.resolve("stapled.yaml"));

        assertEquals(new GlobalConfig(4, GlobalConfig.TlsProvider.JDK, Duration.ZERO, "DEBUG"), config.global());
        assertEquals(new OcspConfig(Duration.ZERO, OcspSettings.builder().enabled(false)
                .responderOverride(URI.create("http://ocsp.example/"))
                .httpProxy(InetSocketAddress.createUnresolved("proxy.example", 3128))
                .connectTimeout(Duration.ofSeconds(2)).readTimeout(Duration.ofSeconds(3)).maxResponseSize(32 * 1024)
                .minRefresh(Duration.ofMinutes(1)).maxRefresh(Duration.ofHours(12))
                .retryInitial(Duration.ofSeconds(5)).retryMax(Duration.ofMinutes(10)).clockSkew(Duration.ZERO)
                .useNonce(true).hash(HashAlgorithm.SHA256).useGet(false).requestsPerSecond(2.5).persist(false)
                .watchFiles(false).mustStapleRequired(true).build()), config.ocsp());

        FrontendConfig https = config.frontends().get(0);
        assertEquals(new FrontendConfig("https", new HostPort("0.0.0.0", 8443), FrontendConfig.Mode.HTTP, "app",
                List.of(new CertificateSource.File(certs.resolve("site.pem"), certs.resolve("site.key"),
                                List.of("www.example.com", "*.example.org"),
                                new OcspOptions(true, URI.create("http://127.0.0.1:8889/"))),
                        new CertificateSource.Directory(certs.resolve("all"), new OcspOptions(false, null)),
                        new CertificateSource.CrtList(certs.resolve("crt-list.txt"), OcspOptions.DEFAULT)),
                certs.resolve("site.pem").toString(),
                new TlsConfig(List.of("TLSv1.3"), "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
                        "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256", List.of("http/1.1"), false,
                        Duration.ofMinutes(30), 0, Duration.ofMinutes(2), Duration.ofSeconds(3)),
                new HttpConfig(Duration.ofSeconds(7), 32 * 1024, 4 * 1024, false,
                        List.of("10.0.0.0/8", "fd00::/8", "192.168.1.1/32")),
                500, Duration.ofSeconds(90), true), https);

        FrontendConfig smtps = config.frontends().get(1);
        assertEquals(new HostPort("::1", 8465), smtps.bind());
        assertEquals(FrontendConfig.Mode.TCP, smtps.mode());
        assertEquals(certs.resolve("site.pem"), ((CertificateSource.File) smtps.certificates().get(0)).crt());

        assertEquals(new BackendConfig("app", BackendConfig.Balance.LEASTCONN,
                List.of(new ServerConfig("s1", new HostPort("127.0.0.1", 8080), 0),
                        new ServerConfig("s2", new HostPort("::1", 8081), 256)),
                new HealthCheckConfig(HealthCheckConfig.Type.HTTP, "/healthz", 204, Duration.ofSeconds(5),
                        Duration.ofMillis(500), 1, 5),
                Duration.ofSeconds(1), Duration.ofMinutes(2), 0, Duration.ofSeconds(10)), config.backend("app"));
        BackendConfig mail = config.backend("mail");
        assertEquals(BackendConfig.Balance.SOURCE, mail.balance());
        assertEquals(new HealthCheckConfig(HealthCheckConfig.Type.TCP, null, 200, Duration.ofSeconds(10),
                Duration.ofSeconds(1), 2, 3), mail.healthCheck());

        assertEquals(new RuntimeApiConfig(Path.of("/run/stapled/admin.sock"), "0660", "operator",
                new HostPort("127.0.0.1", 9999), Duration.ofHours(1), 2 << 20), config.runtimeApi());
        assertEquals(new AdminHttpConfig(new HostPort("localhost", 9100), false, Duration.ofHours(1)),
                config.adminHttp());
    }

    @Test
    void httpRequestValidationKeysAreRead() {
        TestPki.bundle(dir.resolve("site.pem"));
        StapledConfig config = ConfigLoader.parse(ConfigErrorsTest.BASE.replace("backend: app", """
                backend: app
                    http: { accept_invalid_requests: true, underscore_headers: REJECT, client_ip_header: X-Real-IP }"""),
                dir.resolve("stapled.yaml"));
        HttpConfig http = config.frontends().get(0).http();
        assertEquals(true, http.acceptInvalidRequests());
        assertEquals(HttpConfig.UnderscoreHeaders.REJECT, http.underscoreHeaders());
        assertEquals("X-Real-IP", http.clientIpHeader());
        assertEquals(HttpConfig.defaults().requestTimeout(), http.requestTimeout());

        HttpConfig defaults = HttpConfig.defaults();
        assertEquals(false, defaults.acceptInvalidRequests());
        assertEquals(HttpConfig.UnderscoreHeaders.DROP, defaults.underscoreHeaders());
        assertNull(defaults.clientIpHeader());
        StapledConfig allow = ConfigLoader.parse(ConfigErrorsTest.BASE.replace("backend: app",
                "backend: app\n    http: { underscore_headers: allow }"), dir.resolve("stapled.yaml"));
        assertEquals(HttpConfig.UnderscoreHeaders.ALLOW, allow.frontends().get(0).http().underscoreHeaders());
    }

    @Test
    void serverProtoIsH1UnlessToldH2() {
        TestPki.bundle(dir.resolve("site.pem"));
        StapledConfig config = ConfigLoader.parse(ConfigErrorsTest.BASE.replace(
                "      - { name: s1, address: 127.0.0.1:8080 }",
                "      - { name: s1, address: 127.0.0.1:8080 }\n"
                        + "      - { name: s2, address: 127.0.0.1:8081, proto: h2 }\n"
                        + "      - { name: s3, address: 127.0.0.1:8082, proto: H1 }"), dir.resolve("stapled.yaml"));
        assertEquals(List.of(new ServerConfig("s1", new HostPort("127.0.0.1", 8080), 1, null, null, BackendConfig.Protocol.H1),
                new ServerConfig("s2", new HostPort("127.0.0.1", 8081), 1, null, null, BackendConfig.Protocol.H2),
                new ServerConfig("s3", new HostPort("127.0.0.1", 8082), 1, null, null, BackendConfig.Protocol.H1)),
                config.backend("app").servers());
    }

    @Test
    void anchorsAndAliasesShareSettings() {
        TestPki.bundle(dir.resolve("site.pem"));
        StapledConfig config = ConfigLoader.parse("""
                frontends:
                  - name: a
                    bind: 127.0.0.1:0
                    backend: app
                    certificates: &certs [ { crt: site.pem } ]
                    tls: &tls { protocols: [TLSv1.3], handshake_timeout: 3s }
                  - name: b
                    bind: 127.0.0.1:0
                    backend: app
                    certificates: *certs
                    tls: *tls
                backends:
                  - name: app
                    servers: [ { name: s1, address: 127.0.0.1:8080 } ]
                """, dir.resolve("stapled.yaml"));
        assertEquals(config.frontends().get(0).tls(), config.frontends().get(1).tls());
        assertEquals(List.of("TLSv1.3"), config.frontends().get(1).tls().protocols());
        assertEquals(config.frontends().get(0).certificates(), config.frontends().get(1).certificates());
    }

    @Test
    void relativePathsResolveAgainstTheConfigDirectoryNotTheWorkingDirectory() {
        Path sub = dir.resolve("etc/stapled");
        TestPki.bundle(sub.resolve("site.pem"));
        Path file = TestPki.write(sub.resolve("stapled.yaml"), ConfigErrorsTest.BASE);
        StapledConfig config = ConfigLoader.load(file);
        assertEquals(sub.resolve("site.pem"),
                ((CertificateSource.File) config.frontends().get(0).certificates().get(0)).crt());
    }

    @Test
    void fileChecksCanBeSkippedForValidatingElsewhere() {
        StapledConfig config = ConfigLoader.parse(ConfigErrorsTest.BASE.replace("crt: site.pem", "crt: /nowhere/x.pem"),
                dir.resolve("stapled.yaml"), ConfigLoader.Option.SKIP_FILE_CHECKS);
        assertEquals(Path.of("/nowhere/x.pem"),
                ((CertificateSource.File) config.frontends().get(0).certificates().get(0)).crt());
    }
}
