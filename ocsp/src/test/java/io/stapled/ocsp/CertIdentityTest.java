package io.stapled.ocsp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.HexFormat;

import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.Test;

import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.TestPki;

class CertIdentityTest {
    private final TestPki pki = new TestPki("CertId");

    @Test
    void sha1CertIdIsTheStandardDerThatOpensslAndHaproxyUse() throws Exception {
        IssuedCertificate leaf = pki.leaf("http://127.0.0.1:1/");
        CertIdentity id = CertIdentity.of(leaf.certificate(), pki.ca.certificate(), HashAlgorithm.SHA1);
        // BouncyCastle's own CertificateID (what OpenSSL's OCSP_cert_to_id computes) must encode identically
        CertificateID bc = new CertificateID(new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
                new JcaX509CertificateHolder(pki.ca.certificate()), leaf.certificate().getSerialNumber());
        assertArrayEquals(bc.toASN1Primitive().getEncoded("DER"), id.der());
        String hex = id.derHex();
        assertTrue(hex.startsWith("30"), hex);
        assertTrue(hex.contains("300906052b0e03021a05000414" + id.issuerNameHashHex() + "0414" + id.issuerKeyHashHex() + "02"), hex);
        assertTrue(hex.endsWith(id.serialHex()), hex);
        assertEquals(40, id.issuerNameHashHex().length());
        assertEquals(hex, hex.toLowerCase());
        assertTrue(id.matches(bc));
    }

    @Test
    void sha256CertIdMatchesOnlyItsOwnHash() throws Exception {
        IssuedCertificate leaf = pki.leaf("http://127.0.0.1:1/");
        CertIdentity sha256 = CertIdentity.of(leaf.certificate(), pki.ca.certificate(), HashAlgorithm.SHA256);
        CertIdentity sha1 = CertIdentity.of(leaf.certificate(), pki.ca.certificate(), HashAlgorithm.SHA1);
        assertEquals(64, sha256.issuerKeyHashHex().length());
        assertTrue(sha256.matches(sha256.toCertificateId()));
        assertFalse(sha1.matches(sha256.toCertificateId()));
        CertIdentity other = CertIdentity.of(pki.leaf(null).certificate(), pki.ca.certificate(), HashAlgorithm.SHA1);
        assertFalse(sha1.matches(other.toCertificateId()));
        assertEquals(sha1.serialHex(), HexFormat.of().formatHex(leaf.certificate().getSerialNumber().toByteArray()));
    }

    @Test
    void readsAiaUrlAndMustStaple() {
        IssuedCertificate plain = pki.leaf("http://ocsp.example.test/path");
        IssuedCertificate none = pki.leaf(null);
        IssuedCertificate must = pki.mustStapleLeaf("http://ocsp.example.test/");
        assertEquals(URI.create("http://ocsp.example.test/path"), CertificateFacts.ocspUrl(plain.certificate()));
        assertNull(CertificateFacts.ocspUrl(none.certificate()));
        assertFalse(CertificateFacts.mustStaple(plain.certificate()));
        assertTrue(CertificateFacts.mustStaple(must.certificate()));
    }

    @Test
    void hashNamesParse() {
        assertEquals(HashAlgorithm.SHA1, HashAlgorithm.parse("sha-1"));
        assertEquals(HashAlgorithm.SHA256, HashAlgorithm.parse("SHA256"));
        assertThrows(IllegalArgumentException.class, () -> HashAlgorithm.parse("md5"));
    }
}
