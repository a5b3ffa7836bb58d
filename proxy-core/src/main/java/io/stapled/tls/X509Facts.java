package io.stapled.tls;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;

/** What stapled needs to know about a certificate, read from its extensions. */
final class X509Facts {
    private static final int SAN_DNS = 2;

    private X509Facts() { }

    /** Lower-case SAN DNS names, else the lower-case CN, else nothing. */
    static List<String> dnsNames(X509Certificate cert) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (((Integer) san.get(0)) == SAN_DNS) {
                        names.add(normalize((String) san.get(1)));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // an unparsable SAN extension leaves the CN as the only name, as HAProxy does
        }
        if (names.isEmpty()) {
            X500Name subject = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
            RDN[] cns = subject.getRDNs(BCStyle.CN);
            if (cns.length > 0) {
                names.add(normalize(IETFUtils.valueToString(cns[0].getFirst().getValue())));
            }
        }
        return names;
    }

    /** Lower case, no trailing dot: the form SNI lookups use. */
    static String normalize(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    static KeyType keyType(X509Certificate cert) {
        return switch (cert.getPublicKey().getAlgorithm()) {
            case "EC" -> KeyType.EC;
            case "RSA" -> KeyType.RSA;
            default -> null;
        };
    }

    /**
     * True when {@code key} is the private half of {@code cert}'s public key. An RSA key carries its
     * public modulus and exponent, so they are compared; other keys sign and verify a challenge (a
     * cold RSA signature in the JDK costs ~100 ms of start-up).
     */
    static boolean keyMatches(X509Certificate cert, PrivateKey key) {
        PublicKey pub = cert.getPublicKey();
        if (!pub.getAlgorithm().equals(key.getAlgorithm())) {
            return false;
        }
        if (pub instanceof RSAPublicKey rsa && key instanceof RSAPrivateCrtKey crt) {
            return rsa.getModulus().equals(crt.getModulus()) && rsa.getPublicExponent().equals(crt.getPublicExponent());
        }
        String alg = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "DSA" -> "SHA256withDSA"; // matched so that it is refused as DSA, not as a mismatch
            default -> "SHA256withECDSA";
        };
        byte[] challenge = new byte[32];
        new SecureRandom().nextBytes(challenge);
        try {
            Signature signer = Signature.getInstance(alg);
            signer.initSign(key);
            signer.update(challenge);
            byte[] sig = signer.sign();
            Signature verifier = Signature.getInstance(alg);
            verifier.initVerify(pub);
            verifier.update(challenge);
            return verifier.verify(sig);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /** True when {@code issuer} issued {@code cert}: names chain and the signature verifies. */
    static boolean issued(X509Certificate issuer, X509Certificate cert) {
        if (!issuer.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
            return false;
        }
        try {
            cert.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }
}
