package io.stapled.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.stapled.config.ConfigLoader;
import io.stapled.server.StapledServer;
import io.stapled.testing.ExternalTool;
import io.stapled.testing.HaproxyProcess;
import io.stapled.testkit.Poll;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.pki.KeyPairs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * HAProxy's certificate layouts served by the real proxy to {@code openssl s_client}: a multi-certificate
 * bundle under {@code crt_base}, {@code load_extra_del_ext} siblings (also through the runtime API) and a
 * chain completed from {@code issuers_chain_path}, each stapled from the in-process responder; and HAProxy
 * 2.6 given the same files and options serves the same chains.
 */
@Timeout(90)
class CertificateLayoutsEndToEndTest {
    private static final Pattern OCSP_SERIAL = Pattern.compile("Serial Number: ([0-9A-Fa-f]+)");

    @TempDir
    Path dir;

    private Deployment deployment;
    private StapledServer server;

    @BeforeEach
    void setUp() throws Exception {
        ExternalTool.assumeInstalled("openssl");
        deployment = Deployment.create(dir);
        TestPki.write(dir.resolve("root.pem"), IssuedCertificate.pem(deployment.root.certificate()));
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.stop(java.time.Duration.ofSeconds(1));
        }
        if (deployment != null) {
            deployment.close();
        }
    }

    private IssuedCertificate leaf(String cn, String name, boolean rsa) {
        CertificateBuilder b = CertificateBuilder.subject("CN=" + cn).issuer(deployment.intermediate).dnsNames(name)
                .ocspUrl(deployment.responder.url());
        return (rsa ? b.keyPair(KeyPairs.rsa(2048)) : b).build();
    }

    private void start(String global, String certificates) {
        String yaml = """
                %s
                ocsp: { startup_wait: 10s }
                frontends:
                  - name: https
                    bind: 127.0.0.1:0
                    mode: http
                    backend: app
                    certificates:
                %s
                backends:
                  - name: app
                    servers:
                      - { name: app1, address: 127.0.0.1:%d }
                runtime_api: { socket: admin.sock, mode: "0600", level: admin }
                """.formatted(global, certificates.indent(6).stripTrailing(), deployment.backend.address().getPort());
        server = StapledServer.start(ConfigLoader.parse(yaml, dir.resolve("stapled.yaml")));
    }

    private String sClient(String sni, String... extra) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl", "s_client", "-connect",
                "127.0.0.1:" + server.frontend("https").address().getPort(), "-servername", sni, "-status",
                "-CAfile", dir.resolve("root.pem").toString()));
        cmd.addAll(List.of(extra));
        return ExternalTool.run(20, cmd).output();
    }

    private String uncheckedSClient(String sni) {
        try {
            return sClient(sni);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static byte[] readOrNull(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            return null;
        }
    }

    /** The serial of the certificate the staple in {@code out} is about. */
    private static BigInteger stapledSerial(String out) {
        assertTrue(out.contains("Cert Status: good"), out);
        Matcher m = OCSP_SERIAL.matcher(out);
        assertTrue(m.find(), out);
        return new BigInteger(m.group(1), 16);
    }

    /** One runtime API command through socat, as an operator sends it. */
    private String cli(String command) throws IOException, InterruptedException {
        Path in = TestPki.write(dir.resolve("cli-command.txt"), command);
        ExternalTool.Result r = ExternalTool.run(20, List.of("bash", "-c",
                "socat -t 5 stdio unix-connect:" + dir.resolve("admin.sock") + " < " + in));
        assertEquals(0, r.exitCode(), r.output());
        return r.output();
    }

    @Test
    void aBundleUnderCrtBaseStaplesEachMembersOwnResponseToTheClientThatGetsIt() throws Exception {
        ExternalTool.assumeInstalled("socat");
        IssuedCertificate ecdsa = leaf("ecdsa.site.test", "site.test", false);
        IssuedCertificate rsa = leaf("rsa.site.test", "site.test", true);
        Path ecdsaFile = ecdsa.writeWithSiblingKey(dir.resolve("ssl/site.pem.ecdsa"));
        Path rsaFile = rsa.writeBundle(dir.resolve("ssl/site.pem.rsa"));
        start("global: { crt_base: ssl }", "- crt: site.pem");

        String ec = sClient("site.test");
        assertTrue(ec.contains("CN = ecdsa.site.test"), ec);
        assertEquals(ecdsa.certificate().getSerialNumber(), stapledSerial(ec), "the ECDSA member's own staple");
        assertTrue(ec.contains("Verify return code: 0 (ok)"), ec);

        String rsaOnly = sClient("site.test", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256");
        assertTrue(rsaOnly.contains("CN = rsa.site.test"), rsaOnly);
        assertEquals(rsa.certificate().getSerialNumber(), stapledSerial(rsaOnly), "the RSA member's own staple");

        Poll.until(Duration.ofSeconds(10), "each member's staple persisted beside it",
                () -> Files.exists(dir.resolve("ssl/site.pem.ecdsa.ocsp")) && Files.exists(dir.resolve("ssl/site.pem.rsa.ocsp")));
        assertFalse(Files.exists(dir.resolve("ssl/site.pem.ocsp")));
        assertEquals("# filename\n" + ecdsaFile + "\n" + rsaFile + "\n\n", cli("show ssl cert\n"),
                "the runtime API names the members with their extension");
        assertTrue(cli("show ssl cert " + ecdsaFile + "\n").startsWith("Filename: " + ecdsaFile + "\nStatus: Used\n"));

        java.time.Instant now = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        byte[] pushed = TestPki.goodOcspResponse(rsa, now, now.minusSeconds(60), now.plus(Duration.ofDays(2)));
        assertEquals("OCSP Response updated!\n\n",
                cli("set ssl ocsp-response " + java.util.Base64.getEncoder().encodeToString(pushed) + "\n"));
        Poll.until(Duration.ofSeconds(10), "the pushed response is the RSA member's, persisted beside it",
                () -> java.util.Arrays.equals(pushed, readOrNull(dir.resolve("ssl/site.pem.rsa.ocsp"))));
    }

    /** The runtime API reads a crt-list under {@code crt_base} as the loader does: the same files, options kept. */
    @Test
    void aCrtListUnderCrtBaseIsShownWithTheFilesItServes() throws Exception {
        ExternalTool.assumeInstalled("socat");
        leaf("a.test", "a.test", false).writeBundle(dir.resolve("ssl/a.pem"));
        TestPki.write(dir.resolve("lists/certs.list"), "a.pem [ssl-max-ver TLSv1.2] a.test\n");
        start("global: { crt_base: ssl }", "- crt_list: lists/certs.list");
        assertTrue(sClient("a.test").contains("New, TLSv1.2,"), "the line's option applies");
        assertEquals("# " + dir.resolve("lists/certs.list") + "\n" + dir.resolve("ssl/a.pem")
                + ":1 [ssl-max-ver TLSv1.2] a.test\n\n", cli("show ssl crt-list -n " + dir.resolve("lists/certs.list") + "\n"));
    }

    @Test
    void loadExtraDelExtFindsSiteKeyAndSiteOcspAndTheRuntimeApiTakesSiteKeyForSiteCrt() throws Exception {
        ExternalTool.assumeInstalled("socat");
        IssuedCertificate first = leaf("del.test", "del.test", false);
        Path crt = TestPki.write(dir.resolve("ssl/del.crt"), first.chainPem());
        TestPki.write(dir.resolve("ssl/del.key"), first.privateKeyPem());
        start("global: { load_extra_del_ext: true }", "- crt: ssl/del.crt");

        assertEquals(first.certificate().getSerialNumber(), stapledSerial(sClient("del.test")));
        Poll.until(Duration.ofSeconds(10), "the staple persisted as del.ocsp", () -> Files.exists(dir.resolve("ssl/del.ocsp")));
        assertFalse(Files.exists(dir.resolve("ssl/del.crt.ocsp")));

        IssuedCertificate next = leaf("del.test", "del.test", false);
        Path keyName = dir.resolve("ssl/del.key");
        assertEquals("Transaction created for certificate " + crt + "!\n\n",
                cli("set ssl cert " + keyName + " <<\n" + first.privateKeyPem() + "\n"),
                "site.key names site.crt when no site file is served");
        assertEquals("Transaction updated for certificate " + crt + "!\n\n",
                cli("set ssl cert " + crt + " <<\n" + next.chainPem() + "\n"));
        assertEquals("Transaction updated for certificate " + crt + "!\n\n",
                cli("set ssl cert " + keyName + " <<\n" + next.privateKeyPem() + "\n"),
                "site.key belongs to the open transaction of site.crt");
        assertEquals("Committing " + crt + ".\nSuccess!\n\n", cli("commit ssl cert " + crt + "\n"));
        Poll.until(Duration.ofSeconds(20), "the committed certificate is served and stapled", () -> {
            String out = uncheckedSClient("del.test");
            return out.contains("Cert Status: good") && stapledSerial(out).equals(next.certificate().getSerialNumber());
        });
    }

    @Test
    void aLeafOnlyFileIsServedWithTheChainOfIssuersChainPathAndStapled() throws Exception {
        IssuedCertificate leaf = leaf("chain.test", "chain.test", false);
        TestPki.write(dir.resolve("ssl/chain.pem"), leaf.certificatePem() + leaf.privateKeyPem());
        TestPki.write(dir.resolve("issuers/e2e-intermediate.pem"), deployment.intermediate.certificatePem());
        start("global: { issuers_chain_path: issuers }", "- crt: ssl/chain.pem");

        String out = sClient("chain.test", "-showcerts");
        assertTrue(out.contains(" 0 s:CN = chain.test"), out);
        assertTrue(out.contains(" 1 s:CN = e2e intermediate"), out);
        assertEquals(2, out.split("-----BEGIN CERTIFICATE-----", -1).length - 1, out);
        assertTrue(out.contains("Verify return code: 0 (ok)"), out);
        assertEquals(leaf.certificate().getSerialNumber(), stapledSerial(out), "the issuer for OCSP came from there too");
    }

    @Test
    void withoutIssuersChainPathALeafOnlyFileThatWantsAStapleIsRefusedSayingWhereTheIssuerCanGo() {
        IssuedCertificate leaf = leaf("chain.test", "chain.test", false);
        TestPki.write(dir.resolve("ssl/chain.crt"), leaf.certificatePem() + leaf.privateKeyPem());
        RuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                () -> start("global: { load_extra_del_ext: true }", "- crt: ssl/chain.crt"));
        assertEquals(dir.resolve("ssl/chain.crt") + ": missing issuer certificate for OCSP: add it to the chain in the "
                + "file, write it to chain.issuer or put its chain in global.issuers_chain_path (or disable OCSP for "
                + "this certificate)", e.getMessage());
    }

    /** s_client against any port, stdin closed: the server's certificates and staple as openssl prints them. */
    private String sClientAt(int port, String sni, String... extra) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                "-servername", sni, "-showcerts", "-CAfile", dir.resolve("root.pem").toString()));
        cmd.addAll(List.of(extra));
        return ExternalTool.run(20, cmd).output();
    }

    private static List<String> subjects(String sClientOutput) {
        return sClientOutput.lines().filter(l -> l.matches(" [0-9] s:.*")).map(String::strip).toList();
    }

    @Test
    void haproxyServesTheSameLayoutWithTheSameOptionsAsStapled() throws Exception {
        ExternalTool.assumeInstalled("haproxy");
        IssuedCertificate ecdsa = leaf("ecdsa.site.test", "site.test", false);
        IssuedCertificate rsa = leaf("rsa.site.test", "site.test", true);
        ecdsa.writeWithSiblingKey(dir.resolve("ssl/site.pem.ecdsa"));
        rsa.writeWithSiblingKey(dir.resolve("ssl/site.pem.rsa"));
        IssuedCertificate del = leaf("del.test", "del.test", false);
        TestPki.write(dir.resolve("ssl/del.crt"), del.certificatePem());
        TestPki.write(dir.resolve("ssl/del.key"), del.privateKeyPem());
        TestPki.write(dir.resolve("issuers/intermediate.pem"), deployment.intermediate.certificatePem());
        start("""
                global:
                  crt_base: ssl
                  load_extra_del_ext: true
                  issuers_chain_path: issuers
                """, "- crt: site.pem\n- crt: del.crt");

        int port = io.stapled.testing.OpenSslOcspResponder.freePort();
        try (HaproxyProcess haproxy = HaproxyProcess.start(Files.createDirectories(dir.resolve("haproxy")), """
                global
                  stats socket ${socket} level admin
                  crt-base %s
                  ssl-load-extra-del-ext
                  issuers-chain-path %s
                defaults
                  mode http
                  timeout client 5s
                  timeout connect 5s
                  timeout server 5s
                frontend https
                  bind 127.0.0.1:%d ssl crt site.pem crt del.crt
                  default_backend app
                backend app
                  server app1 127.0.0.1:%d
                """.formatted(dir.resolve("ssl"), dir.resolve("issuers"), port,
                deployment.backend.address().getPort()))) {
            int stapled = server.frontend("https").address().getPort();
            List<String> rsaOnly = List.of("-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256");
            // del.test has an ECDSA certificate only: an RSA-only client has nothing to get there
            for (List<String> probe : List.of(List.of("site.test"), List.of("del.test"), concat("site.test", rsaOnly))) {
                String[] extra = probe.subList(1, probe.size()).toArray(String[]::new);
                List<String> fromHaproxy = subjects(sClientAt(port, probe.get(0), extra));
                assertFalse(fromHaproxy.isEmpty(), probe.toString());
                assertEquals(fromHaproxy, subjects(sClientAt(stapled, probe.get(0), extra)), probe.toString());
            }
            assertEquals(List.of("0 s:CN = del.test", "1 s:CN = e2e intermediate"), subjects(sClientAt(port, "del.test")),
                    "HAProxy completes the chain from issuers-chain-path too");
            assertEquals(List.of("0 s:CN = rsa.site.test", "1 s:CN = e2e intermediate"), subjects(sClientAt(port,
                    "site.test", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")));
        }
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> out = new java.util.ArrayList<>(List.of(first));
        out.addAll(rest);
        return out;
    }
}
