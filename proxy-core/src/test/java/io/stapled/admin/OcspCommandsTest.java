package io.stapled.admin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import io.stapled.ocsp.ManagedCertificate;
import io.stapled.ocsp.OcspManager;
import io.stapled.ocsp.OcspSettings;
import io.stapled.ocsp.OcspSubject;
import io.stapled.ocsp.Staple;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.responder.OcspResponderServer;
import io.stapled.testkit.responder.OcspResponderServer.Behaviour;
import io.stapled.testing.ExternalTool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The OCSP commands over the socket against a real OcspManager and the in-process responder. */
@Timeout(30)
class OcspCommandsTest {
    @TempDir
    Path dir;
    private IssuedCertificate ca;
    private IssuedCertificate foreignCa;
    private OcspResponderServer responder;
    private OcspResponderServer foreign;
    private OcspManager manager;
    private IssuedCertificate leafA;
    private IssuedCertificate leafB;
    private ManagedCertificate a;
    private ManagedCertificate b;
    private String pathA;
    private String pathB;
    private RuntimeApiFixture cli;

    @BeforeEach
    void start() throws Exception {
        ca = CertificateBuilder.subject("CN=Admin OCSP CA").ca().build();
        foreignCa = CertificateBuilder.subject("CN=Foreign CA").ca().build();
        responder = OcspResponderServer.builder(ca).start();
        foreign = OcspResponderServer.builder(foreignCa).start();
        leafA = CertificateBuilder.subject("CN=a.test").issuer(ca).dnsNames("a.test").ocspUrl(responder.url())
                .serial(new BigInteger("100a", 16)).build();
        leafB = CertificateBuilder.subject("CN=b.test").issuer(ca).dnsNames("b.test")
                .serial(new BigInteger("a00b", 16)).build();
        Path fa = leafA.writeBundle(dir.resolve("a.pem"));
        Path fb = leafB.writeBundle(dir.resolve("b.pem"));
        pathA = fa.toString();
        pathB = fb.toString();
        manager = OcspManager.builder().settings(OcspSettings.builder().persist(false).watchFiles(false).build()).build();
        a = manager.manage(OcspSubject.of(pathA, leafA.certificate(), ca.certificate(), fa));
        b = manager.manage(OcspSubject.of(pathB, leafB.certificate(), ca.certificate(), fb));
        manager.start();
        assertTrue(manager.awaitInitialRound(Duration.ofSeconds(10)));
        assertNotNull(a.staple(), "a.test was fetched at start");
        cli = RuntimeApiFixture.start(dir, RuntimeApiContext.builder(RuntimeApiFixture.process())
                .ocsp(new OcspManagerAdmin(manager)).build());
    }

    @AfterEach
    void stop() {
        cli.close();
        manager.close();
        responder.close();
        foreign.close();
    }

    private String b64(byte[] der) {
        return Base64.getEncoder().encodeToString(der);
    }

    @Test
    void listShowsEveryCertificateIdInHaproxyLayout() throws Exception {
        String out = cli.send("show ssl ocsp-response\n");
        String expectedA = "Certificate ID key : " + a.certIdHex() + "\n"
                + "Certificate path : " + pathA + "\n"
                + " Certificate ID:\n"
                + "   Issuer Name Hash: " + a.issuerNameHashHex().toUpperCase() + "\n"
                + "   Issuer Key Hash: " + a.issuerKeyHashHex().toUpperCase() + "\n"
                + "   Serial Number: 100A\n";
        assertTrue(out.startsWith("# Certificate IDs\n"), out);
        assertTrue(out.contains(expectedA), out);
        assertTrue(out.contains("Certificate path : " + pathB + "\n") && out.contains("   Serial Number: A00B\n"), out);
        assertTrue(a.certIdHex().startsWith("30"), "the key is the DER CertID");
        assertTrue(out.endsWith("\n\n"));
    }

