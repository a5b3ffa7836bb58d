package io.stapled.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.netty.util.ResourceLeakDetector;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import picocli.CommandLine;

/** The {@code stapled} command line as a user runs it: exit codes and the lines printed. */
class CommandLineTest {
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

    @Test
    void versionNamesBoringSsl() {
        assertEquals(0, run("--version"));
        assertTrue(out.toString().contains("stapled "), out.toString());
        assertTrue(out.toString().contains("BoringSSL"), out.toString());
    }

    @Test
    void leakDetectionStaysAsTheOperatorAsked() {
        // surefire runs the tests with -Dio.netty.leakDetection.level=paranoid: an explicit level wins
        assertEquals("paranoid", System.getProperty("io.netty.leakDetection.level"));
        Main.leakDetectionOffUnlessAsked();
        assertEquals(ResourceLeakDetector.Level.PARANOID, ResourceLeakDetector.getLevel());
    }

    @Test
    void helpListsTheCommands() {
        assertEquals(0, run("--help"));
        for (String command : new String[] {"run", "check", "demo"}) {
            assertTrue(out.toString().contains(command), out.toString());
        }
    }

    @Test
    void checkAcceptsAGoodConfigAndLoadsItsCertificates() throws Exception {
        IssuedCertificate root = CertificateBuilder.subject("CN=root").ca().build();
        CertificateBuilder.subject("CN=ok.test").issuer(root).dnsNames("ok.test").build()
                .writeBundle(dir.resolve("certs/ok.pem"));
        Path config = writeConfig("crt: certs/ok.pem");
        assertEquals(0, run("check", "--config", config.toString()), err.toString());
        assertTrue(out.toString().contains("OK (1 frontend(s), 1 certificate(s), 1 backend(s))"), out.toString());
    }

    @Test
    void checkReportsConfigErrorsWithFileLineAndKeyPath() throws Exception {
        Path config = dir.resolve("stapled.yaml");
        Files.writeString(config, """
                frontends:
                  - name: https
                    bind: localhost
                    backend: app
                    certificates:
                      - crt: missing.pem
                backends:
                  - name: app
                    servers:
                      - { name: a, address: 127.0.0.1:8080 }
                """);
        assertEquals(1, run("check", "--config", config.toString()));
        assertTrue(err.toString().contains("stapled.yaml:3 frontends[0].bind:"), err.toString());
        assertTrue(err.toString().contains("stapled.yaml:6 frontends[0].certificates[0].crt:"), err.toString());
    }

    @Test
    void checkRefusesAKeyThatDoesNotMatchItsCertificate() throws Exception {
        IssuedCertificate root = CertificateBuilder.subject("CN=root").ca().build();
        IssuedCertificate a = CertificateBuilder.subject("CN=a.test").issuer(root).dnsNames("a.test").build();
        IssuedCertificate b = CertificateBuilder.subject("CN=b.test").issuer(root).dnsNames("b.test").build();
        Files.createDirectories(dir.resolve("certs"));
        Files.writeString(dir.resolve("certs/a.pem"), a.chainPem() + b.privateKeyPem());
        Path config = writeConfig("crt: certs/a.pem");
        assertEquals(1, run("check", "--config", config.toString()));
        String line = err.toString().strip();
        assertEquals(1, line.lines().count(), "one clear line: " + line);
        assertTrue(line.contains("a.pem"), line);
        assertTrue(line.toLowerCase().contains("match"), line);
    }

    @Test
    void checkRefusesACertificateWithAnOcspUrlButNoIssuer() throws Exception {
        IssuedCertificate root = CertificateBuilder.subject("CN=root").ca().build();
        IssuedCertificate leaf = CertificateBuilder.subject("CN=a.test").issuer(root).dnsNames("a.test")
                .ocspUrl("http://127.0.0.1:1/").build();
        Files.createDirectories(dir.resolve("certs"));
        Files.writeString(dir.resolve("certs/a.pem"), leaf.certificatePem() + leaf.privateKeyPem());
        Path config = writeConfig("crt: certs/a.pem");
        assertEquals(1, run("check", "--config", config.toString()));
        assertTrue(err.toString().contains("missing issuer"), err.toString());
        assertTrue(err.toString().contains("a.pem.issuer"), err.toString());
    }

    private Path writeConfig(String certificate) throws Exception {
        Path config = dir.resolve("stapled.yaml");
        Files.writeString(config, """
                frontends:
                  - name: https
                    bind: 127.0.0.1:0
                    backend: app
                    certificates:
                      - %s
                backends:
                  - name: app
                    servers:
                      - { name: a, address: 127.0.0.1:8080 }
                """.formatted(certificate));
        return config;
    }
}
