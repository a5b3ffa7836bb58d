package io.stapled.haproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.stapled.config.ConfigLoader;
import io.stapled.config.StapledConfig;
import io.stapled.server.ConfigCheck;
import io.stapled.testing.Crls;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.Yaml;

/**
 * HAProxy configurations as its docs and common deployments write them (test resources
 * {@code haproxy-import/*.cfg}), with their certificates made at run time: each converts, and its YAML
 * passes {@code stapled check} (ConfigCheck: the config and every certificate, key, crt-list and CRL
 * loaded). The one using keys other helpers are building has its YAML asserted instead.
 */
class RealWorldConfigsTest {
    @TempDir
    static Path dir;
    private static Map<String, String> env;

    @BeforeAll
    static void pki() throws IOException {
        Path certs = Files.createDirectories(dir.resolve("certs"));
        Files.createDirectories(dir.resolve("run"));
        IssuedCertificate root = CertificateBuilder.subject("CN=import root").ca().build();
        CertificateBuilder.subject("CN=example.com").issuer(root)
                .dnsNames("example.com", "www.example.com", "api.example.com", "static.example.com",
                        "cdn.example.com", "legacy.example.com").build().writeBundle(certs.resolve("site.pem"));
        CertificateBuilder.subject("CN=shop.example.com").issuer(root).dnsNames("shop.example.com").build()
                .writeBundle(certs.resolve("shop.pem"));
        Files.writeString(certs.resolve("crt-list.txt"), """
                site.pem [alpn h2,http/1.1 ssl-min-ver TLSv1.2] www.example.com example.com
                shop.pem shop.example.com
                """);
        IssuedCertificate clients = CertificateBuilder.subject("CN=client CA").ca().build();
        Files.writeString(certs.resolve("clients.pem"), clients.certificatePem());
        Crls.write(certs.resolve("clients.crl"), clients, List.of(BigInteger.valueOf(7)));
        env = Map.of("CERTS", certs.toString(), "RUN", dir.resolve("run").toString());
    }

    static String resource(String name) throws IOException {
        try (InputStream in = RealWorldConfigsTest.class.getResourceAsStream("/haproxy-import/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static HaproxyImporter.Result convert(String name, Map<String, String> env) throws IOException {
        return HaproxyImporter.convert(HaproxyParser.parse(resource(name), name, env), name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"edge.cfg", "host-routing.cfg", "headers.cfg", "crt-list.cfg", "mtls.cfg",
            "proxy-protocol.cfg"})
    void convertsAndPassesStapledCheck(String name) throws IOException {
        HaproxyImporter.Result r = convert(name, env);
        Path yaml = Files.writeString(dir.resolve(name + ".yaml"), r.yaml());
        StapledConfig cfg = ConfigLoader.load(yaml);
        String summary = ConfigCheck.verify(cfg);
        assertTrue(summary.contains("frontend"), summary);
    }

    @Test
    void edgeSkipsOnlyTheProcessLines() throws IOException {
        assertEquals(List.of("edge.cfg:4", "edge.cfg:5", "edge.cfg:8", "edge.cfg:9", "edge.cfg:10", "edge.cfg:17",
                "edge.cfg:20"), convert("edge.cfg", env).skipped().stream().map(Skipped::where).toList());
    }

    @Test
    @SuppressWarnings("unchecked")
    void hostRoutingTranslatesTheNegatedSourceAsAnException() throws IOException {
        HaproxyImporter.Result r = convert("host-routing.cfg", env);
        assertEquals(List.of(), r.skipped());
        Map<String, Object> fe = ((List<Map<String, Object>>) ((Map<String, Object>) new Yaml().load(r.yaml()))
                .get("frontends")).get(0);
        List<Map<String, Object>> routes = (List<Map<String, Object>>) fe.get("routes");
        assertEquals(Map.of("host", "admin.example.com", "source", List.of("10.0.0.0/8", "192.168.0.0/16"),
                "backend", "admin"), routes.get(1));
        assertEquals("forbidden", ((Map<String, Object>) routes.get(2).get("return")).get("body"));
    }

    @Test
    void proxyProtocolNotesTheTrustedSources() throws IOException {
        HaproxyImporter.Result r = convert("proxy-protocol.cfg", env);
        assertEquals(List.of(), r.skipped());
        assertTrue(r.notes().get(0).contains("trusted_sources"), r.notes().toString());
    }

    /** A line cut short anywhere (a value missing) is listed, never a crash. */
    @ParameterizedTest
    @ValueSource(strings = {"edge.cfg", "host-routing.cfg", "headers.cfg", "crt-list.cfg", "mtls.cfg",
            "proxy-protocol.cfg", "httpchk.cfg"})
    void truncatedLinesAreListedNotACrash(String name) throws IOException {
        String[] lines = resource(name).split("\n");
        for (int i = 0; i < lines.length; i++) {
            String[] words = lines[i].strip().split("\\s+");
            for (int keep = 1; keep < words.length; keep++) {
                String[] copy = lines.clone();
                copy[i] = "  " + String.join(" ", java.util.Arrays.copyOf(words, keep));
                HaproxyImporter.Result r = HaproxyImporter.convert(HaproxyParser.parse(String.join("\n", copy), name,
                        env), name);
                new Yaml().load(r.yaml());
            }
        }
    }

    /**
     * httpchk.cfg uses keys built in parallel (compression, after_response_headers, cookie,
     * max_connections/max_queue, queue_timeout, balance hdr/random, health_check method/host/expect_body):
     * its YAML is asserted until they are merged, then it joins {@link #convertsAndPassesStapledCheck}.
     */
    @Test
    @SuppressWarnings("unchecked")
    void httpchkWithKeysBuiltInParallel() throws IOException {
        HaproxyImporter.Result r = convert("httpchk.cfg", env);
        assertEquals(List.of(), r.skipped());
        Map<String, Object> y = new Yaml().load(r.yaml());
        Map<String, Object> fe = ((List<Map<String, Object>>) y.get("frontends")).get(0);
        assertEquals(Map.of("algorithms", List.of("gzip"), "types", List.of("text/html", "text/plain",
                "application/json")), fe.get("compression"));
        assertEquals(List.of(Map.of("set", "X-Edge", "value", "stapled")), fe.get("after_response_headers"));
        List<Map<String, Object>> bes = (List<Map<String, Object>>) y.get("backends");
        Map<String, Object> app = bes.get(0);
        assertEquals("hdr(X-Tenant)", app.get("balance"));
        assertEquals("10s", app.get("queue_timeout"));
        assertEquals(Map.of("name", "SRV", "mode", "insert", "nocache", true, "httponly", true, "secure", true),
                app.get("cookie"));
        assertEquals(Map.of("name", "app1", "address", "10.6.0.1:8080", "max_connections", 100, "max_queue", 50,
                "cookie", "a1"), ((List<Map<String, Object>>) app.get("servers")).get(0));
        assertEquals(Map.of("type", "http", "path", "/health", "method", "GET", "host", "app.example.com",
                "expect_status", 200, "interval", "3s", "rise", 2, "fall", 3, "timeout", "2s"),
                app.get("health_check"));
        Map<String, Object> api = bes.get(1);
        assertEquals("random", api.get("balance"));
        assertEquals(Map.of("type", "http", "path", "/ready", "method", "HEAD", "host", "api.example.com",
                "expect_body", "ready", "timeout", "2s"), api.get("health_check"));
    }
}
