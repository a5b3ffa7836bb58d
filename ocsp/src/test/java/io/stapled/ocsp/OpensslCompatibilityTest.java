package io.stapled.ocsp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.cert.ocsp.OCSPReq;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.responder.OcspResponderServer;
import io.stapled.testkit.responder.OcspResponderServer.Behaviour;
import io.stapled.testkit.TestPki;

/**
 * File-level compatibility with the openssl command (skipped where it is not installed): our CertID
 * equals the one {@code openssl ocsp} puts in its requests, a response {@code openssl ocsp} signs
 * verifies here, and our responder's responses verify in {@code openssl ocsp}.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class OpensslCompatibilityTest {
    @TempDir
    Path dir;
    private final TestPki pki = new TestPki("Openssl");

    @BeforeAll
    static void needsOpenssl() {
        boolean present;
        try {
            present = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            present = false;
        }
        if (!present && "true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError("openssl is not installed, and CI must run the interop tests (.ci/run installs it)");
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(present, "openssl is not installed");
    }

    private String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "openssl hung: " + String.join(" ", command));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join(" ", command) + "\n" + out);
        return out;
    }

    private void writePki(IssuedCertificate leaf) throws IOException {
        Files.writeString(dir.resolve("root.pem"), pki.root.certificatePem());
        Files.writeString(dir.resolve("ca.pem"), pki.ca.certificatePem());
        Files.writeString(dir.resolve("ca.key"), pki.ca.privateKeyPem());
        Files.writeString(dir.resolve("leaf.pem"), leaf.certificatePem());
        String expiry = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC)
                .format(leaf.certificate().getNotAfter().toInstant());
        String serial = leaf.certificate().getSerialNumber().toString(16).toUpperCase(Locale.ROOT);
        if (serial.length() % 2 == 1) {
            serial = "0" + serial;
        }
        Files.writeString(dir.resolve("index.txt"), "V\t" + expiry + "\t\t" + serial + "\tunknown\t/CN=leaf\n");
    }

    @Test
    void opensslRequestCarriesTheSameCertId() throws Exception {
        IssuedCertificate leaf = pki.leaf("http://127.0.0.1:1/");
        writePki(leaf);
        run("openssl", "ocsp", "-issuer", "ca.pem", "-cert", "leaf.pem", "-no_nonce", "-reqout", "req.der");
        OCSPReq req = new OCSPReq(Files.readAllBytes(dir.resolve("req.der")));
        CertIdentity ours = CertIdentity.of(leaf.certificate(), pki.ca.certificate(), HashAlgorithm.SHA1);
        assertArrayEquals(ours.der(), req.getRequestList()[0].getCertID().toASN1Primitive().getEncoded("DER"));
        // and our whole request is what openssl would send without a nonce
        assertArrayEquals(Files.readAllBytes(dir.resolve("req.der")), OcspRequest.build(ours, false, new Random()).der());
    }

    @Test
    void responsesSignedByOpensslVerify() throws Exception {
        IssuedCertificate leaf = pki.leaf("http://127.0.0.1:1/");
        writePki(leaf);
        CertIdentity id = CertIdentity.of(leaf.certificate(), pki.ca.certificate(), HashAlgorithm.SHA1);
        Files.write(dir.resolve("req.der"), OcspRequest.build(id, true, new Random()).der());
        List<String> variants = List.of("byName", "byKey");
        for (String v : variants) {
            List<String> cmd = new ArrayList<>(List.of("openssl", "ocsp", "-index", "index.txt", "-rsigner", "ca.pem",
                    "-rkey", "ca.key", "-CA", "ca.pem", "-reqin", "req.der", "-respout", "resp-" + v + ".der",
                    "-ndays", "1"));
            if (v.equals("byKey")) {
                cmd.add("-resp_key_id");
                cmd.add("-resp_no_certs");
            }
            run(cmd.toArray(String[]::new));
            byte[] der = Files.readAllBytes(dir.resolve("resp-" + v + ".der"));
            VerifiedResponse r = new OcspVerifier(java.time.Duration.ofMinutes(5))
                    .verify(der, id, pki.ca.certificate(), Instant.now(), null);
            assertEquals(Staple.CertStatus.GOOD, r.status(), v);
        }
    }

    @Test
    void ourResponderIsAcceptedByOpenssl() throws Exception {
        IssuedCertificate leaf = pki.leaf("http://127.0.0.1:1/");
        writePki(leaf);
        try (OcspResponderServer responder = OcspResponderServer.builder(pki.ca).start()) {
            for (Behaviour b : List.of(Behaviour.GOOD, Behaviour.DELEGATED)) {
                Files.write(dir.resolve("ours.der"), responder.responseFor(leaf.certificate().getSerialNumber(), b));
                Files.writeString(dir.resolve("chain.pem"), pki.ca.certificatePem() + pki.root.certificatePem());
                String out = run("openssl", "ocsp", "-respin", "ours.der", "-CAfile", "chain.pem", "-issuer", "ca.pem",
                        "-cert", "leaf.pem");
                assertTrue(out.contains("Response verify OK"), b + ": " + out);
                assertTrue(out.contains("leaf.pem: good"), b + ": " + out);
            }
        }
    }
}
