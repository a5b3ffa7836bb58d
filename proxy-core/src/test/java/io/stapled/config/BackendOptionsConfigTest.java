package io.stapled.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.File;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.config.BackendConfig.Balance;
import io.stapled.testkit.TestPki;

/**
 * The backend keys of issue 13 (balance random, uri, hdr(NAME); queue; cookie; http check options;
 * re-resolution): their values and defaults, and a {@code file:line key: message} error for each bad one.
 */
class BackendOptionsConfigTest {
    /** {@link ConfigErrorsTest#BASE} with room for backend keys at line 9 and server keys on line 11. */
    private static final String BASE = """
            frontends:
              - name: https
                bind: 127.0.0.1:0
                backend: app
                certificates:
                  - crt: site.pem
            backends:
              - name: app
                %s
                servers:
                  - { name: s1, address: 127.0.0.1:8080 %s}
            """;

    @TempDir
    Path dir;

    @BeforeEach
    void certificate() {
        TestPki.bundle(dir.resolve("site.pem"));
    }

    private BackendConfig backend(String backendKeys, String serverKeys) {
        return ConfigLoader.parse(BASE.formatted(backendKeys, serverKeys), dir.resolve("stapled.yaml")).backend("app");
    }

    private List<String> errors(String backendKeys, String serverKeys) {
        Path file = TestPki.write(dir.resolve("stapled.yaml"), BASE.formatted(backendKeys, serverKeys));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        String prefix = dir + File.separator;
        return e.errors().stream().map(ConfigError::format)
                .map(s -> s.startsWith(prefix) ? s.substring(prefix.length()) : s).toList();
    }

    @Test
    void balanceRandomUriAndHdr() {
        assertEquals(Balance.RANDOM, backend("balance: random", "").balance());
        assertEquals(Balance.URI, backend("balance: uri", "").balance());
        BackendConfig hdr = backend("balance: hdr(X-Tenant)", "");
        assertEquals(Balance.HDR, hdr.balance());
        assertEquals("x-tenant", hdr.balanceHeader());
        assertNull(backend("balance: source", "").balanceHeader());
    }

    @Test
    void badBalancesAreErrors() {
        assertEquals(List.of("stapled.yaml:9 backends[0].balance: expected one of roundrobin, leastconn, source,"
                + " random, uri, hdr(NAME), got \"hdr()\""), errors("balance: hdr()", ""));
        assertEquals(List.of("stapled.yaml:9 backends[0].balance: expected one of roundrobin, leastconn, source,"
                + " random, uri, hdr(NAME), got \"hdr(a b)\""), errors("balance: hdr(a b)", ""));
    }

    @Test
    void httpCheckMethodHostAndExpectBody() {
        BackendConfig.HealthCheckConfig check = backend(
                "health_check: { type: http, method: OPTIONS, host: app.internal, expect_body: ready }", "")
                .healthCheck();
        assertEquals("OPTIONS", check.method());
        assertEquals("app.internal", check.host());
        assertEquals("ready", check.expectBody());
        BackendConfig.HealthCheckConfig defaults = backend("health_check: { type: http }", "").healthCheck();
        assertEquals("GET", defaults.method());
        assertNull(defaults.host());
        assertNull(defaults.expectBody());
    }

    @Test
    void badHttpCheckOptionsAreErrors() {
        assertEquals(List.of("stapled.yaml:9 backends[0].health_check.method: expected an HTTP method like GET,"
                + " HEAD or OPTIONS, got \"get\""), errors("health_check: { type: http, method: get }", ""));
        assertEquals(List.of("stapled.yaml:9 backends[0].health_check.expect_body: a response to HEAD has no body:"
                + " use another method with expect_body"),
                errors("health_check: { type: http, method: HEAD, expect_body: ok }", ""));
        assertEquals(List.of("stapled.yaml:9 backends[0].health_check.host: host is only used by health checks of type http"),
                errors("health_check: { type: tcp, host: a }", ""));
        assertEquals(List.of("stapled.yaml:9 backends[0].health_check.host: a Host header is a host name or address,"
                + " with an optional :port, got \"a b\""), errors("health_check: { type: http, host: a b }", ""));
    }