    @Test
    void oneResponseAsTextBase64AndJson() throws Exception {
        String text = cli.send("show ssl ocsp-response " + pathA + "\n");
        assertTrue(text.startsWith("OCSP Response Data:\n    OCSP Response Status: successful (0x0)\n"), text);
        assertTrue(text.contains("\n      Serial Number: 100A\n    Cert Status: good\n"), text);
        assertEquals(text, cli.send("show ssl ocsp-response text " + a.certIdHex() + "\n"));
        String b64 = cli.send("show ssl ocsp-response base64 " + a.certIdHex() + "\n");
        assertArrayEquals(a.staple().der(), Base64.getDecoder().decode(b64.trim()));
        assertEquals(1, b64.trim().split("\n").length, "base64 on one line");
        String json = cli.send("show ssl ocsp-response json " + pathA + "\n");
        assertTrue(json.startsWith("[{\"id\":\"" + pathA + "\",\"path\":\"" + pathA + "\",\"certid\":\"" + a.certIdHex()
                + "\""), json);
        assertTrue(json.contains("\"responder\":\"" + responder.url() + "\""), json);
        assertTrue(json.contains("\"stapled\":true,\"cert_status\":\"good\",\"origin\":\"fetched\""), json);
        assertTrue(json.matches("(?s).*\"seconds_to_expiry\":[1-9][0-9]*,.*"), json);
        String all = cli.send("show ssl ocsp-response json\n");
        assertTrue(all.contains("\"path\":\"" + pathB + "\"") && all.contains("\"stapled\":false"), all);

        assertEquals("Certificate ID or path does not match any certificate.\n\n",
                cli.send("show ssl ocsp-response " + pathB + "\n"), "no staple yet");
        assertEquals("Certificate ID or path does not match any certificate.\n\n",
                cli.send("show ssl ocsp-response 303b3009\n"));
        assertEquals("'show ssl ocsp-response' expects a valid certid or certificate path.\n\n",
                cli.send("show ssl ocsp-response /nope.pem\n"));
        assertEquals("'show ssl ocsp-response [text|base64]' expects a valid certid.\n\n",
                cli.send("show ssl ocsp-response base64\n"));
    }

    @Test
    void pushedGoodResponseBecomesTheStaple() throws Exception {
        byte[] good = responder.responseFor(leafB.certificate().getSerialNumber(), Behaviour.GOOD);
        assertEquals("OCSP Response updated!\n\n", cli.send("set ssl ocsp-response " + b64(good) + "\n"));
        assertArrayEquals(good, b.slot().derIfValid(System.currentTimeMillis()), "the next handshake staples it");
        assertEquals(Staple.Origin.RUNTIME_API, b.staple().origin());
        assertTrue(cli.send("show ssl ocsp-response " + pathB + "\n").contains("Cert Status: good"));

        // the payload form, base64 wrapped at 76 columns as `base64` prints it
        byte[] newer = responder.responseFor(leafA.certificate().getSerialNumber(), Behaviour.DELEGATED);
        String wrapped = Base64.getMimeEncoder().encodeToString(newer).replace("\r\n", "\n");
        assertTrue(wrapped.contains("\n"));
        assertEquals("OCSP Response updated!\n\n", cli.send("set ssl ocsp-response <<\n" + wrapped + "\n\n"));
        assertArrayEquals(newer, a.slot().derIfValid(System.currentTimeMillis()));
    }

    @Test
    void forgedExpiredRevokedAndForeignResponsesAreRefusedAndTheOldStapleKept() throws Exception {
        byte[] before = a.staple().der();
        BigInteger serial = leafA.certificate().getSerialNumber();
        for (Behaviour bad : List.of(Behaviour.FORGED, Behaviour.EXPIRED, Behaviour.REVOKED, Behaviour.DELEGATED_NO_EKU)) {
            String out = cli.send("set ssl ocsp-response " + b64(responder.responseFor(serial, bad)) + "\n");
            assertTrue(out.startsWith("OCSP response for " + pathA + " refused"), bad + ": " + out);
            assertTrue(out.endsWith(".\n\n") && out.split("\n").length == 1, bad + ": " + out);
            assertArrayEquals(before, a.slot().derIfValid(System.currentTimeMillis()), bad + " must not replace the staple");
        }
        byte[] foreignResponse = foreign.responseFor(serial, Behaviour.GOOD);
        assertEquals("OCSP single response: Certificate ID does not match any certificate or issuer.\n\n",
                cli.send("set ssl ocsp-response " + b64(foreignResponse) + "\n"));
        assertEquals("'set ssl ocsp-response' received invalid base64 encoded response.\n\n",
                cli.send("set ssl ocsp-response %%%notbase64\n"));
        assertEquals("'set ssl ocsp-response' expects response in base64 encoding.\n\n",
                cli.send("set ssl ocsp-response\n"));
        String garbage = cli.send("set ssl ocsp-response " + b64("not an ocsp response".getBytes()) + "\n");
        assertTrue(garbage.endsWith(".\n\n") && !garbage.contains("updated"), garbage);
        assertArrayEquals(before, a.slot().derIfValid(System.currentTimeMillis()));
    }

    @Test
    void responseWithASha256CertIdIsRefusedNamingTheHashAndTheOldStapleKept() throws Exception {
        byte[] before = a.staple().der();
        byte[] sha256 = responder.responseFor(leafA.certificate().getSerialNumber(), Behaviour.OTHER_HASH);
        String out = cli.send("set ssl ocsp-response " + b64(sha256) + "\n");
        assertEquals("OCSP response for " + pathA + " refused: response CertID hash algorithm SHA-256, expected SHA-1"
                + " (the certificate is right, but clients look for the SHA-1 CertID).\n\n", out);
        assertArrayEquals(before, a.slot().derIfValid(System.currentTimeMillis()), "the good staple stays");
        // a certificate without a staple gets none from it either
        byte[] forB = responder.responseFor(leafB.certificate().getSerialNumber(), Behaviour.OTHER_HASH);
        assertTrue(cli.send("set ssl ocsp-response " + b64(forB) + "\n")
                .startsWith("OCSP response for " + pathB + " refused: response CertID hash algorithm SHA-256"));
        assertNull(b.staple());
    }

