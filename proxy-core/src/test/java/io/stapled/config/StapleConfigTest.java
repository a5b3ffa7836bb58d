package io.stapled.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.testkit.TestPki;

/** The file of {@code stapled staple --config}: what it binds to, and its errors at file:line key.path. */
class StapleConfigTest {
    @TempDir
    Path dir;

    private StapleConfig parse(String yaml) {
        return ConfigLoader.parseStaple(yaml, dir.resolve("staple.yaml"));
    }

    private String errors(String yaml) {
        return assertThrows(ConfigException.class, () -> parse(yaml)).getMessage();
    }

    @Test
    void bindsTheSectionsWithTheProxysMeanings() {
        TestPki.directory(dir.resolve("certs"));
        TestPki.crtList(dir.resolve("list.txt"));
        StapleConfig c = parse("""
                staple:
                  certificates:
                    - dir: certs
                    - crt_list: list.txt
                      ocsp: { responder: "http://ocsp.test/" }
                  haproxy_socket: admin.sock
                  on_change: sh -c 'echo "$STAPLED_CERT"'
                  on_change_timeout: 5s
                  push_timeout: 1s
                  rescan: 0s
                ocsp: { min_refresh: 1m, max_refresh: 2h }
                admin_http: { bind: "127.0.0.1:0" }
                global: { log_level: debug, load_extra_del_ext: true }
                """);
        assertEquals(List.of(new CertificateSource.Directory(dir.resolve("certs"), CertificateSource.OcspOptions.DEFAULT),
                new CertificateSource.CrtList(dir.resolve("list.txt"), new CertificateSource.OcspOptions(true,
                        java.net.URI.create("http://ocsp.test/")))), c.certificates());
        assertEquals(dir.resolve("admin.sock"), c.haproxySocket());
        assertEquals(List.of("sh", "-c", "echo \"$STAPLED_CERT\""), c.onChange());
        assertEquals(Duration.ofSeconds(5), c.onChangeTimeout());
        assertEquals(Duration.ofSeconds(1), c.pushTimeout());
        assertEquals(Duration.ZERO, c.rescan());
        assertEquals(Duration.ofHours(2), c.ocsp().settings().maxRefresh());
        assertEquals(new AdminHttpConfig(new HostPort("127.0.0.1", 0), true, Duration.ZERO), c.adminHttp(),
                "staples are the whole job: /readyz needs every one valid unless told otherwise");
        assertEquals("DEBUG", c.logLevel());
        assertEquals(true, c.files().deleteExtension());
    }

    @Test
    void aListOfWordsIsTheCommandAsIs() {
        TestPki.directory(dir.resolve("certs"));
        assertEquals(List.of("nginx", "-s", "reload"), parse("""
                staple:
                  certificates: [ { dir: certs } ]
                  on_change: [nginx, -s, reload]
                """).onChange());
    }

    @Test
    void errorsNameTheLineAndKey() {
        assertEquals("staple.yaml:1 staple: missing required key", errors("ocsp: { enabled: true }\n")
                .replace(dir + "/", ""));
        String e = errors("""
                staple:
                  certificates: [ { dir: nowhere } ]
                  on_change: "sh -c 'oops"
                  workers: 4
                global: { workers: 2 }
                """).replace(dir + "/", "");
        assertEquals(List.of(
                "staple.yaml:2 staple.certificates[0].dir: directory not found: nowhere",
                "staple.yaml:3 staple.on_change: unclosed ' in: sh -c 'oops",
                "staple.yaml:4 staple.workers: unknown key \"workers\" (known keys here: certificates, haproxy_socket,"
                        + " on_change, on_change_timeout, push_timeout, rescan)",
                "staple.yaml:5 global.workers: unknown key \"workers\" (known keys here: log_level, crt_base, key_base,"
                        + " load_extra_del_ext, issuers_chain_path)"), List.of(e.split("\n")));
    }

    @Test
    void takesTheProxysFleetSection() {
        TestPki.directory(dir.resolve("certs"));
        StapleConfig c = parse("""
                staple:
                  certificates: [ { dir: certs } ]
                fleet:
                  redis: redis://10.0.0.5:6380/2
                  node_name: haproxy-1
                  lease: 5s
                """);
        assertEquals("redis://10.0.0.5:6380/2", c.fleet().url());
        assertEquals("haproxy-1", c.fleet().nodeName());
        assertEquals(Duration.ofSeconds(5), c.fleet().lease());
        assertEquals(null, parse("staple:\n  certificates: [ { dir: certs } ]\n").fleet(), "no fleet: no fleet");
    }

    @Test
    void aFleetErrorIsTheProxysAndTicketKeysAreRefused() throws Exception {
        TestPki.directory(dir.resolve("certs"));
        java.nio.file.Files.writeString(dir.resolve("fleet.key"), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
        assertEquals(dir.resolve("staple.yaml") + ":4 fleet.redis: expected a redis:// or rediss:// URL, got "
                + "\"http://redis\"", errors("""
                staple:
                  certificates: [ { dir: certs } ]
                fleet:
                  redis: http://redis
                """).lines().filter(l -> l.contains("fleet")).findFirst().orElseThrow().strip());
        String ticket = errors("""
                staple:
                  certificates: [ { dir: certs } ]
                fleet:
                  redis: redis://127.0.0.1:6379/0
                  ticket_key_file: fleet.key
                """);
        org.junit.jupiter.api.Assertions.assertTrue(ticket.contains(dir.resolve("staple.yaml")
                + ":5 fleet.ticket_key_file: stapled staple has no TLS listeners"), ticket);
    }

    @Test
    void aFleetConfigFileHoldsTheFleetSectionOnly() {
        FleetConfig f = ConfigLoader.parseStapleFleet("fleet: { redis: rediss://redis.test/0, node_name: n1 }\n",
                dir.resolve("fleet.yaml"));
        assertEquals("rediss://redis.test:6379/0", f.url());
        String other = assertThrows(ConfigException.class, () -> ConfigLoader.parseStapleFleet(
                "fleet: { redis: redis://redis.test/0 }\nstaple: {}\n", dir.resolve("fleet.yaml"))).getMessage();
        org.junit.jupiter.api.Assertions.assertTrue(other.contains(dir.resolve("fleet.yaml") + ":2 staple: unknown key"),
                other);
        String none = assertThrows(ConfigException.class, () -> ConfigLoader.parseStapleFleet(
                "global: {}\n", dir.resolve("fleet.yaml"))).getMessage();
        org.junit.jupiter.api.Assertions.assertTrue(none.contains("fleet: missing required key"), none);
    }
}