    @Test
    void maxConnectionsMaxQueueAndQueueTimeout() {
        BackendConfig capped = backend("queue_timeout: 2s", ", max_connections: 10, max_queue: 50 ");
        assertEquals(10, capped.servers().get(0).maxConnections());
        assertEquals(50, capped.servers().get(0).maxQueue());
        assertEquals(java.time.Duration.ofSeconds(2), capped.queueTimeout());
        BackendConfig defaults = backend("connect_timeout: 3s", ", max_connections: 10 ");
        assertEquals(BackendConfig.ServerConfig.NO_QUEUE_LIMIT, defaults.servers().get(0).maxQueue());
        assertEquals(java.time.Duration.ofSeconds(3), defaults.queueTimeout(), "queue_timeout defaults to connect_timeout");
        assertEquals(0, backend("connect_timeout: 1s", "").servers().get(0).maxConnections());
    }

    @Test
    void badQueueSettingsAreErrors() {
        assertEquals(List.of("stapled.yaml:11 backends[0].servers[0].max_queue: a queue forms only at a server's"
                + " max_connections: set max_connections too"), errors("connect_timeout: 1s", ", max_queue: 5 "));
        assertEquals(List.of("stapled.yaml:9 backends[0].queue_timeout: only requests to a server with"
                + " max_connections wait: set max_connections on a server, or leave queue_timeout out"),
                errors("queue_timeout: 1s", ""));
        assertEquals(1, errors("connect_timeout: 1s", ", max_connections: 0 ").size());
    }

    @Test
    void cookieStickiness() {
        BackendConfig b = backend("cookie: { name: SRVID, httponly: true, nocache: true }", ", cookie: one ");
        assertEquals(new BackendConfig.CookieConfig("SRVID", BackendConfig.CookieMode.INSERT, true, false, true),
                b.cookie());
        assertEquals("one", b.servers().get(0).cookie());
        assertEquals("s1", backend("cookie: { name: JSESSIONID, mode: prefix }", "").servers().get(0).cookie(),
                "the server's name unless told");
        assertNull(backend("connect_timeout: 1s", "").cookie());
    }

    @Test
    void badCookieSettingsAreErrors() {
        assertEquals(List.of("stapled.yaml:9 backends[0].cookie.nocache: nocache applies to the cookie the proxy"
                + " inserts: only with mode insert (in rewrite mode the server sets it)"),
                errors("cookie: { name: SRVID, mode: rewrite, nocache: true }", ""));
        assertEquals(List.of("stapled.yaml:9 backends[0].cookie.name: missing required key"),
                errors("cookie: { mode: insert }", ""));
        assertEquals(1, errors("cookie: { name: SRVID }", ", cookie: a~b ").size());
        assertEquals(1, errors("cookie: { name: 'a b' }", "").size());
    }

    @Test
    void resolveIntervalAndPrefer() {
        BackendConfig defaults = backend("connect_timeout: 1s", "");
        assertEquals(java.time.Duration.ofSeconds(30), defaults.resolveInterval());
        assertEquals(BackendConfig.ResolvePrefer.IPV4, defaults.resolvePrefer());
        BackendConfig once = backend("resolve_interval: 0s\n    resolve_prefer: ipv6", "");
        assertEquals(java.time.Duration.ZERO, once.resolveInterval());
        assertEquals(BackendConfig.ResolvePrefer.IPV6, once.resolvePrefer());
        assertEquals(List.of("stapled.yaml:9 backends[0].resolve_prefer: expected one of ipv4, ipv6, got \"both\""),
                errors("resolve_prefer: both", ""));
    }
}