    @Test
    void updateFetchesNowAndPrintsTheNewResponseOrTheError() throws Exception {
        int before = responder.requestCount();
        String out = cli.send("update ssl ocsp-response " + pathA + "\n");
        assertTrue(out.startsWith("OCSP Response Data:\n"), out);
        assertTrue(out.contains("Cert Status: good"), out);
        assertTrue(responder.requestCount() > before, "a request was sent");

        byte[] kept = a.staple().der();
        responder.behaviour(leafA.certificate().getSerialNumber(), Behaviour.HTTP_500);
        String failed = cli.send("update ssl ocsp-response " + pathA + "\n");
        assertTrue(failed.endsWith("\nCan't update the OCSP response of " + pathA + "!\n\n"), failed);
        assertArrayEquals(kept, a.slot().derIfValid(System.currentTimeMillis()), "the good staple stays");

        String noUrl = cli.send("update ssl ocsp-response " + pathB + "\n");
        assertTrue(noUrl.endsWith("Can't update the OCSP response of " + pathB + "!\n\n"), noUrl);
        assertEquals("Unknown certificate! 'update ssl ocsp-response' expects an already known certificate file "
                + "name.\n\n", cli.send("update ssl ocsp-response /nope.pem\n"));
        assertEquals("'update ssl ocsp-response' expects a filename\n\n", cli.send("update ssl ocsp-response\n"));
    }

    @Test
    void updatesTableHasHaproxyColumns() throws Exception {
        String out = cli.send("show ssl ocsp-updates\n");
        List<String> lines = List.of(out.split("\n"));
        assertEquals("OCSP Certid | Path | Next Update | Last Update | Successes | Failures | Last Update Status | "
                + "Last Update Status (str)", lines.get(0));
        String date = "\\d\\d/[A-Z][a-z]{2}/\\d{4}:\\d\\d:\\d\\d:\\d\\d [+-]\\d{4}";
        String row = lines.stream().filter(l -> l.startsWith(a.certIdHex())).findFirst().orElseThrow();
        assertTrue(row.matches(java.util.regex.Pattern.quote(a.certIdHex() + " | " + pathA + " | ") + date + " \\| "
                + date + " \\| 1 \\| 0 \\| 1 \\| Update successful"), row);
        assertFalse(out.contains(pathB), "b has no responder: nothing to update");
        String json = cli.send("show ssl ocsp-updates json\n");
        assertTrue(json.contains("\"last_status_text\":\"Update successful\""), json);
    }

    @Test
    void haproxyDocumentedOneLinersWorkUnchanged() throws Exception {
        ExternalTool.assumeInstalled("socat");
        byte[] one = responder.responseFor(leafB.certificate().getSerialNumber(), Behaviour.GOOD);
        java.nio.file.Files.write(dir.resolve("resp.der"), one);
        assertEquals("OCSP Response updated!\n\n", Socat.shell(cli.socket, dir,
                "echo \"set ssl ocsp-response $(base64 -w 10000 resp.der)\" | socat stdio $SOCK"));
        assertArrayEquals(one, b.staple().der());
        byte[] two = responder.responseFor(leafB.certificate().getSerialNumber(), Behaviour.DELEGATED);
        java.nio.file.Files.write(dir.resolve("resp.der"), two);
        assertEquals("OCSP Response updated!\n\n", Socat.shell(cli.socket, dir,
                "echo -e \"set ssl ocsp-response <<\\n$(base64 resp.der)\\n\" | socat stdio $SOCK"));
        assertArrayEquals(two, b.staple().der());
        String updates = Socat.shell(cli.socket, dir, "echo \"show ssl ocsp-updates\" | socat $SOCK -");
        assertTrue(updates.startsWith("OCSP Certid | Path |"), updates);
        String update = Socat.shell(cli.socket, dir,
                "echo \"update ssl ocsp-response " + pathA + "\" | socat -t 15 stdio $SOCK");
        assertTrue(update.contains("Cert Status: good"), update);
    }

    @Test
    void ocspCommandsAreAdminOnly() throws Exception {
        try (CliClient c = cli.connect()) {
            c.write("operator;show ssl ocsp-response;set ssl ocsp-response AAAA\n");
            assertEquals("\nPermission denied\n\nPermission denied\n\n", c.readToEof(Duration.ofSeconds(10)));
        }
    }
}
