package io.stapled.config;

import io.stapled.testkit.TestPki;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.File;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code frontends[].max_handshakes_per_source} and {@code runtime_api.max_connections}. */
class ConnectionLimitConfigTest {
    private static final String BASE = """
            frontends:
              - name: https
                bind: 127.0.0.1:0
                backend: app
                certificates:
                  - crt: site.pem
            %s
            backends:
              - name: app
                servers:
                  - { name: s1, address: 127.0.0.1:8080 }
            runtime_api:
              socket: admin.sock
            %s
            """;

    @TempDir
    Path dir;

    @BeforeEach
    void certificate() {
        TestPki.bundle(dir.resolve("site.pem"));
    }

    private StapledConfig load(String frontendLine, String apiLine) {
        return ConfigLoader.load(TestPki.write(dir.resolve("stapled.yaml"), BASE.formatted(frontendLine, apiLine)));
    }

    private List<String> errors(String frontendLine, String apiLine) {
        ConfigException e = assertThrows(ConfigException.class, () -> load(frontendLine, apiLine));
        String prefix = dir + File.separator;
        return e.errors().stream().map(ConfigError::format)
                .map(s -> s.startsWith(prefix) ? s.substring(prefix.length()) : s).toList();
    }

    @Test
    void defaults() {
        StapledConfig c = load("", "");
        assertEquals(64, c.frontends().get(0).maxHandshakesPerSource());
        assertEquals(10, c.runtimeApi().maxConnections());
    }

    @Test
    void explicitValuesAndZeroForNoLimit() {
        StapledConfig c = load("    max_handshakes_per_source: 0", "  max_connections: 3");
        assertEquals(0, c.frontends().get(0).maxHandshakesPerSource());
        assertEquals(3, c.runtimeApi().maxConnections());
        assertEquals(200, load("    max_handshakes_per_source: 200", "").frontends().get(0).maxHandshakesPerSource());
    }

    @Test
    void outOfRangeNamesFileLineAndKey() {
        assertEquals(List.of(
                "stapled.yaml:7 frontends[0].max_handshakes_per_source: expected an integer from 0 to 1000000, got -1",
                "stapled.yaml:14 runtime_api.max_connections: expected an integer from 1 to 1000, got 0"),
                errors("    max_handshakes_per_source: -1", "  max_connections: 0"));
    }
}
