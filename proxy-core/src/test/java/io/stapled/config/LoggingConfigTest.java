package io.stapled.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.config.AccessLogConfig.Format;
import io.stapled.config.AccessLogConfig.Kind;
import io.stapled.testkit.TestPki;

/** {@code access_log}, {@code global.log_format} and {@code admin_http.ready_min_certificate_validity}. */
class LoggingConfigTest {
    @TempDir
    Path dir;

    @BeforeEach
    void certificate() {
        TestPki.bundle(dir.resolve("site.pem"));
    }

    private String config(String frontendLines, String more) {
        return """
                frontends:
                  - name: https
                    bind: 127.0.0.1:0
                    backend: app
                    certificates:
                      - crt: site.pem
                """ + frontendLines + """
                backends:
                  - name: app
                    servers:
                      - { name: s1, address: 127.0.0.1:8080 }
                """ + more;
    }

    private StapledConfig load(String yaml) {
        return ConfigLoader.parse(yaml, dir.resolve("stapled.yaml"));
    }

    private String errors(String yaml) {
        return assertThrows(ConfigException.class, () -> load(yaml)).getMessage();
    }

    @Test
    void accessLogTrueIsTheClassicLineAndAbsentIsNone() {
        assertEquals(AccessLogConfig.CLASSIC, load(config("    access_log: true\n", "")).frontends().get(0).accessLog());
        assertNull(load(config("    access_log: false\n", "")).frontends().get(0).accessLog());
        assertNull(load(config("", "")).frontends().get(0).accessLog());
    }

    @Test
    void formatsAndQueue() {
        AccessLogConfig json = load(config("    access_log: { format: json, queue: 16 }\n", "")).frontends().get(0)
                .accessLog();
        assertEquals(new AccessLogConfig(Format.JSON, List.of(), 16), json);
        AccessLogConfig combined = load(config("    access_log: {}\n", "")).frontends().get(0).accessLog();
        assertEquals(new AccessLogConfig(Format.COMBINED, List.of(), AccessLogConfig.DEFAULT_QUEUE), combined);
    }

    @Test
    void templateCompilesWordsFetchesAndLiterals() {
        AccessLogConfig t = load(config("    access_log: { format: template, template: \"%ci:%cp [%[ssl_fc_sni]] 100%% %Tt\" }\n",
                "")).frontends().get(0).accessLog();
        assertEquals(List.of(new AccessLogConfig.Variable(Kind.CLIENT_IP), new AccessLogConfig.Literal(":"),
                new AccessLogConfig.Variable(Kind.CLIENT_PORT), new AccessLogConfig.Literal(" ["),
                new AccessLogConfig.Fetch(new HeaderTemplate.Fetch(HeaderTemplate.Kind.SSL_FC_SNI, null)),
                new AccessLogConfig.Literal("] 100% "), new AccessLogConfig.Variable(Kind.TOTAL)), t.template());
    }

    @Test
    void anUnknownTemplateWordIsAnErrorAtItsLine() {
        String message = errors(config("    access_log:\n      format: template\n      template: \"%ci %Tw\"\n", ""));
        assertTrue(message.startsWith(dir.resolve("stapled.yaml") + ":9 frontends[0].access_log.template: "
                + "at character 5: unknown log-format word %Tw; known: "), message);
        assertTrue(message.contains("%sslv"), message);
    }

    @Test
    void templateErrors() {
        assertTrue(errors(config("    access_log: { format: template, template: \"%{+Q}r\" }\n", ""))
                .contains("(%{...} flags are not supported)"));
        assertTrue(errors(config("    access_log: { format: template, template: \"%[nope]\" }\n", ""))
                .contains("unknown fetch %[nope]"));
        assertTrue(errors(config("    access_log: { format: template, template: \"%[src\" }\n", ""))
                .contains("%[ without its ]"));
        assertTrue(errors(config("    access_log: { format: template }\n", ""))
                .contains("frontends[0].access_log.template: missing required key"), "a template needs its text");
        assertTrue(errors(config("    access_log: { format: json, template: \"%ci\" }\n", ""))
                .contains("template needs format: template"));
        assertTrue(errors(config("    access_log: { format: xml }\n", "")).contains("frontends[0].access_log.format"));
        assertTrue(errors(config("    access_log: { queue: 0 }\n", "")).contains("frontends[0].access_log.queue"));
        assertTrue(errors(config("    access_log: { fromat: json }\n", "")).contains("did you mean \"format\""));
    }

    @Test
    void tlsWordsOnAPlainFrontendAreErrors() {
        String yaml = """
                frontends:
                  - name: plain
                    bind: 127.0.0.1:0
                    tls: false
                    backend: app
                    access_log: { format: template, template: "%sslv" }
                backends:
                  - name: app
                    servers:
                      - { name: s1, address: 127.0.0.1:8080 }
                """;
        assertTrue(errors(yaml).contains(":6 frontends[0].access_log.template: %sslv reads the TLS connection"),
                errors(yaml));
    }

    @Test
    void logFormat() {
        assertEquals(GlobalConfig.LogFormat.TEXT, load(config("", "")).global().logFormat());
        assertEquals(GlobalConfig.LogFormat.JSON, load(config("", "global: { log_format: json }\n")).global().logFormat());
        assertTrue(errors(config("", "global: { log_format: yaml }\n")).contains("global.log_format"));
    }

    @Test
    void readyMinCertificateValidity() {
        StapledConfig c = load(config("", "admin_http: { bind: 127.0.0.1:0, ready_min_certificate_validity: 7d }\n"));
        assertEquals(Duration.ofDays(7), c.adminHttp().readyMinCertificateValidity());
        assertNull(load(config("", "admin_http: { bind: 127.0.0.1:0 }\n")).adminHttp().readyMinCertificateValidity());
        String staple = assertThrows(ConfigException.class, () -> ConfigLoader.parseStaple(
                "admin_http: { bind: 127.0.0.1:0, ready_min_certificate_validity: 7d }\n", dir.resolve("staple.yaml")))
                .getMessage();
        assertTrue(staple.contains("admin_http.ready_min_certificate_validity: ready_min_certificate_validity is "
                + "for stapled run"), staple);
    }
}
