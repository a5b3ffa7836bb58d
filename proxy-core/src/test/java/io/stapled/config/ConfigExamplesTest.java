package io.stapled.config;

import io.stapled.config.BackendConfig.HealthCheckConfig;
import io.stapled.testkit.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every file in config-examples/ is documentation, so every one must load. Each is copied into a temp
 * directory; absolute paths ({@code /etc/...}, {@code /run/...}) are re-rooted under it; the certificate
 * files it names are created there as real PEMs; then it is loaded with file checks on.
 */
class ConfigExamplesTest {

    @TempDir
    Path sandbox;

    static Path examplesDirectory() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("config-examples");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("config-examples/ not found above " + Path.of("").toAbsolutePath());
    }

    /** The proxy's configs; the {@code staple-*.yaml} ones are {@code stapled staple --config} files. */
    static Stream<String> exampleNames() throws IOException {
        return allExampleNames().filter(n -> !n.startsWith("staple-"));
    }

    static Stream<String> stapleExampleNames() throws IOException {
        return allExampleNames().filter(n -> n.startsWith("staple-"));
    }

    static Stream<String> allExampleNames() throws IOException {
        try (Stream<Path> files = Files.list(examplesDirectory())) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".yaml")).sorted().toList()
                    .stream();
        }
    }

    @Test
    void theDocumentedExamplesAreThere() throws IOException {
        assertTrue(exampleNames().toList().containsAll(List.of("demo.yaml", "https-http-backend.yaml",
                "tcp-passthrough-after-tls.yaml", "haproxy-cert-dir.yaml", "edge-routing.yaml",
                "fleet.yaml")), exampleNames().toList().toString());
    }

    @Test
    void edgeRouting() throws IOException {
        StapledConfig c = loadInSandbox("edge-routing.yaml");
        assertEquals(List.of(), c.warnings());
        FrontendConfig http = c.frontends().get(0);
        assertTrue(http.plain());
        assertEquals(null, http.backend());
        assertEquals(new RouteAction.Redirect(RouteAction.Redirect.Kind.SCHEME, "https", 301, false),
                http.routing().fallback());
        assertEquals(List.of(new RouteCondition.PathPrefix(List.of("/.well-known/acme-challenge/"))),
                http.routing().routes().get(0).conditions());
        FrontendConfig https = c.frontends().get(1);
        assertEquals("app", https.backend());
        assertEquals(10, https.routing().routes().size());
        assertEquals(new RequestIdConfig("x-request-id", false), https.routing().requestId());
        assertEquals(10L << 20, https.routing().maxRequestBody());
        assertEquals(2, https.routing().headers().request().size());
        assertEquals(3, https.routing().headers().response().size(), "two deletes and the HSTS set");
        assertEquals(new PathRewrite("/legacy-api/", "/v1/"), https.routing().routes().get(4).pathRewrite());
        FrontendConfig imaps = c.frontends().get(2);
        assertEquals(FrontendConfig.Mode.TCP, imaps.mode());
        assertEquals(new RouteAction.UseBackend("imap-legacy"), imaps.routing().routes().get(0).action());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("exampleNames")
    void loadsWithFileChecksOn(String name) throws IOException {
        StapledConfig config = loadInSandbox(name);
        assertFalse(config.frontends().isEmpty());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stapleExampleNames")
    void stapleExamplesLoadWithFileChecksOn(String name) throws IOException {
        StapleConfig config = loadStapleInSandbox(name);
        assertFalse(config.certificates().isEmpty());
    }

    @Test
    void stapleHaproxy() throws IOException {
        StapleConfig c = loadStapleInSandbox("staple-haproxy.yaml");
        assertEquals(List.of(new CertificateSource.Directory(sandbox.resolve("etc/haproxy/certs"),
                        CertificateSource.OcspOptions.DEFAULT),
                new CertificateSource.CrtList(sandbox.resolve("etc/haproxy/crt-list.txt"),
                        CertificateSource.OcspOptions.DEFAULT)), c.certificates());
        assertEquals(sandbox.resolve("run/haproxy/admin.sock"), c.haproxySocket());
        assertEquals(List.of(), c.onChange());
        assertEquals(Duration.ofHours(12), c.ocsp().settings().maxRefresh());
        assertEquals(Duration.ofSeconds(10), c.ocsp().startupWait());
        assertEquals(new AdminHttpConfig(new HostPort("127.0.0.1", 9100), true, Duration.ofHours(1)), c.adminHttp());
    }

    @Test
    void stapleFleet() throws IOException {
        StapleConfig c = loadStapleInSandbox("staple-fleet.yaml");
        assertEquals(sandbox.resolve("run/haproxy/admin.sock"), c.haproxySocket());
        assertEquals("redis://redis.internal:6379/0", c.fleet().url());
        assertEquals(sandbox.resolve("etc/stapled/redis.pass"), c.fleet().passwordFile());
        assertEquals("haproxy-1", c.fleet().nodeName());
        assertEquals(null, c.fleet().ticketKeyFile());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allExampleNames")
    void opensWithACommentHeaderNamingItself(String name) throws IOException {
        String first = Files.readAllLines(examplesDirectory().resolve(name)).get(0);
        assertTrue(first.startsWith("# " + name + " — "), first);
    }

    @Test
    void demo() throws IOException {
        StapledConfig c = loadInSandbox("demo.yaml");
        FrontendConfig f = c.frontends().get(0);
        assertEquals("https", f.name());
        assertEquals(new HostPort("127.0.0.1", 8443), f.bind());
        assertEquals(FrontendConfig.Mode.HTTP, f.mode());
        assertEquals("demo", f.backend());
        assertEquals(List.of(new CertificateSource.Directory(sandbox.resolve("pki"),
                CertificateSource.OcspOptions.DEFAULT)), f.certificates());
        assertTrue(c.ocsp().settings().enabled());
        assertEquals(Duration.ofSeconds(5), c.ocsp().startupWait());
        BackendConfig b = c.backend("demo");
        assertEquals(List.of(new BackendConfig.ServerConfig("demo1", new HostPort("127.0.0.1", 8081), 1)),
                b.servers());
        assertEquals(HealthCheckConfig.Type.TCP, b.healthCheck().type());
        assertEquals(sandbox.resolve("stapled-admin.sock"), c.runtimeApi().socket());
        assertEquals(new HostPort("127.0.0.1", 9100), c.adminHttp().bind());
    }

    @Test
    void httpsHttpBackend() throws IOException {
        StapledConfig c = loadInSandbox("https-http-backend.yaml");
        FrontendConfig f = c.frontends().get(0);
        assertEquals(new HostPort("0.0.0.0", 443), f.bind());
        assertEquals(2, f.certificates().size());
        BackendConfig b = c.backend("app");
        assertEquals(BackendConfig.Balance.ROUNDROBIN, b.balance());
        assertEquals(2, b.servers().size());
        assertEquals(HealthCheckConfig.Type.HTTP, b.healthCheck().type());
        assertEquals("/healthz", b.healthCheck().path());
        assertEquals(List.of("10.0.0.0/8"), f.http().trustedUpstreams());
    }

    @Test
    void tcpPassthroughAfterTls() throws IOException {
        StapledConfig c = loadInSandbox("tcp-passthrough-after-tls.yaml");
        for (FrontendConfig f : c.frontends()) {
            assertEquals(FrontendConfig.Mode.TCP, f.mode(), f.name());
            assertEquals(List.of(), f.tls().alpn(), f.name());
        }
        for (BackendConfig b : c.backends()) {
            assertEquals(BackendConfig.Balance.LEASTCONN, b.balance(), b.name());
        }
        assertTrue(c.ocsp().settings().mustStapleRequired());
    }

    @Test
    void mtlsAndBackendTls() throws IOException {
        StapledConfig c = loadInSandbox("mtls-and-backend-tls.yaml");
        assertEquals(ClientAuthConfig.Mode.NONE, c.frontends().get(0).tls().clientAuth().mode());
        ClientAuthConfig partners = c.frontends().get(1).tls().clientAuth();
        assertEquals(ClientAuthConfig.Mode.REQUIRED, partners.mode());
        assertEquals(sandbox.resolve("etc/stapled/partner.crl"), partners.crlFile());
        assertEquals(ClientAuthConfig.OcspMode.SOFT, partners.ocsp());
        for (BackendConfig.ServerConfig s : c.backend("app").servers()) {
            assertEquals(new BackendTlsConfig(true, sandbox.resolve("etc/stapled/internal-ca.pem"), "app.internal",
                    List.of("http/1.1"), sandbox.resolve("etc/stapled/stapled-client.pem"),
                    sandbox.resolve("etc/stapled/stapled-client.pem")), s.tls(), s.name());
        }
    }

    @Test
    void haproxyCertDir() throws IOException {
        StapledConfig c = loadInSandbox("haproxy-cert-dir.yaml");
        assertEquals(List.of(new CertificateSource.Directory(sandbox.resolve("etc/haproxy/certs"),
                CertificateSource.OcspOptions.DEFAULT)), c.frontends().get(0).certificates());
        assertEquals(List.of(new CertificateSource.CrtList(sandbox.resolve("etc/haproxy/crt-list.txt"),
                CertificateSource.OcspOptions.DEFAULT)), c.frontends().get(1).certificates());
        assertTrue(c.ocsp().settings().persist());
        assertTrue(c.ocsp().settings().watchFiles());
        assertEquals("admin", c.runtimeApi().level());
        assertEquals(List.of("h2", "http/1.1"), c.frontends().get(0).tls().alpn());
        assertEquals(100, c.frontends().get(0).http2().maxConcurrentStreams());
    }

    private StapleConfig loadStapleInSandbox(String name) throws IOException {
        Path file = rerooted(name);
        StapleConfig unchecked = ConfigLoader.parseStaple(Files.readString(file), file,
                ConfigLoader.Option.SKIP_FILE_CHECKS);
        for (CertificateSource source : unchecked.certificates()) {
            if (source instanceof CertificateSource.Directory dir) {
                TestPki.directory(inSandbox(dir.dir()));
            } else if (source instanceof CertificateSource.CrtList list) {
                TestPki.crtList(inSandbox(list.file()));
            } else if (source instanceof CertificateSource.File crt) {
                TestPki.bundle(inSandbox(crt.crt()));
            }
        }
        FleetConfig fleet = unchecked.fleet();
        if (fleet != null && fleet.passwordFile() != null) {
            TestPki.write(inSandbox(fleet.passwordFile()), "secret\n");
        }
        return ConfigLoader.loadStaple(file);
    }

    private Path rerooted(String name) throws IOException {
        String text = Files.readString(examplesDirectory().resolve(name));
        String rerooted = text.replaceAll("(?m)(:\\s+)/(etc|run|var)/",
                "$1" + Matcher.quoteReplacement(sandbox.toString()) + "/$2/");
        return TestPki.write(sandbox.resolve(name), rerooted);
    }

    private StapledConfig loadInSandbox(String name) throws IOException {
        String text = Files.readString(examplesDirectory().resolve(name));
        String rerooted = text.replaceAll("(?m)(:\\s+)/(etc|run|var)/",
                "$1" + Matcher.quoteReplacement(sandbox.toString()) + "/$2/");
        Path file = TestPki.write(sandbox.resolve(name), rerooted);

        StapledConfig unchecked = ConfigLoader.load(file, ConfigLoader.Option.SKIP_FILE_CHECKS);
        for (FrontendConfig f : unchecked.frontends()) {
            for (CertificateSource source : f.certificates()) {
                if (source instanceof CertificateSource.File crt) {
                    TestPki.bundle(inSandbox(crt.crt()));
                    if (crt.key() != null) {
                        TestPki.key(inSandbox(crt.key()));
                    }
                } else if (source instanceof CertificateSource.Directory dir) {
                    TestPki.directory(inSandbox(dir.dir()));
                } else if (source instanceof CertificateSource.CrtList list) {
                    TestPki.crtList(inSandbox(list.file()));
                }
            }
            if (f.defaultCertificate() != null && !Files.exists(Path.of(f.defaultCertificate()))) {
                TestPki.bundle(inSandbox(Path.of(f.defaultCertificate())));
            }
            ClientAuthConfig auth = f.plain() ? ClientAuthConfig.NONE : f.tls().clientAuth();
            if (auth.caFile() != null) {
                TestPki.write(inSandbox(auth.caFile()), TestPki.ROOT.certificatePem());
            }
            if (auth.crlFile() != null) {
                io.stapled.testing.Crls.write(inSandbox(auth.crlFile()), TestPki.ROOT, List.of());
            }
        }
        for (BackendConfig b : unchecked.backends()) {
            for (BackendConfig.ServerConfig server : b.servers()) {
                BackendTlsConfig tls = server.tls();
                if (tls != null && tls.caFile() != null) {
                    TestPki.write(inSandbox(tls.caFile()), TestPki.ROOT.certificatePem());
                }
                if (tls != null && tls.clientCertificate() != null) {
                    TestPki.bundle(inSandbox(tls.clientCertificate()));
                }
            }
        }
        FleetConfig fleet = unchecked.fleet();
        if (fleet != null) {
            if (fleet.caFile() != null) {
                TestPki.write(inSandbox(fleet.caFile()), TestPki.ROOT.certificatePem());
            }
            for (Path secret : new Path[] {fleet.passwordFile(), fleet.ticketKeyFile()}) {
                if (secret != null) {
                    TestPki.write(inSandbox(secret), "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=\n");
                }
            }
        }
        return ConfigLoader.load(file);
    }

    @Test
    void fleet() throws IOException {
        FleetConfig f = loadInSandbox("fleet.yaml").fleet();
        assertEquals("rediss://redis.internal:6380/0", f.url());
        assertEquals("stapled", f.username());
        assertEquals(sandbox.resolve("etc/stapled/redis.pass"), f.passwordFile());
        assertEquals("edge:", f.keyPrefix());
        assertEquals("edge-1", f.nodeName());
        assertEquals(Duration.ofSeconds(30), f.lease());
        assertEquals(sandbox.resolve("etc/stapled/fleet.key"), f.ticketKeyFile());
    }

    /** Never write outside the sandbox, whatever an example says. */
    private Path inSandbox(Path p) {
        assertTrue(p.startsWith(sandbox), p + " is outside the sandbox " + sandbox);
        return p;
    }
}
