package io.stapled.ocsp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;

import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.CertID;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.ocsp.CertificateID;

/**
 * The OCSP CertID of one certificate under one hash: SHA-1 or SHA-256 of the issuer's DER name and of
 * the issuer's public key bits, plus the serial. Computed directly (not through a DigestCalculator) so
 * the encoding is exactly what OpenSSL and HAProxy produce, NULL hash parameters included.
 */
public record CertIdentity(HashAlgorithm hash, byte[] issuerNameHash, byte[] issuerKeyHash, BigInteger serial) {

    private static final HexFormat HEX = HexFormat.of();

    public static CertIdentity of(X509Certificate leaf, X509Certificate issuer, HashAlgorithm hash) {
        return of(leaf.getSerialNumber(), issuer, hash);
    }

    /** The same certificate's CertID under {@code other}, to tell a hash mismatch from a wrong certificate. */
    CertIdentity inHash(HashAlgorithm other, X509Certificate issuer) {
        return other == hash ? this : of(serial, issuer, other);
    }

    private static CertIdentity of(BigInteger serial, X509Certificate issuer, HashAlgorithm hash) {
        try {
            Certificate issuerCert = Certificate.getInstance(issuer.getEncoded());
            byte[] name = issuerCert.getSubject().getEncoded(ASN1Encoding.DER);
            SubjectPublicKeyInfo spki = issuerCert.getSubjectPublicKeyInfo();
            byte[] key = spki.getPublicKeyData().getBytes();
            return new CertIdentity(hash, digest(hash, name), digest(hash, key), serial);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode issuer " + issuer.getSubjectX500Principal(), e);
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalArgumentException("cannot encode issuer " + issuer.getSubjectX500Principal(), e);
        }
    }

    private static byte[] digest(HashAlgorithm hash, byte[] data) {
        try {
            return MessageDigest.getInstance(hash.displayName()).digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(hash + " is unavailable", e);
        }
    }

    public CertID toAsn1() {
        return new CertID(hash.algorithmIdentifier(), new DEROctetString(issuerNameHash),
                new DEROctetString(issuerKeyHash), new ASN1Integer(serial));
    }

    public CertificateID toCertificateId() {
        return new CertificateID(toAsn1());
    }

    /** The DER CertID, as HAProxy keys its OCSP tree and prints it as "Certificate ID key". */
    public byte[] der() {
        try {
            return toAsn1().getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String derHex() {
        return HEX.formatHex(der());
    }

    public String issuerNameHashHex() {
        return HEX.formatHex(issuerNameHash);
    }

    public String issuerKeyHashHex() {
        return HEX.formatHex(issuerKeyHash);
    }

    /** The serial's DER integer content bytes in lowercase hex (a leading 00 kept for positive high bit). */
    public String serialHex() {
        return HEX.formatHex(serial.toByteArray());
    }

    /**
     * True if a CertID from a response names this certificate: same hash algorithm, hashes and serial.
     * The algorithm's parameters are ignored (some responders omit the NULL).
     */
    public boolean matches(CertificateID other) {
        return hash.oid().equals(other.getHashAlgOID())
                && Arrays.equals(issuerNameHash, other.getIssuerNameHash())
                && Arrays.equals(issuerKeyHash, other.getIssuerKeyHash())
                && serial.equals(other.getSerialNumber());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CertIdentity c && hash == c.hash && Arrays.equals(issuerNameHash, c.issuerNameHash)
                && Arrays.equals(issuerKeyHash, c.issuerKeyHash) && serial.equals(c.serial);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * hash.hashCode() + Arrays.hashCode(issuerKeyHash)) + serial.hashCode();
    }

    @Override
    public String toString() {
        return "CertID[" + hash + " serial " + serialHex() + "]";
    }
}
