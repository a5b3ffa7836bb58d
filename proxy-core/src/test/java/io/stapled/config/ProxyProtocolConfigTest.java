package io.stapled.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.config.BackendConfig.SendProxy;
import io.stapled.testkit.TestPki;

/** {@code accept_proxy} on a frontend and {@code send_proxy} on a server: values, defaults and errors. */
class ProxyProtocolConfigTest {

    @TempDir
    Path dir;

    @BeforeEach
    void certificate() {
        TestPki.bundle(dir.resolve("site.pem"));
    }

    private StapledConfig parse(String yaml) {
        return ConfigLoader.parse(yaml, dir.resolve("stapled.yaml"));
    }

    private List<String> errors(String yaml) {
        Path file = TestPki.write(dir.resolve("stapled.yaml"), yaml);
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        String prefix = dir + File.separator;
        return e.errors().stream().map(ConfigError::format)
                .map(s -> s.startsWith(prefix) ? s.substring(prefix.length()) : s).toList();
    }

    private static String frontend(String extra) {
        return ConfigErrorsTest.BASE.replace("backend: app", "backend: app\n" + extra);
    }

    @Test
    void offByDefault() {
        StapledConfig config = parse(ConfigErrorsTest.BASE);
        assertNull(config.frontends().get(0).acceptProxy());
        assertNull(config.backends().get(0).servers().get(0).sendProxy());
    }

    @Test
    void trueTrustsLoopbackOnly() {
        AcceptProxyConfig accept = parse(frontend("    accept_proxy: true")).frontends().get(0).acceptProxy();
        assertEquals(List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128")), accept.trustedSources());
        assertEquals(Duration.ofSeconds(5), accept.timeout());
        assertNull(parse(frontend("    accept_proxy: false")).frontends().get(0).acceptProxy());
    }

    @Test
    void mappingNamesTheBalancers() {
        AcceptProxyConfig accept = parse(frontend("    accept_proxy: { trusted_sources: [10.1.0.0/16, \"fd00::/8\"],"
                + " timeout: 2s }")).frontends().get(0).acceptProxy();
        assertEquals(List.of(Cidr.parse("10.1.0.0/16"), Cidr.parse("fd00::/8")), accept.trustedSources());
        assertEquals(Duration.ofSeconds(2), accept.timeout());
    }

    @Test
    void sendProxyVersions() {
        StapledConfig config = parse(ConfigErrorsTest.BASE.replace("address: 127.0.0.1:8080 }",
                "address: 127.0.0.1:8080, send_proxy: v2 }\n      - { name: s2, address: 127.0.0.1:8081, send_proxy: V1 }"));
        assertEquals(SendProxy.V2, config.backends().get(0).servers().get(0).sendProxy());
        assertEquals(SendProxy.V1, config.backends().get(0).servers().get(1).sendProxy());
    }

    @Test
    void errorsNameFileLineAndKeyPath() {
        assertEquals(List.of("stapled.yaml:5 frontends[0].accept_proxy.trusted_sources[1]: expected a CIDR like"
                        + " 10.0.0.0/8 or fd00::/8, got \"10.0.0.300\""),
                errors(frontend("    accept_proxy: { trusted_sources: [10.0.0.0/8, 10.0.0.300] }")));
        assertEquals(List.of("stapled.yaml:5 frontends[0].accept_proxy.trusted_sources: missing required key"),
                errors(frontend("    accept_proxy: { timeout: 2s }")));
        assertEquals(List.of("stapled.yaml:5 frontends[0].accept_proxy.trusted_sources: needs at least one CIDR"
                        + " (the load balancers' addresses); [0.0.0.0/0, \"::/0\"] trusts every peer, as HAProxy's"
                        + " accept-proxy does"),
                errors(frontend("    accept_proxy: { trusted_sources: [] }")));
        assertEquals(List.of("stapled.yaml:5 frontends[0].accept_proxy: expected true or false, got \"v2\""),
                errors(frontend("    accept_proxy: v2")));
        assertEquals(List.of("stapled.yaml:5 frontends[0].accept_proxy.trusted_sources: missing required key",
                        "stapled.yaml:5 frontends[0].accept_proxy.trusted: unknown key \"trusted\""
                        + " (known keys here: trusted_sources, timeout)"),
                errors(frontend("    accept_proxy: { trusted: [10.0.0.0/8] }")));
        assertEquals(List.of("stapled.yaml:10 backends[0].servers[0].send_proxy: expected one of v1, v2, got \"v3\""),
                errors(ConfigErrorsTest.BASE.replace("address: 127.0.0.1:8080 }",
                        "address: 127.0.0.1:8080, send_proxy: v3 }")));
    }
}
