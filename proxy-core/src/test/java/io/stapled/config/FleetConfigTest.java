package io.stapled.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.testkit.TestPki;

/** The {@code fleet:} section: what it binds to, and one file:line error per mistake. */
class FleetConfigTest {

    @TempDir
    Path dir;

    @BeforeEach
    void certificate() {
        TestPki.bundle(dir.resolve("site.pem"));
    }

    private static String config(String fleet) {
        return """
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
                """ + fleet;
    }

    private StapledConfig load(String fleet) {
        return ConfigLoader.load(TestPki.write(dir.resolve("stapled.yaml"), config(fleet)));
    }

    private List<String> errors(String fleet) {
        Path file = TestPki.write(dir.resolve("stapled.yaml"), config(fleet));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        String prefix = dir + File.separator;
        return e.errors().stream().map(ConfigError::format)
                .map(s -> s.startsWith(prefix) ? s.substring(prefix.length()) : s).toList();
    }

    @Test
    void absentMeansNoFleet() {
        assertNull(load("").fleet());
    }

    @Test
    void bindsEveryKey() {
        TestPki.write(dir.resolve("redis.pass"), "s3cret\n");
        FleetConfig f = load("""
                fleet:
                  redis: rediss://redis.internal:6380/2
                  username: stapled
                  password_file: redis.pass
                  key_prefix: "edge:"
                  node_name: edge-1
                  lease: 10s
                  ticket_key_file: redis.pass
                """).fleet();
        assertEquals("redis.internal", f.host());
        assertEquals(6380, f.port());
        assertEquals(2, f.database());
        assertTrue(f.tls());
        assertEquals("stapled", f.username());
        assertEquals(dir.resolve("redis.pass"), f.passwordFile());
        assertNull(f.password());
        assertEquals("edge:", f.keyPrefix());
        assertEquals("edge-1", f.nodeName());
        assertEquals(Duration.ofSeconds(10), f.lease());
        assertEquals(dir.resolve("redis.pass"), f.ticketKeyFile());
        assertEquals(18, f.ticketKeyOrigin().line());
        assertEquals("rediss://redis.internal:6380/2", f.url());
    }

    @Test
    void defaults() {
        FleetConfig f = load("fleet: { redis: redis://127.0.0.1 }\n").fleet();
        assertEquals(6379, f.port());
        assertEquals(0, f.database());
        assertEquals(false, f.tls());
        assertEquals("stapled:", f.keyPrefix());
        assertEquals(Duration.ofSeconds(30), f.lease());
        assertTrue(f.nodeName().contains(":"), f.nodeName()); // host:pid
    }

    @Test
    void errorsNameTheLineAndKey() {
        assertEquals(List.of("stapled.yaml:12 fleet.redis: expected a redis:// or rediss:// URL, got \"http://x:6379\""),
                errors("fleet:\n  redis: http://x:6379\n"));
        assertEquals(List.of("stapled.yaml:12 fleet.redis: the URL's path must be a database number like /0, got \"redis://x/db\""),
                errors("fleet:\n  redis: redis://x/db\n"));
        assertEquals(1, errors("fleet:\n  node_name: a\n").size());
        assertTrue(errors("fleet:\n  node_name: a\n").get(0).startsWith("stapled.yaml:12 fleet.redis: "));
        assertEquals(List.of("stapled.yaml:12 fleet.redis: put credentials in fleet.username and fleet.password"
                        + " (or password_file), not in the URL"),
                errors("fleet:\n  redis: redis://u:p@x:6379/0\n"));
        assertEquals(List.of("stapled.yaml:14 fleet.password_file: give password or password_file, not both"),
                errors("fleet:\n  redis: redis://x\n  password: a\n  password_file: stapled.yaml\n"));
        assertEquals(List.of("stapled.yaml:13 fleet.password_file: file not found: " + dir.resolve("nope")),
                errors("fleet:\n  redis: redis://x\n  password_file: nope\n"));
        assertEquals(List.of("stapled.yaml:13 fleet.lease: lease must be between 500ms and 10m, got 100ms"),
                errors("fleet:\n  redis: redis://x\n  lease: 100ms\n"));
        assertEquals(List.of("stapled.yaml:13 fleet.ca_file: ca_file is for rediss:// (TLS) only; fleet.redis is redis://"),
                errors("fleet:\n  redis: redis://x\n  ca_file: stapled.yaml\n"));
        TestPki.write(dir.resolve("ca.pem"), TestPki.ROOT.certificatePem());
        assertEquals(dir.resolve("ca.pem"), load("fleet:\n  redis: rediss://x\n  ca_file: ca.pem\n").fleet().caFile());
        assertEquals(List.of("stapled.yaml:13 fleet.ca_file: " + dir.resolve("stapled.yaml")
                        + " holds no PEM certificate (No certificate data found)"),
                errors("fleet:\n  redis: rediss://x\n  ca_file: stapled.yaml\n"));
        assertEquals(List.of("stapled.yaml:13 fleet.leese: unknown key \"leese\", did you mean \"lease\"?"),
                errors("fleet:\n  redis: redis://x\n  leese: 1s\n"));
    }

