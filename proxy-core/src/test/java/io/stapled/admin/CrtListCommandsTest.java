package io.stapled.admin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import io.stapled.testing.ExternalTool;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.Poll;
import io.stapled.testkit.TlsTestClient;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.pki.KeyPairs;
import io.stapled.testkit.responder.OcspResponderServer.Behaviour;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code show/add/del ssl crt-list} and {@code show ssl sni} on a real server serving a crt-list, with
 * the OCSP engine and its responder: a line added for a committed certificate is served (and stapled)
 * from the next handshake on, a deleted one falls back to the default certificate (issue 11).
 */
@Timeout(60)
class CrtListCommandsTest {
    @RegisterExtension
    final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            ocsp:
              enabled: true
              startup_wait: 10s
              persist: false
              watch_files: false
            frontends:
              - name: https
                bind: 127.0.0.1:0
                mode: http
                backend: web
                certificates:
                  - crt_list: ${dir}/certs.list
            backends:
              - name: web
                servers:
                  - { name: web1, address: 127.0.0.1:${backend} }
            runtime_api: { socket: ${socket}, mode: "0600", level: admin }
            # certificates: ${cert:site.test:C01} ${cert:other.test:C02}
            """).beforeServer(CrtListCommandsTest::writeList);

    private String list;
    private String site;
    private String other;

    private static void writeList(StapledServerExtension ext) {
        try {
            Files.writeString(ext.dir().resolve("certs.list"), "# the default first\n"
                    + ext.certificateFile("site.test") + " [alpn h2,http/1.1 ocsp-update on] site.test *.site.test"
                    + " !bad.site.test\n\n"
                    + ext.certificateFile("other.test") + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @BeforeEach
    void names() {
        list = stapled.dir().resolve("certs.list").toString();
        site = stapled.certificateFile("site.test").toString();
        other = stapled.certificateFile("other.test").toString();
    }

    private String send(String text) throws IOException {
        return CliClient.send(stapled.runtimeApi().socket(), text);
    }

    private TlsTestClient.Result hello(String sni) throws Exception {
        return stapled.client().handshake(stapled.port("https"), sni);
    }

    /** A full handshake each time: a resumed TLS 1.2 session carries no staple. */
    private boolean stapledFor(String sni) {
        try (TlsTestClient fresh = new TlsTestClient()) {
            return fresh.handshake(stapled.port("https"), sni).ocspResponse() != null;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void showListsTheCrtListsAndTheirLinesInHaproxysFormat() throws Exception {
        assertEquals(list + "\n\n", send("show ssl crt-list\n"));
        assertEquals("# " + list + "\n"
                + site + " [alpn h2,http/1.1 ocsp-update on] site.test *.site.test !bad.site.test\n"
                + other + "\n\n", send("show ssl crt-list " + list + "\n"));
        assertEquals("# " + list + "\n"
                + site + ":2 [alpn h2,http/1.1 ocsp-update on] site.test *.site.test !bad.site.test\n"
                + other + ":4\n\n", send("show ssl crt-list -n " + list + "\n"));
        assertEquals("didn't find the specified filename\n\n", send("show ssl crt-list /nope.list\n"));
        assertEquals("'show ssl crt-list -n' expects a filename or a directory\n\n", send("show ssl crt-list -n\n"));
    }

    @Test
    void aCommittedCertificateAddedToTheListIsServedAndStapledThenDeletedFallsBackToTheDefault() throws Exception {
        assertEquals("c01", hello("new.test").serialHex(), "an unknown name gets the default");
        IssuedCertificate leaf = CertificateBuilder.subject("CN=new.test").issuer(stapled.intermediate())
                .keyPair(KeyPairs.ecP256()).dnsNames("new.test").ocspUrl(stapled.responder().url())
                .serial(BigInteger.valueOf(0xC03)).build();
        String file = stapled.dir().resolve("certs/new.pem").toString();

        assertEquals("Can't edit the crt-list: certificate '" + file + "' does not exist!\n\n",
                send("add ssl crt-list " + list + " " + file + "\n"));
        assertEquals("New empty certificate store '" + file + "'!\n\n", send("new ssl cert " + file + "\n"));
        assertEquals("Can't edit the crt-list: certificate '" + file + "' is empty!\n\n",
                send("add ssl crt-list " + list + " " + file + "\n"));
        send("set ssl cert " + file + " <<\n" + leaf.chainPem() + leaf.privateKeyPem() + "\n");
        assertEquals("Committing " + file + "\nSuccess!\n\n", send("commit ssl cert " + file + "\n"));
        assertEquals("c01", hello("new.test").serialHex(), "committed but in no list: not served yet");

        assertEquals("Inserting certificate '" + file + "' in crt-list '" + list + "'.\nSuccess!\n\n",
                send("add ssl crt-list " + list + " <<\n" + file + " [alpn h2 ssl-max-ver TLSv1.2] new.test\n\n"));
        TlsTestClient.Result served = hello("new.test");
        assertEquals("c03", served.serialHex(), "served from the next handshake, no reload");
        Poll.until(Duration.ofSeconds(10), "the OCSP engine's fetch for the added certificate",
                () -> stapledFor("new.test"));
        assertTrue(send("show ssl cert " + file + "\n").contains("Status: Used\n"));
        assertEquals("# " + list + "\n"
                + site + ":2 [alpn h2,http/1.1 ocsp-update on] site.test *.site.test !bad.site.test\n"
                + other + ":4\n"
                + file + ":5 [alpn h2 ssl-max-ver TLSv1.2] new.test\n\n", send("show ssl crt-list -n " + list + "\n"));

        ExternalTool.assumeInstalled("openssl");
        ExternalTool.Result s = ExternalTool.run(20, List.of("openssl", "s_client", "-connect",
                "127.0.0.1:" + stapled.port("https"), "-servername", "new.test", "-status"));
        assertTrue(s.output().contains("CN = new.test") || s.output().contains("CN=new.test"), s.output());
        assertTrue(s.output().contains("OCSP Response Status: successful"), s.output());
        assertTrue(s.output().contains("Cert Status: good"), s.output());
        assertTrue(s.output().contains("New, TLSv1.2,"), "the added line's ssl-max-ver: " + s.output());
        ExternalTool.Result control = ExternalTool.run(20, List.of("openssl", "s_client", "-connect",
                "127.0.0.1:" + stapled.port("https"), "-servername", "site.test"));
        assertTrue(control.output().contains("New, TLSv1.3,"),
                "other lines keep the frontend's protocols: " + control.output());

        assertEquals("Can't remove the certificate: certificate '" + file + "' in use, can't be deleted!\n\n",
                send("del ssl cert " + file + "\n"));
        assertEquals("Entry '" + file + "' deleted in crtlist '" + list + "'!\n\n",
                send("del ssl crt-list " + list + " " + file + ":5\n"));
        assertEquals("c01", hello("new.test").serialHex(), "the name falls back to the default certificate");
        assertEquals("c02", hello("other.test").serialHex(), "the other lines stay");
        assertTrue(send("show ssl cert " + file + "\n").contains("Status: Unused\n"));
        assertFalse(send("show ssl ocsp-updates\n").contains(file), "an unused certificate is not fetched for");
        assertEquals("Certificate '" + file + "' deleted!\n\n", send("del ssl cert " + file + "\n"));
    }

    /**
     * HAProxy's {@code <OCSP-UPDATE>} line on the {@code stapled.ocsp-update} logger, from the server's
     * own engine: the fetch that follows an added line, then a forced update the responder fails.
     */
    @Test
    void fetchesOfAnAddedCertificateLogHaproxysOcspUpdateLines() throws Exception {
        ch.qos.logback.classic.Logger updates = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
                .getLogger("stapled.ocsp-update");
        ch.qos.logback.classic.Level level = updates.getLevel();
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs =
                new ch.qos.logback.core.read.ListAppender<>();
        logs.start();
        updates.setLevel(ch.qos.logback.classic.Level.INFO);
        updates.addAppender(logs);
        try {
            BigInteger serial = BigInteger.valueOf(0xC05);
            IssuedCertificate leaf = CertificateBuilder.subject("CN=logged.test").issuer(stapled.intermediate())
                    .keyPair(KeyPairs.ecP256()).dnsNames("logged.test").ocspUrl(stapled.responder().url())
                    .serial(serial).build();
            String file = stapled.dir().resolve("certs/logged.pem").toString();
            send("new ssl cert " + file + "\n");
            send("set ssl cert " + file + " <<\n" + leaf.chainPem() + leaf.privateKeyPem() + "\n");
            send("commit ssl cert " + file + "\n");
            send("add ssl crt-list " + list + " " + file + "\n");
            String ok = "<OCSP-UPDATE> " + file + " 1 \"Update successful\" 0 1";
            Poll.until(Duration.ofSeconds(10), "the added certificate's fetch logged", () -> lines(logs).contains(ok));

            stapled.responder().behaviour(serial, Behaviour.HTTP_500);
            assertTrue(send("update ssl ocsp-response " + file + "\n").contains("Can't update the OCSP response"));
            List<String> mine = lines(logs).stream().filter(l -> l.startsWith("<OCSP-UPDATE> " + file + " ")).toList();
            assertEquals(2, mine.size(), mine.toString());
            assertTrue(mine.get(1).startsWith("<OCSP-UPDATE> " + file + " 2 \"HTTP error ("), mine.get(1));
            assertTrue(mine.get(1).endsWith(")\" 1 1"), "one failure, one success: " + mine.get(1));
        } finally {
            updates.detachAppender(logs);
            updates.setLevel(level);
        }
    }

    private static List<String> lines(ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs) {
        List<String> all;
        synchronized (logs) { // the engine's threads append under the appender's lock
            all = logs.list.stream().map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage).toList();
        }
        for (String l : all) {
            assertTrue(l.matches("-:- \\[\\d{2}/\\w{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2}\\.\\d{3}\\] <OCSP-UPDATE> .*"), l);
        }
        // without HAProxy's "-:- [date] " (OcspUpdateLogTest checks the date itself)
        return all.stream().map(l -> l.substring(l.indexOf("] ") + 2)).toList();
    }

    @Test
    void theOcspPartCommittedWithANewCertificateStaplesItsFirstHandshake() throws Exception {
        BigInteger serial = BigInteger.valueOf(0xC04);
        IssuedCertificate leaf = CertificateBuilder.subject("CN=pushed.test").issuer(stapled.intermediate())
                .keyPair(KeyPairs.ecP256()).dnsNames("pushed.test").ocspUrl(stapled.responder().url())
                .serial(serial).build();
        // its own fetch fails: a staple can only be the one committed with it
        stapled.responder().behaviour(serial, Behaviour.HTTP_500);
        byte[] ocsp = stapled.responder().responseFor(serial, Behaviour.GOOD);
        String file = stapled.dir().resolve("certs/pushed.pem").toString();
        send("new ssl cert " + file + "\n");
        send("set ssl cert " + file + " <<\n" + leaf.chainPem() + leaf.privateKeyPem() + "\n");
        send("set ssl cert " + file + ".ocsp <<\n" + Base64.getMimeEncoder().encodeToString(ocsp)
                .replace("\r\n", "\n") + "\n\n");
        assertEquals("Committing " + file + "\nSuccess!\n\n", send("commit ssl cert " + file + "\n"),
                "kept with the unused certificate, not refused by an engine that does not manage it yet");

        assertEquals("Inserting certificate '" + file + "' in crt-list '" + list + "'.\nSuccess!\n\n",
                send("add ssl crt-list " + list + " " + file + "\n"));
        TlsTestClient.Result first = hello("pushed.test");
        assertEquals("c04", first.serialHex(), "no filter: the certificate's own names");
        assertArrayEquals(ocsp, first.ocspResponse(), "stapled from the first handshake");
    }

    @Test
    void addAndDelErrorsAreHaproxys() throws Exception {
        assertEquals("'add ssl crtlist' expects a filename and a certificate name\n\n", send("add ssl crt-list\n"));
        assertEquals("'add ssl crtlist' expects a filename and a certificate name\n\n",
                send("add ssl crt-list " + list + "\n"));
        assertEquals("Can't edit the crt-list: crt-list '/nope.list' does not exist!\n\n",
                send("add ssl crt-list /nope.list " + other + "\n"));
        assertEquals("Can't edit the crt-list: parsing [CLI:1]: unsupported crt-list option 'bogus' (stapled "
                        + "supports ocsp-update, alpn, no-alpn, ssl-min-ver, ssl-max-ver, ciphers, ciphersuites, curves, ecdhe, "
                        + "verify, ca-file, crl-file; "
                        + "accepted with a warning: npn, allow-0rtt, no-ca-names, client-sigalgs)\n\n",
                send("add ssl crt-list " + list + " <<\n" + other + " [bogus 1] x.test\n\n"));

        // a served certificate may get a second line; two lines then need a line number to delete one
        assertEquals("Inserting certificate '" + other + "' in crt-list '" + list + "'.\nSuccess!\n\n",
                send("add ssl crt-list " + list + " " + other + " dup.test\n"));
        assertEquals("c02", hello("dup.test").serialHex());
        assertEquals("Can't delete the entry: found the certificate '" + other + "' in several entries, please "
                + "specify a line number preceded by colons (4, 5)!\n\n",
                send("del ssl crt-list " + list + " " + other + "\n"));
        assertEquals("Can't delete the entry: found a certificate '" + other + "' but the line number is "
                + "incorrect, please specify a correct line number preceded by colons (4, 5)!\n\n",
                send("del ssl crt-list " + list + " " + other + ":9\n"));
        assertEquals("Can't delete the entry: wrong line number after colons in '" + other + ":x'!\n\n",
                send("del ssl crt-list " + list + " " + other + ":x\n"));
        assertEquals("Entry '" + other + "' deleted in crtlist '" + list + "'!\n\n",
                send("del ssl crt-list " + list + " " + other + ":5\n"));
        assertEquals("c01", hello("dup.test").serialHex());
        assertEquals("c02", hello("other.test").serialHex(), "line 4 still serves");

        assertEquals("Can't delete the entry: certificate '" + site + "' cannot be deleted, it is used as default "
                + "certificate by the following frontends:\n\t- https\n\n",
                send("del ssl crt-list " + list + " " + site + "\n"));
        assertEquals("'del ssl crtlist' expects a filename and a certificate name\n\n",
                send("del ssl crt-list " + list + "\n"));
        assertEquals("Can't delete the entry: crt-list '/nope.list' does not exist!\n\n",
                send("del ssl crt-list /nope.list " + site + "\n"));
        assertEquals("Can't delete the entry: certificate '/nope.pem' does not exist!\n\n",
                send("del ssl crt-list " + list + " /nope.pem\n"));
    }

    @Test
    void aPayloadMayHoldSeveralLinesEachAnsweredUntilOneIsRefused() throws Exception {
        String relative = stapled.dir().relativize(Path.of(other)).toString();
        assertEquals("Inserting certificate '" + other + "' in crt-list '" + list + "'.\nSuccess!\n"
                + "Inserting certificate '" + site + "' in crt-list '" + list + "'.\nSuccess!\n"
                + "Can't edit the crt-list: certificate '/nope.pem' does not exist!\n\n",
                send("add ssl crt-list " + list + " <<\n" + relative + " two.test\n" + site + " three.test\n"
                        + "/nope.pem four.test\n" + other + " five.test\n\n"));
        assertEquals("c02", hello("two.test").serialHex(), "a path relative to the list's directory");
        assertEquals("c01", hello("three.test").serialHex());
        assertEquals("c01", hello("five.test").serialHex(), "nothing after the refused line");
        assertEquals("# " + list + "\n"
                + site + ":2 [alpn h2,http/1.1 ocsp-update on] site.test *.site.test !bad.site.test\n"
                + other + ":4\n"
                + other + ":5 two.test\n"
                + site + ":6 three.test\n\n", send("show ssl crt-list -n " + list + "\n"));
    }

    @Test
    void showNeedsOperatorAndChangesNeedAdmin() throws Exception {
        try (CliClient c = CliClient.connect(stapled.runtimeApi().socket())) {
            c.write("operator;show ssl crt-list;show ssl sni -A;add ssl crt-list " + list + " " + other
                    + " x.test;del ssl crt-list " + list + " " + other + "\n");
            assertEquals("\n" + list + "\n\n# Frontend/Bind\tSNI\tNegative Filter\tType\tFilename\tNotAfter\tNotBefore\n\n"
                    + "Permission denied\n\nPermission denied\n\n", c.readToEof(Duration.ofSeconds(10)));
        }
        try (CliClient c = CliClient.connect(stapled.runtimeApi().socket())) {
            c.write("user;show ssl crt-list;show ssl sni\n");
            assertEquals("\nPermission denied\n\nPermission denied\n\n", c.readToEof(Duration.ofSeconds(10)));
        }
        assertEquals("c01", hello("x.test").serialHex(), "nothing was added");
    }

    @Test
    void showSniListsEveryNameWithItsFilterTypeAndDates() throws Exception {
        String rows = send("show ssl sni\n");
        String fe = "https/" + stapled.server().frontends().get(0).config().bind();
        String siteDates = OcspResponseText.time(stapled.leaf("site.test").certificate().getNotAfter()) + "\t"
                + OcspResponseText.time(stapled.leaf("site.test").certificate().getNotBefore());
        String otherDates = OcspResponseText.time(stapled.leaf("other.test").certificate().getNotAfter()) + "\t"
                + OcspResponseText.time(stapled.leaf("other.test").certificate().getNotBefore());
        assertEquals("# Frontend/Bind\tSNI\tNegative Filter\tType\tFilename\tNotAfter\tNotBefore\n"
                + fe + "\tother.test\t-\tecdsa\t" + other + "\t" + otherDates + "\n"
                + fe + "\tsite.test\t-\tecdsa\t" + site + "\t" + siteDates + "\n"
                + fe + "\t*.site.test\t!bad.site.test \tecdsa\t" + site + "\t" + siteDates + "\n\n", rows);
        assertEquals(rows, send("show ssl sni -f https\n"));
        assertEquals("# Frontend/Bind\tSNI\tNegative Filter\tType\tFilename\tNotAfter\tNotBefore\n\n",
                send("show ssl sni -A\n"), "no certificate is past its notAfter");
        assertEquals("Couldn't find the specified frontend!\n\n", send("show ssl sni -f nope\n"));
        assertEquals("'-f' requires a frontend name!\n\n", send("show ssl sni -f\n"));
        assertEquals("Invalid parameters, 'show ssl sni' only supports '-f', or '-A' options!\n\n",
                send("show ssl sni -x\n"));
    }
}
