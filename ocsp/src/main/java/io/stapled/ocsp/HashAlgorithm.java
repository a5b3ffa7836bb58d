package io.stapled.ocsp;

import java.util.Locale;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.oiw.OIWObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;

/** The hash used in an OCSP CertID. SHA-1 is what responders (and RFC 5019 profiles) expect. */
public enum HashAlgorithm {
    SHA1(OIWObjectIdentifiers.idSHA1, "SHA-1"),
    SHA256(NISTObjectIdentifiers.id_sha256, "SHA-256");

    private final ASN1ObjectIdentifier oid;
    private final String displayName;

    HashAlgorithm(ASN1ObjectIdentifier oid, String displayName) {
        this.oid = oid;
        this.displayName = displayName;
    }

    /** "SHA-1" / "SHA-256", as messages name it (and as the JDK's MessageDigest does). */
    public String displayName() {
        return displayName;
    }

    public ASN1ObjectIdentifier oid() {
        return oid;
    }

    /** With explicit NULL parameters, as OpenSSL and HAProxy encode it. */
    AlgorithmIdentifier algorithmIdentifier() {
        return new AlgorithmIdentifier(oid, DERNull.INSTANCE);
    }

    /** Accepts "SHA1", "sha-1", "SHA256", "sha-256". */
    public static HashAlgorithm parse(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT).replace("-", "");
        switch (n) {
            case "SHA1": return SHA1;
            case "SHA256": return SHA256;
            default: throw new IllegalArgumentException("unsupported OCSP CertID hash '" + name + "' (use SHA1 or SHA256)");
        }
    }

    static HashAlgorithm forOid(ASN1ObjectIdentifier oid) {
        for (HashAlgorithm h : values()) {
            if (h.oid.equals(oid)) {
                return h;
            }
        }
        return null;
    }
}
