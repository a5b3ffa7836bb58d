package io.stapled.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import io.stapled.testing.Crls;
import io.stapled.testing.ExternalTool;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.Poll;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;

/**
 * Client certificates (mTLS) with real clients, curl and openssl s_client: {@code required},
 * {@code optional} and none; a certificate of another CA; a revoked one (a CRL made here with
 * BouncyCastle); a CRL update taking effect without a restart; and a crt-list line's
 * {@code [verify required ca-file ...]} applying to that line's name only.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ClientCertificateTest {
    private static final IssuedCertificate CLIENT_CA = CertificateBuilder.subject("CN=client ca").ca().build();
    private static final IssuedCertificate OTHER_CA = CertificateBuilder.subject("CN=other client ca").ca().build();
    private static final IssuedCertificate ALICE = client("CN=alice", CLIENT_CA);
    private static final IssuedCertificate BOB = client("CN=bob", CLIENT_CA);
    private static final IssuedCertificate MALLORY = client("CN=mallory", CLIENT_CA);
    private static final IssuedCertificate FOREIGN = client("CN=foreign", OTHER_CA);

    private static IssuedCertificate client(String subject, IssuedCertificate ca) {
        return CertificateBuilder.subject(subject).issuer(ca).clientAuth().build();
    }

    @RegisterExtension
    static final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            frontends:
              - name: required
                bind: 127.0.0.1:0
                backend: app
                access_log: true
                certificates: [ { crt: ${cert:site.test} } ]
                tls:
                  client_auth: { mode: required, ca_file: client-ca.pem, crl_file: clients.crl,
                                 crl_reload_interval: 100ms }
              - name: optional
                bind: 127.0.0.1:0
                backend: app
                access_log: true
                certificates: [ { crt: ${cert:site.test} } ]
                tls:
                  client_auth: { mode: optional, ca_file: client-ca.pem }
              - name: none
                bind: 127.0.0.1:0
                backend: app
                certificates: [ { crt: ${cert:site.test} } ]
              # the crt-list's certificates: ${cert:guarded.test} ${cert:open.test}
              - name: listed
                bind: 127.0.0.1:0
                backend: app
                certificates: [ { crt_list: sites.list } ]
            backends:
              - name: app
                servers: [ { name: app1, address: 127.0.0.1:${backend} } ]
            """)
            .beforeServer(x -> {
                TestPki.write(x.dir().resolve("client-ca.pem"), CLIENT_CA.certificatePem());
                writeCrl(x.dir().resolve("clients.crl"), List.of(serial(MALLORY)));
                TestPki.write(x.dir().resolve("sites.list"),
                        x.certificateFile("guarded.test") + " [verify required ca-file client-ca.pem] guarded.test\n"
                        + x.certificateFile("open.test") + " open.test\n");
                for (IssuedCertificate c : List.of(ALICE, BOB, MALLORY, FOREIGN)) {
                    String n = name(c);
                    TestPki.write(x.dir().resolve(n + ".crt"), c.certificatePem());
                    TestPki.write(x.dir().resolve(n + ".key"), c.privateKeyPem());
                }
                TestPki.write(x.dir().resolve("root.pem"), IssuedCertificate.pem(x.root()));
            });

    private ListAppender<ILoggingEvent> access;

    @BeforeEach
    void captureAccessLog() {
        access = new ListAppender<>();
        access.start();
        ((Logger) LoggerFactory.getLogger("stapled.access")).addAppender(access);
    }

    @AfterEach
    void stopCapture() {
        ((Logger) LoggerFactory.getLogger("stapled.access")).detachAppender(access);
    }

    private static String name(IssuedCertificate c) {
        return c.certificate().getSubjectX500Principal().getName().substring(3);
    }

    private static BigInteger serial(IssuedCertificate c) {
        return c.certificate().getSerialNumber();
    }

    private static void writeCrl(Path file, List<BigInteger> revoked) {
        Crls.write(file, CLIENT_CA, revoked);
    }

    /** curl to frontend {@code frontend} as {@code host}, with {@code client}'s certificate when not null. */
    private static ExternalTool.Result curl(String frontend, String host, IssuedCertificate client) throws Exception {
        ExternalTool.assumeInstalled("curl");
        int port = stapled.port(frontend);
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                "--max-time", "10", "--cacert", stapled.dir().resolve("root.pem").toString(),
                "--resolve", host + ":" + port + ":127.0.0.1"));
        if (client != null) {
            cmd.addAll(List.of("--cert", stapled.dir().resolve(name(client) + ".crt").toString(),
                    "--key", stapled.dir().resolve(name(client) + ".key").toString()));
        }
        cmd.add("https://" + host + ":" + port + "/");
        return ExternalTool.run(20, cmd);
    }

    private static boolean ok(ExternalTool.Result r) {
        return r.exitCode() == 0 && r.output().endsWith("200");
    }

    /** openssl s_client sending one request; true when an HTTP 200 came back. */
    private static String sClient(String frontend, IssuedCertificate client) throws Exception {
        ExternalTool.assumeInstalled("openssl");
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "printf 'GET / HTTP/1.1\\r\\nHost: site.test\\r\\n"
                + "Connection: close\\r\\n\\r\\n' | timeout 10 openssl s_client -quiet -ign_eof -connect 127.0.0.1:"
                + stapled.port(frontend) + " -servername site.test -CAfile " + stapled.dir().resolve("root.pem")
                + (client == null ? "" : " -cert " + stapled.dir().resolve(name(client) + ".crt") + " -key "
                        + stapled.dir().resolve(name(client) + ".key"))
                + " 2>&1"));
        return ExternalTool.run(20, cmd).output();
    }

    @Test
    void requiredAcceptsAVerifiedCertificateAndRefusesOthers() throws Exception {
        assertTrue(ok(curl("required", "site.test", ALICE)), curl("required", "site.test", ALICE).toString());
        ExternalTool.Result without = curl("required", "site.test", null);
        assertNotEquals(0, without.exitCode(), without.output());
        ExternalTool.Result foreign = curl("required", "site.test", FOREIGN);
        assertNotEquals(0, foreign.exitCode(), "a certificate of another CA: " + foreign.output());
        ExternalTool.Result revoked = curl("required", "site.test", MALLORY);
        assertNotEquals(0, revoked.exitCode(), "a revoked certificate: " + revoked.output());
        Poll.until(Duration.ofSeconds(5), "access log line", () -> access.list.stream().anyMatch(e ->
                e.getFormattedMessage().contains("client_cert=\"CN=alice\" serial="
                        + serial(ALICE).toString(16).toUpperCase() + " verified=true")));
    }

    @Test
    void opensslSClientWithAndWithoutACertificate() throws Exception {
        assertTrue(sClient("required", BOB).contains("HTTP/1.1 200"), sClient("required", BOB));
        String refused = sClient("required", null);
        assertTrue(!refused.contains("HTTP/1.1 200") && refused.toLowerCase().contains("alert"), refused);
        assertTrue(sClient("none", null).contains("HTTP/1.1 200"));
    }

    @Test
    void optionalLetsUnverifiedClientsInAndSaysSo() throws Exception {
        assertTrue(ok(curl("optional", "site.test", null)));
        assertTrue(ok(curl("optional", "site.test", FOREIGN)), "optional: an unverified certificate proceeds");
        assertTrue(ok(curl("optional", "site.test", ALICE)));
        Poll.until(Duration.ofSeconds(5), "access log lines", () -> access.list.stream().anyMatch(e ->
                e.getFormattedMessage().contains("client_cert=\"CN=foreign\"")
                        && e.getFormattedMessage().contains("verified=false"))
                && access.list.stream().anyMatch(e -> e.getFormattedMessage().contains("client_cert=\"CN=alice\"")
                        && e.getFormattedMessage().contains("verified=true")));
    }

    @Test
    void noneAsksForNoCertificate() throws Exception {
        assertTrue(ok(curl("none", "site.test", null)));
        assertTrue(ok(curl("none", "site.test", FOREIGN)), "a certificate nobody asked for is not looked at");
    }

    @Test
    void aCrlUpdateTakesEffectWithoutARestart() throws Exception {
        assertTrue(ok(curl("required", "site.test", BOB)));
        writeCrl(stapled.dir().resolve("clients.crl"), List.of(serial(MALLORY), serial(BOB)));
        try {
            Poll.until(Duration.ofSeconds(10), "bob refused after the CRL update", () -> {
                try {
                    return curl("required", "site.test", BOB).exitCode() != 0;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertTrue(ok(curl("required", "site.test", ALICE)), "alice is still not revoked");
        } finally {
            writeCrl(stapled.dir().resolve("clients.crl"), List.of(serial(MALLORY)));
        }
        Poll.until(Duration.ofSeconds(10), "bob accepted again", () -> {
            try {
                return ok(curl("required", "site.test", BOB));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void aCrtListLinesVerifyAppliesToThatNameOnly() throws Exception {
        assertEquals(0, curl("listed", "open.test", null).exitCode(), "open.test asks for no certificate");
        assertNotEquals(0, curl("listed", "guarded.test", null).exitCode(), "guarded.test requires one");
        assertTrue(ok(curl("listed", "guarded.test", ALICE)));
        assertNotEquals(0, curl("listed", "guarded.test", FOREIGN).exitCode());
    }
}