    @Test
    void bindsASentinelSection() {
        FleetConfig f = load("""
                fleet:
                  sentinel:
                    master: mymaster
                    nodes: [10.0.0.1:26379, "sentinel-2.internal:26380"]
                    database: 3
                    username: watcher
                    password: w
                  password: m
                """).fleet();
        FleetConfig.Sentinel s = f.sentinel();
        assertEquals("mymaster", s.master());
        assertEquals(List.of(new HostPort("10.0.0.1", 26379), new HostPort("sentinel-2.internal", 26380)), s.nodes());
        assertEquals(3, f.database());
        assertEquals("watcher", s.username());
        assertEquals("w", s.password());
        assertEquals("m", f.password());
        assertEquals("sentinel://mymaster@10.0.0.1:26379,sentinel-2.internal:26380/3", f.url());
        assertNull(load("fleet:\n  redis: redis://x\n").fleet().sentinel());
    }

    @Test
    void sentinelMistakesAreErrorsAtTheirLine() {
        assertEquals(List.of("stapled.yaml:13 fleet.sentinel: give redis or sentinel, not both"),
                errors("fleet:\n  redis: redis://x\n  sentinel: { master: m, nodes: [a:1] }\n"));
        assertEquals(List.of("stapled.yaml:13 fleet.sentinel.master: missing required key"),
                errors("fleet:\n  sentinel:\n    nodes: [a:1]\n"));
        assertEquals(List.of("stapled.yaml:13 fleet.sentinel.nodes: missing required key"),
                errors("fleet:\n  sentinel:\n    master: m\n"));
        assertEquals(List.of("stapled.yaml:14 fleet.sentinel.nodes: sentinel.nodes needs at least one host:port"),
                errors("fleet:\n  sentinel:\n    master: m\n    nodes: []\n"));
        assertEquals(1, errors("fleet:\n  sentinel:\n    master: m\n    nodes: [a]\n").size());
        assertTrue(errors("fleet:\n  sentinel:\n    master: m\n    nodes: [a]\n").get(0)
                .startsWith("stapled.yaml:14 fleet.sentinel.nodes[0]: expected host:port"),
                errors("fleet:\n  sentinel:\n    master: m\n    nodes: [a]\n").toString());
        assertEquals(List.of("stapled.yaml:14 fleet.sentinel.nodes[0]: a sentinel needs a host, got \":26379\""),
                errors("fleet:\n  sentinel:\n    master: m\n    nodes: [\":26379\"]\n"));
        assertEquals(List.of("stapled.yaml:15 fleet.sentinel.username: a sentinel username needs sentinel.password"),
                errors("fleet:\n  sentinel:\n    master: m\n    nodes: [a:1]\n    username: u\n"));
        assertEquals(List.of("stapled.yaml:13 fleet.ca_file: ca_file is for rediss:// (TLS) only; TLS through Sentinel is not supported"),
                errors("fleet:\n  sentinel: { master: m, nodes: [a:1] }\n  ca_file: stapled.yaml\n"));
    }
}
