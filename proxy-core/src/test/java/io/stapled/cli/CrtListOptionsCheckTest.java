package io.stapled.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** {@code stapled check} on crt-list options (issue 11): refusals at the config line and list line, warnings logged. */
class CrtListOptionsCheckTest {
    @TempDir
    Path dir;

    private final StringWriter err = new StringWriter();

    private int check(String list) throws Exception {
        IssuedCertificate root = CertificateBuilder.subject("CN=root").ca().build();
        CertificateBuilder.subject("CN=a.test").issuer(root).dnsNames("a.test").build()
                .writeBundle(dir.resolve("certs/a.pem"));
        Files.writeString(dir.resolve("certs/list.txt"), list);
        Path config = dir.resolve("stapled.yaml");
        Files.writeString(config, """
                frontends:
                  - name: https
                    bind: 127.0.0.1:0
                    backend: app
                    tls: { protocols: [TLSv1.3] }
                    certificates:
                      - crt_list: certs/list.txt
                backends:
                  - name: app
                    servers:
                      - { name: a, address: 127.0.0.1:8080 }
                """);
        err.getBuffer().setLength(0);
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(new StringWriter(), true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute("check", "--config", config.toString());
    }

    private String line() {
        return err.toString().replace(System.lineSeparator(), "\n");
    }

    @Test
    void refusalsNameTheConfigLineAndTheListLine() throws Exception {
        Path config = dir.resolve("stapled.yaml");
        Path list = dir.resolve("certs/list.txt");
        String at = "stapled: " + config + ":7 frontends[0].certificates[0].crt_list: " + list;
        assertEquals(1, check("a.pem\na.pem [ca-verify-file a.pem] b.test\n"));
        assertEquals(at + ":2: crt-list option 'ca-verify-file' is not supported: put the CAs into ca-file (stapled "
                + "sends no CA names, so the two files would be one)\n", line());
        assertEquals(1, check("a.pem\na.pem [verify required] b.test\n"));
        assertEquals("stapled: frontend https: " + list + ":2: verify required needs a ca-file (on the line, or the "
                + "frontend's tls.client_auth.ca_file)\n", line());
        assertEquals(1, check("a.pem [ssl-min-ver TLSv1.1]\n"));
        assertEquals(at + ":1: ssl-min-ver TLSv1.1 is below stapled's floor TLSv1.2 (stapled serves TLSv1.2 and "
                + "TLSv1.3 only)\n", line());
        assertEquals(1, check("a.pem [curves P-999]\n"));
        assertEquals(at + ":1: curves: 'P-999' is not a group BoringSSL supports (e.g. X25519, P-256, P-384, "
                + "P-521)\n", line());
        // Only the frontend's context knows its protocols: the frontend names the list line.
        assertEquals(1, check("a.pem [ssl-max-ver TLSv1.2]\n"));
        assertEquals("stapled: frontend https: " + list + ":1: ssl-min-ver/ssl-max-ver leave no protocol enabled "
                + "(the frontend's tls.protocols are [TLSv1.3])\n", line());
    }

    @Test
    void optionsThatCannotMatterPassTheCheckWithAWarning() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(io.stapled.tls.CrtListParser.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            assertEquals(0, check("a.pem [allow-0rtt no-ca-names ssl-min-ver TLSv1.2] a.test\n"), line());
        } finally {
            logger.detachAppender(appender);
        }
        Path list = dir.resolve("certs/list.txt");
        assertEquals(List.of(
                "crt-list " + list + ":1: allow-0rtt is not applicable: 0-RTT is off in stapled; ignored",
                "crt-list " + list + ":1: no-ca-names is not supported: when stapled asks for a client certificate it "
                        + "names the ca-file's CAs; ignored"),
                appender.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
                        .toList());
    }
}
