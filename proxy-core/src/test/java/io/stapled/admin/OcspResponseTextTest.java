package io.stapled.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.pki.KeyPairs;
import io.stapled.testing.ExternalTool;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.RespID;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The OCSP response text is line for line what {@code openssl ocsp -respin -resp_text} prints. */
class OcspResponseTextTest {
    @TempDir
    Path dir;

    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    static byte[] response(IssuedCertificate signer, IssuedCertificate leaf, CertificateStatus status,
                           boolean byKey, boolean nonce, boolean includeSigner) throws Exception {
        X509CertificateHolder issuerHolder = new X509CertificateHolder(leaf.issuer().certificate().getEncoded());
        CertificateID id = new CertificateID(new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
                issuerHolder, leaf.certificate().getSerialNumber());
        X509CertificateHolder signerHolder = new X509CertificateHolder(signer.certificate().getEncoded());
        RespID rid = byKey
                ? new RespID(signerHolder.getSubjectPublicKeyInfo(),
                        new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1))
                : new RespID(signerHolder.getSubject());
        BasicOCSPRespBuilder b = new BasicOCSPRespBuilder(rid);
        b.addResponse(id, status, Date.from(NOW.minusSeconds(60)), Date.from(NOW.plus(7, ChronoUnit.DAYS)), null);
        if (nonce) {
            b.setResponseExtensions(new Extensions(new Extension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false,
                    new DEROctetString(new DEROctetString(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}).getEncoded()))));
        }
        String alg = signer.keyPair().getPrivate().getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        X509CertificateHolder[] chain = includeSigner ? new X509CertificateHolder[] {signerHolder} : null;
        return new OCSPRespBuilder().build(OCSPRespBuilder.SUCCESSFUL,
                b.build(new JcaContentSignerBuilder(alg).build(signer.keyPair().getPrivate()), chain,
                        Date.from(NOW))).getEncoded();
    }

    private String openssl(byte[] der) throws Exception {
        ExternalTool.assumeInstalled("openssl");
        Path f = Files.write(dir.resolve("resp.der"), der);
        Process p = new ProcessBuilder("openssl", "ocsp", "-respin", f.toString(), "-resp_text", "-noverify")
                .redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        return out;
    }

    /** OpenSSL's lines up to the first carried certificate (which stapled summarises). */
    private static List<String> beforeCertificates(String text) {
        int cut = text.indexOf("\nCertificate:\n");
        return List.of((cut < 0 ? text : text.substring(0, cut + 1)).split("\n"));
    }

    @Test
    void goodResponseByNameMatchesOpenssl() throws Exception {
        IssuedCertificate ca = CertificateBuilder.subject("C=FR, O=stapled tests, CN=Test Root, E=ca@example.test").keyPair(KeyPairs.ecP256()).ca().build();
        IssuedCertificate leaf = CertificateBuilder.subject("CN=site.example").issuer(ca).keyPair(KeyPairs.ecP256())
                .serial(new BigInteger("100a", 16)).dnsNames("site.example").build();
        byte[] der = response(ca, leaf, CertificateStatus.GOOD, false, false, false);
        String ours = OcspResponseText.render(der);
        assertEquals(beforeCertificates(openssl(der)), beforeCertificates(ours));
        assertTrue(ours.contains("\n    Responder Id: C = FR, O = stapled tests, CN = Test Root, emailAddress = ca@example.test\n"), ours);
        assertTrue(ours.contains("\n      Serial Number: 100A\n"), ours);
    }

    @Test
    void revokedByKeyWithNonceAndRsaSignerMatchesOpenssl() throws Exception {
        IssuedCertificate ca = CertificateBuilder.subject("CN=RSA Root").keyPair(KeyPairs.rsa(2048)).ca().build();
        IssuedCertificate leaf = CertificateBuilder.subject("CN=revoked.example").issuer(ca).keyPair(KeyPairs.ecP256())
                .serial(new BigInteger("ff01", 16)).build();
        byte[] der = response(ca, leaf, new RevokedStatus(Date.from(NOW.minusSeconds(3600)), CRLReason.keyCompromise),
                true, true, true);
        String ours = OcspResponseText.render(der);
        String theirs = openssl(der);
        assertEquals(beforeCertificates(theirs), beforeCertificates(ours));
        assertTrue(ours.contains("Cert Status: revoked\n    Revocation Time: "), ours);
        assertTrue(ours.contains("Revocation Reason: keyCompromise (0x1)"), ours);
        assertTrue(ours.contains("\nCertificate:\n") && ours.contains("-----BEGIN CERTIFICATE-----"), ours);
    }

    @Test
    void nonSuccessfulStatusAndGarbage() throws Exception {
        byte[] der = new OCSPRespBuilder().build(OCSPRespBuilder.UNAUTHORIZED, null).getEncoded();
        // The openssl app only says "Responder Error"; OCSP_RESPONSE_print (what HAProxy calls) prints this.
        assertTrue(openssl(der).startsWith("Responder Error: unauthorized (6)"));
        assertEquals("OCSP Response Data:\n    OCSP Response Status: unauthorized (0x6)\n", OcspResponseText.render(der));
        assertEquals("Unable to parse OCSP response\n", OcspResponseText.render(new byte[] {1, 2, 3}));
    }
}
