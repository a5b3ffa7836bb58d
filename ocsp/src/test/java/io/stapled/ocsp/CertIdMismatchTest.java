package io.stapled.ocsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.ocsp.BasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.RespID;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.TestPki;

/**
 * What the verifier says when no single response is this certificate's in its managed hash, for
 * responses correctly signed by the issuer: the hash named when that is the only difference (also
 * when it is not the first single response), another issuer, another serial.
 */
class CertIdMismatchTest {
    private final TestPki pki = new TestPki("Mismatch");
    private final TestPki foreign = new TestPki("Mismatch Foreign");
    private final IssuedCertificate leaf = pki.leaf(null);
    private final IssuedCertificate other = pki.leaf(null);
    private final OcspVerifier verifier = new OcspVerifier(Duration.ofMinutes(5));
    private final CertIdentity sha1 = id(leaf, pki.ca, HashAlgorithm.SHA1);

    private static CertIdentity id(IssuedCertificate cert, IssuedCertificate issuer, HashAlgorithm hash) {
        return CertIdentity.of(cert.certificate(), issuer.certificate(), hash);
    }

    /** A good response with one single response per CertID, signed by the issuing CA. */
    private byte[] response(List<CertIdentity> ids) throws Exception {
        Instant now = Instant.now();
        BasicOCSPRespBuilder b = new BasicOCSPRespBuilder(new RespID(
                X500Name.getInstance(pki.ca.certificate().getSubjectX500Principal().getEncoded())));
        for (CertIdentity id : ids) {
            b.addResponse(new CertificateID(id.toAsn1()), CertificateStatus.GOOD, Date.from(now.minusSeconds(60)),
                    Date.from(now.plus(Duration.ofHours(1))), null);
        }
        PrivateKey key = pki.ca.keyPair().getPrivate();
        String alg = "RSA".equals(key.getAlgorithm()) ? "SHA256withRSA" : "SHA256withECDSA";
        return new OCSPRespBuilder().build(OCSPRespBuilder.SUCCESSFUL,
                b.build(new JcaContentSignerBuilder(alg).build(key), null, Date.from(now))).getEncoded();
    }

    private String refusal(List<CertIdentity> ids) throws Exception {
        byte[] der = response(ids);
        return assertThrows(OcspVerificationException.class,
                () -> verifier.verify(der, sha1, pki.ca.certificate(), Instant.now(), null)).getMessage();
    }

    @Test
    void theHashIsNamedWhenItIsTheOnlyDifferenceEvenBehindAnotherCertificatesSingleResponse() throws Exception {
        String why = refusal(List.of(id(other, pki.ca, HashAlgorithm.SHA1), id(leaf, pki.ca, HashAlgorithm.SHA256)));
        assertEquals("response CertID hash algorithm SHA-256, expected SHA-1 (the certificate is right, but clients"
                + " look for the SHA-1 CertID)", why);
    }

    @Test
    void aResponseCarryingThisCertificatesManagedHashCertIdAmongOthersIsAccepted() throws Exception {
        byte[] der = response(List.of(id(leaf, pki.ca, HashAlgorithm.SHA256), id(other, pki.ca, HashAlgorithm.SHA1),
                sha1));
        assertEquals(Staple.CertStatus.GOOD,
                verifier.verify(der, sha1, pki.ca.certificate(), Instant.now(), null).status());
    }

    @Test
    void sameSerialFromAnotherIssuerAndAnotherSerialAreToldApart() throws Exception {
        assertEquals("response is for serial " + sha1.serial().toString(16) + " of another issuer (issuer hashes differ)",
                refusal(List.of(id(leaf, foreign.ca, HashAlgorithm.SHA1))));
        assertEquals("response is for another certificate (serial " + TestPki.serial(other).toString(16)
                + "), not serial " + sha1.serial().toString(16), refusal(List.of(id(other, pki.ca, HashAlgorithm.SHA1))));
    }
}
