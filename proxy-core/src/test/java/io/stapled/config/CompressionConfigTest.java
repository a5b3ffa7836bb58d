package io.stapled.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.stapled.config.CompressionConfig.Algorithm;

/**
 * {@code compression} of a frontend and of a route, and {@code after_response_headers}: what they bind
 * to, the defaults, and each mistake as a {@code file:line key.path} error.
 */
class CompressionConfigTest {
    private static final Path FILE = Path.of("stapled.yaml");

    private static String config(String frontend) {
        return """
                frontends:
                  - name: web
                    bind: 127.0.0.1:0
                    backend: app
                    certificates: [ { crt: site.pem } ]
                """ + frontend.indent(4) + """
                backends:
                  - name: app
                    servers:
                      - { name: s1, address: 127.0.0.1:8080 }
                """;
    }

    private static RoutingConfig load(String frontend) {
        return ConfigLoader.parse(config(frontend), FILE, ConfigLoader.Option.SKIP_FILE_CHECKS)
                .frontends().get(0).routing();
    }

    private static List<String> errors(String frontend) {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse(config(frontend), FILE, ConfigLoader.Option.SKIP_FILE_CHECKS));
        return e.errors().stream().map(ConfigError::format).toList();
    }

    @Test
    void offWhenAbsentOrFalse() {
        assertNull(load("").compression());
        assertNull(load("compression: false").compression());
    }

    @Test
    void trueAndAnEmptyMapAreTheDefaults() {
        CompressionConfig defaults = new CompressionConfig(List.of(Algorithm.GZIP), CompressionConfig.DEFAULT_TYPES,
                1024);
        assertEquals(defaults, load("compression: true").compression());
        assertEquals(defaults, load("compression: {}").compression());
    }

    @Test
    void allKeys() {
        RoutingConfig r = load("""
                compression: { algorithms: [zstd, br, gzip], types: [Text/*, application/json], min_size: 2k }
                routes:
                  - path_prefix: /raw/
                    backend: app
                    compression: false
                  - path_prefix: /api/
                    backend: app
                    compression: { algorithms: [gzip] }
                  - path_prefix: /x/
                    backend: app
                """);
        assertEquals(new CompressionConfig(List.of(Algorithm.ZSTD, Algorithm.BR, Algorithm.GZIP),
                List.of("text/*", "application/json"), 2048), r.compression());
        assertSame(CompressionConfig.OFF, r.routes().get(0).compression());
        assertEquals(new CompressionConfig(List.of(Algorithm.GZIP), CompressionConfig.DEFAULT_TYPES, 1024),
                r.routes().get(1).compression());
        assertNull(r.routes().get(2).compression(), "the frontend's");
    }

    @Test
    void mistakes() {
        assertEquals(List.of("stapled.yaml:6 frontends[0].compression.algorithms[1]: expected one of gzip, br, zstd, "
                + "got \"deflate\""), errors("compression: { algorithms: [gzip, deflate] }"));
        assertEquals(List.of("stapled.yaml:6 frontends[0].compression.algorithms[1]: gzip is listed twice"),
                errors("compression: { algorithms: [gzip, gzip] }"));
        assertEquals(List.of("stapled.yaml:6 frontends[0].compression.algorithms: needs at least one of gzip, br, "
                + "zstd (to turn compression off, write compression: false)"), errors("compression: { algorithms: [] }"));
        assertEquals(List.of("stapled.yaml:6 frontends[0].compression.types[0]: expected a media type like text/html "
                + "or text/* (no parameters), got \"text/html; charset=utf-8\""),
                errors("compression: { types: [\"text/html; charset=utf-8\"] }"));
        assertEquals(List.of("stapled.yaml:6 frontends[0].compression.min_size: expected a size like 512, 16k or 1m, got \"big\""),
                errors("compression: { min_size: big }"));
        assertEquals(List.of("stapled.yaml:6 frontends[0].compression.level: unknown key \"level\" (known keys here: "
                + "algorithms, types, min_size)"), errors("compression: { level: 9 }"));
        assertEquals(List.of("stapled.yaml:7 frontends[0].routes[0]: request_headers, response_headers, strip_prefix, "
                + "replace_prefix, max_request_body and compression apply to proxied requests; this route answers "
                + "with a redirect"), errors("""
                routes:
                  - path: /old
                    redirect: { location: /new }
                    compression: true
                """));
    }

    @Test
    void afterResponseHeaders() {
        RoutingConfig r = load("""
                after_response_headers:
                  - { set: X-Served-By, value: "%[req.hdr(host)]" }
                  - { delete: Server }
                """);
        assertEquals(List.of(new HeaderRule.Set("x-served-by", new HeaderTemplate(List.of(
                        new HeaderTemplate.Fetch(HeaderTemplate.Kind.REQ_HDR, "host")))),
                new HeaderRule.Delete("server")), r.afterResponse());
        assertEquals(List.of("stapled.yaml:6 frontends[0].after_response_headers[0].set: content-length frames the "
                + "message and is stapled's to set; a rule cannot change it"),
                errors("after_response_headers: [ { set: Content-Length, value: \"1\" } ]"));
    }

    @Test
    void tcpFrontendsHaveNeither() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("""
                frontends:
                  - name: tcp
                    bind: 127.0.0.1:0
                    mode: tcp
                    backend: app
                    certificates: [ { crt: site.pem } ]
                    compression: true
                    after_response_headers: [ { delete: X-A } ]
                backends:
                  - name: app
                    servers: [ { name: s1, address: 127.0.0.1:8080 } ]
                """, FILE, ConfigLoader.Option.SKIP_FILE_CHECKS));
        assertEquals(List.of("stapled.yaml:7 frontends[0].compression: compression needs HTTP; this frontend is mode tcp",
                "stapled.yaml:8 frontends[0].after_response_headers: after_response_headers needs HTTP; this frontend "
                        + "is mode tcp"), e.errors().stream().map(ConfigError::format).toList());
    }
}
