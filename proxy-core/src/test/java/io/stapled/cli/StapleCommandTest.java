package io.stapled.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.config.AdminHttpConfig;
import io.stapled.config.CertificateSource;
import io.stapled.config.HostPort;
import io.stapled.config.StapleConfig;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import picocli.CommandLine;

/** {@code stapled staple} as a user types it: what the options become, and the errors. */
class StapleCommandTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    private static StapleConfig parse(String... args) {
        StapleCommand command = new StapleCommand();
        new CommandLine(command).parseArgs(args);
        return command.config();
    }

    @Test
    void theOptionsBecomeTheConfig() {
        StapleConfig c = parse("--dir", "/etc/haproxy/certs", "--crt-list", "/etc/haproxy/list.txt",
                "--crt-list", "/etc/haproxy/more.txt", "--crt-base", "/etc/haproxy/ssl",
                "--haproxy-socket", "/run/haproxy/admin.sock", "--interval", "1h", "--responder", "http://ocsp.test/",
                "--on-change", "nginx -s 'reload'", "--on-change-timeout", "10s", "--push-timeout", "2s",
                "--admin-http", "127.0.0.1:9100", "--ready-min-staple-validity", "2h", "--load-extra-del-ext",
                "--log-level", "debug", "--rescan", "10s");
        assertEquals(List.of(
                new CertificateSource.Directory(Path.of("/etc/haproxy/certs"), CertificateSource.OcspOptions.DEFAULT),
                new CertificateSource.CrtList(Path.of("/etc/haproxy/list.txt"), CertificateSource.OcspOptions.DEFAULT,
                        null, Path.of("/etc/haproxy/ssl")),
                new CertificateSource.CrtList(Path.of("/etc/haproxy/more.txt"), CertificateSource.OcspOptions.DEFAULT,
                        null, Path.of("/etc/haproxy/ssl"))), c.certificates());
        assertEquals(Path.of("/run/haproxy/admin.sock"), c.haproxySocket());
        assertEquals(Duration.ofHours(1), c.ocsp().settings().maxRefresh());
        assertEquals(Duration.ofMinutes(5), c.ocsp().settings().minRefresh());
        assertEquals(URI.create("http://ocsp.test/"), c.ocsp().settings().responderOverride());
        assertEquals(List.of("nginx", "-s", "reload"), c.onChange());
        assertEquals(Duration.ofSeconds(10), c.onChangeTimeout());
        assertEquals(Duration.ofSeconds(2), c.pushTimeout());
        assertEquals(new AdminHttpConfig(new HostPort("127.0.0.1", 9100), true, Duration.ofHours(2)), c.adminHttp());
        assertTrue(c.files().deleteExtension());
        assertEquals("debug", c.logLevel());
        assertEquals(Duration.ofSeconds(10), c.rescan());
    }

    @Test
    void theDefaultsAreTheEngine() {
        StapleConfig c = parse("--dir", "certs");
        assertNull(c.haproxySocket());
        assertEquals(List.of(), c.onChange());
        assertNull(c.adminHttp());
        assertEquals(Duration.ofDays(1), c.ocsp().settings().maxRefresh());
        assertEquals(Duration.ofSeconds(5), c.ocsp().startupWait());
        assertTrue(c.ocsp().settings().persist());
        assertEquals(Duration.ofMinutes(1), c.rescan());
    }

    @Test
    void anIntervalUnderTheMinimumRefreshLowersIt() {
        StapleConfig c = parse("--dir", "certs", "--interval", "1m");
        assertEquals(Duration.ofMinutes(1), c.ocsp().settings().minRefresh());
        assertEquals(Duration.ofMinutes(1), c.ocsp().settings().maxRefresh());
    }

    @Test
    void helpListsStaple() {
        assertEquals(0, run("--help"));
        assertTrue(out.toString().contains("staple"), out.toString());
        assertEquals(0, run("staple", "--help"));
        assertTrue(out.toString().contains("--haproxy-socket"), out.toString());
    }

    @Test
    void usageErrorsSayWhatIsWrong() {
        assertEquals(2, run("staple"));
        assertTrue(err.toString().contains("give at least one --dir or --crt-list"), err.toString());
        assertEquals(2, run("staple", "--dir", "certs", "--on-change", "sh -c 'oops"));
        assertTrue(err.toString().contains("--on-change: unclosed ' in: sh -c 'oops"), err.toString());
        assertEquals(2, run("staple", "--dir", "certs", "--interval", "10"));
        assertTrue(err.toString().contains("a duration needs a unit"), err.toString());
        assertEquals(2, run("staple", "--dir", "certs", "--admin-http", "0.0.0.0:9100"));
        assertTrue(err.toString().contains("--admin-http must be a loopback address"), err.toString());
    }

    @Test
    void aDirectoryWithoutCertificatesStopsStartUpInOneLine() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertEquals(1, run("staple", "--dir", empty.toString()));
        assertEquals("stapled: " + empty + ": directory holds no certificate file\n", err.toString());
    }

    @Test
    void certificatesWithoutAResponderStopStartUp() {
        IssuedCertificate root = CertificateBuilder.subject("CN=root").ca().build();
        CertificateBuilder.subject("CN=plain.test").issuer(root).dnsNames("plain.test").build()
                .writeBundle(dir.resolve("certs/plain.pem"));
        assertEquals(1, run("staple", "--dir", dir.resolve("certs").toString()));
        assertTrue(err.toString().startsWith("stapled: none of the 1 certificate(s) in " + dir.resolve("certs")
                + " can be fetched (no OCSP responder URL"), err.toString());
    }

    @Test
    void aCertificateWhoseIssuerCannotBeFoundIsRefusedAsTheProxyRefusesIt() {
        IssuedCertificate root = CertificateBuilder.subject("CN=root").ca().build();
        IssuedCertificate ca = CertificateBuilder.subject("CN=ca").issuer(root).ca().build();
        IssuedCertificate leaf = CertificateBuilder.subject("CN=lone.test").issuer(ca).dnsNames("lone.test")
                .ocspUrl("http://127.0.0.1:1/").build();
        io.stapled.testkit.TestPki.write(dir.resolve("certs/lone.pem"), leaf.certificatePem() + leaf.privateKeyPem());
        assertEquals(1, run("staple", "--dir", dir.resolve("certs").toString()));
        assertTrue(err.toString().contains("lone.pem: missing issuer certificate for OCSP"), err.toString());
    }

    @Test
    void aConfigFileTakesThePlaceOfTheOptions() throws Exception {
        io.stapled.testkit.TestPki.directory(dir.resolve("certs"));
        Path file = io.stapled.testkit.TestPki.write(dir.resolve("staple.yaml"), """
                staple:
                  certificates: [ { dir: certs } ]
                  haproxy_socket: /run/haproxy/admin.sock
                """);
        StapleConfig c = parse("--config", file.toString());
        assertEquals(List.of(new CertificateSource.Directory(dir.resolve("certs"), CertificateSource.OcspOptions.DEFAULT)),
                c.certificates());
        assertEquals(Path.of("/run/haproxy/admin.sock"), c.haproxySocket());

        assertEquals(2, run("staple", "--config", file.toString(), "--dir", "other"));
        assertTrue(err.toString().contains("--config takes everything from the file"), err.toString());
    }

    @Test
    void aConfigFileErrorIsReportedAtItsLine() throws Exception {
        Path file = io.stapled.testkit.TestPki.write(dir.resolve("bad.yaml"), "staple:\n  certificates: [ { dir: nowhere } ]\n");
        assertEquals(1, run("staple", "-c", file.toString()));
        assertEquals("stapled: " + file + ":2 staple.certificates[0].dir: directory not found: " + dir.resolve("nowhere") + "\n", err.toString());
    }

    @Test
    void aFleetConfigFileJoinsTheFleetBesideTheOptions() throws Exception {
        Path fleet = io.stapled.testkit.TestPki.write(dir.resolve("fleet.yaml"), """
                fleet:
                  redis: redis://10.0.0.5:6379/1
                  node_name: haproxy-2
                """);
        StapleConfig c = parse("--dir", "certs", "--fleet-config", fleet.toString());
        assertEquals("redis://10.0.0.5:6379/1", c.fleet().url());
        assertEquals("haproxy-2", c.fleet().nodeName());
        assertEquals(null, parse("--dir", "certs").fleet());

        Path bad = io.stapled.testkit.TestPki.write(dir.resolve("bad-fleet.yaml"), "fleet:\n  redis: http://x\n");
        assertEquals(1, run("staple", "--dir", "certs", "--fleet-config", bad.toString()));
        assertTrue(err.toString().contains(bad + ":2 fleet.redis: expected a redis:// or rediss:// URL"), err.toString());

        Path file = io.stapled.testkit.TestPki.write(dir.resolve("staple.yaml"), "staple: {}\n");
        assertEquals(2, run("staple", "--config", file.toString(), "--fleet-config", fleet.toString()));
        assertTrue(err.toString().contains("--fleet-config (its fleet: section) there"), err.toString());
    }
}
