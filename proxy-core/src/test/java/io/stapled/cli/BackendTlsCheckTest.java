package io.stapled.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code stapled check} builds the TLS contexts to backend servers and the client CA of a frontend. */
class BackendTlsCheckTest {
    @TempDir
    Path dir;

    private final StringWriter err = new StringWriter();

    private int check(String backendTls, String clientAuth) throws Exception {
        IssuedCertificate root = CertificateBuilder.subject("CN=root").ca().build();
        CertificateBuilder.subject("CN=a.test").issuer(root).dnsNames("a.test").build()
                .writeBundle(dir.resolve("a.pem"));
        Files.writeString(dir.resolve("ca.pem"), root.certificatePem());
        Files.writeString(dir.resolve("garbage.pem"), "not a certificate\n");
        Path config = dir.resolve("stapled.yaml");
        Files.writeString(config, """
                frontends:
                  - name: https
                    bind: 127.0.0.1:0
                    backend: app
                    tls: { client_auth: %s }
                    certificates: [ { crt: a.pem } ]
                backends:
                  - name: app
                    servers:
                      - { name: s1, address: 127.0.0.1:8443, tls: %s }
                """.formatted(clientAuth, backendTls));
        err.getBuffer().setLength(0);
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(new StringWriter(), true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute("check", "--config", config.toString());
    }

    @Test
    void goodFilesPass() throws Exception {
        assertEquals(0, check("{ ca_file: ca.pem, client_certificate: { crt: a.pem } }",
                "{ mode: required, ca_file: ca.pem }"), err.toString());
    }

    @Test
    void anUnreadableClientCertificateFailsTheCheck() throws Exception {
        assertEquals(1, check("{ ca_file: ca.pem, client_certificate: { crt: garbage.pem } }", "{ mode: none }"));
        assertTrue(err.toString().startsWith("stapled: backend app server s1: cannot build the TLS context to the "
                + "server: "), err.toString());
    }

    @Test
    void aClientCaFileWithoutCertificatesFailsTheCheck() throws Exception {
        assertEquals(1, check("{ verify: none }", "{ mode: optional, ca_file: garbage.pem }"));
        assertTrue(err.toString().startsWith("stapled: frontend https: " + dir.resolve("garbage.pem")),
                err.toString());
    }
}
