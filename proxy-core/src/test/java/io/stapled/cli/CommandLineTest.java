package io.stapled.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.util.ResourceLeakDetector;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.pki.KeyPairs;
import io.stapled.testing.SpecialFiles;
import org.slf4j.LoggerFactory;
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
    void checkAcceptsAPlainFrontendAndPrintsAShadowedRouteAsAWarning() throws Exception {
        Path config = dir.resolve("stapled.yaml");
        Files.writeString(config, """
                frontends:
                  - name: http
                    bind: 127.0.0.1:0
                    tls: false
                    routes:
                      - redirect: { scheme: https }
                      - path: /never
                        backend: app
                backends:
                  - name: app
                    servers:
                      - { name: a, address: 127.0.0.1:8080 }
                """);
        assertEquals(0, run("check", "--config", config.toString()), err.toString());
        assertTrue(out.toString().contains("OK (1 frontend(s), 0 certificate(s), 1 backend(s))"), out.toString());
        assertEquals("warning: " + config + ":7 frontends[0].routes[1]: this route can never match: the route on "
                + "line 6 has no conditions and matches every request first\n", err.toString().replace("\r", ""));
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
        assertEquals("stapled: " + config + ":6 frontends[0].certificates[0].crt: " + dir.resolve("certs/a.pem")
                + ": the private key does not match the certificate", line, "the form of every config error");
    }

    @Test
    @Timeout(30)
    void checkAndRunRefuseADeviceOrAFifoAsTheConfigAtOnce() {
        assertEquals(1, run("check", "--config", "/dev/zero"));
        assertEquals("stapled: /dev/zero file is a character device, not a regular file\n", err.toString());
        Path fifo = SpecialFiles.fifo(dir.resolve("stapled.yaml"));
        assertOneLine(1, "stapled: " + fifo + " file is a FIFO, not a regular file", "check", "--config", fifo.toString());
        assertOneLine(1, "stapled: " + fifo + " file is a FIFO, not a regular file", "run", "--config", fifo.toString());
        assertOneLine(1, "stapled: /dev/zero file is a character device, not a regular file",
                "run", "--config", "/dev/zero");
    }

    @Test
    @Timeout(30)
    void checkRefusesADeviceOrAFifoAsCertificateKeyOrCrtList() throws Exception {
        Path fifo = SpecialFiles.fifo(dir.resolve("certs/fifo.pem"));
        Path config = writeConfig("crt: certs/fifo.pem");
        assertOneLine(1, "stapled: " + config + ":6 frontends[0].certificates[0].crt: expected a regular file, got a FIFO: "
                + fifo, "check", "--config", config.toString());

        IssuedCertificate root = CertificateBuilder.subject("CN=root").ca().build();
        IssuedCertificate ok = CertificateBuilder.subject("CN=ok.test").issuer(root).dnsNames("ok.test").build();
        Path chain = dir.resolve("certs/ok.pem");
        Files.writeString(chain, ok.chainPem());
        config = writeConfig("{ crt: certs/ok.pem, key: /dev/zero }");
        assertOneLine(1, "stapled: " + config + ":6 frontends[0].certificates[0].key: expected a regular file, got a "
                + "character device: /dev/zero", "check", "--config", config.toString());

        config = writeConfig("crt_list: certs/fifo.pem");
        assertOneLine(1, "stapled: " + config + ":6 frontends[0].certificates[0].crt_list: expected a regular file, got a "
                + "FIFO: " + fifo, "check", "--config", config.toString());

        Path list = dir.resolve("certs/list.txt");
        Files.writeString(list, "/dev/zero\n");
        config = writeConfig("crt_list: certs/list.txt");
        assertOneLine(1, "stapled: " + config + ":6 frontends[0].certificates[0].crt_list: " + list + ":1: /dev/zero: "
                + "not a regular file (a character device)", "check", "--config", config.toString());

        ok.writeBundle(chain);
        Path ocsp = SpecialFiles.fifo(dir.resolve("certs/ok.pem.ocsp"));
        config = writeConfig("crt: certs/ok.pem");
        assertOneLine(1, "stapled: " + config + ":6 frontends[0].certificates[0].crt: " + ocsp + ": not a regular file "
                + "(a FIFO)", "check", "--config", config.toString());
    }

    @Test
    void checkAcceptsAnExpiredOrWeakCertificateWithAWarningAndRefusesACaAsLeaf() throws Exception {
        IssuedCertificate root = CertificateBuilder.subject("CN=root").ca().build();
        Instant now = Instant.now();
        CertificateBuilder.subject("CN=old.test").issuer(root).dnsNames("old.test")
                .validity(now.minus(Duration.ofDays(60)), now.minus(Duration.ofDays(1))).build()
                .writeBundle(dir.resolve("certs/old.pem"));
        CertificateBuilder.subject("CN=weak.test").issuer(root).dnsNames("weak.test").keyPair(KeyPairs.rsa(1024))
                .build().writeBundle(dir.resolve("certs/weak.pem"));
        Logger logger = (Logger) LoggerFactory.getLogger(io.stapled.tls.CertificateAssembly.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            Path config = writeConfig("dir: certs");
            assertEquals(0, run("check", "--config", config.toString()), err.toString());
            List<String> warnings = appender.list.stream().filter(e -> e.getLevel() == Level.WARN)
                    .map(ILoggingEvent::getFormattedMessage).toList();
            assertEquals(2, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).startsWith("certificate " + dir.resolve("certs/old.pem")
                    + ": the certificate expired at "), warnings.get(0));
            assertEquals("certificate " + dir.resolve("certs/weak.pem") + ": the RSA key has 1024 bits, under 2048; "
                    + "clients may refuse it", warnings.get(1));
        } finally {
            logger.detachAppender(appender);
        }
        Files.writeString(dir.resolve("certs/root.pem"), root.certificatePem() + root.privateKeyPem());
        Path config = writeConfig("crt: certs/root.pem");
        assertEquals(1, run("check", "--config", config.toString()));
        assertTrue(err.toString().startsWith("stapled: " + config + ":6 frontends[0].certificates[0].crt: "
                + dir.resolve("certs/root.pem") + ": the certificate of the private key is a CA certificate"), err.toString());
    }

    private void assertOneLine(int exitCode, String line, String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        assertEquals(exitCode, run(args), err.toString());
        assertEquals(line + "\n", err.toString().replace(System.lineSeparator(), "\n"));
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
