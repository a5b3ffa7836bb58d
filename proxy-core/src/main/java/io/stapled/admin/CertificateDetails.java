package io.stapled.admin;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;

import org.bouncycastle.asn1.x500.X500Name;

/** The certificate lines of HAProxy's {@code show ssl cert <file>}. */
final class CertificateDetails {
    private CertificateDetails() { }

    static String render(List<X509Certificate> chain) {
        X509Certificate cert = chain.get(0);
        StringBuilder sb = new StringBuilder();
        sb.append("Serial: ").append(OcspResponseText.serial(cert.getSerialNumber())).append('\n');
        sb.append("notBefore: ").append(OcspResponseText.time(cert.getNotBefore())).append('\n');
        sb.append("notAfter: ").append(OcspResponseText.time(cert.getNotAfter())).append('\n');
        sb.append("Subject Alternative Name: ").append(sans(cert)).append('\n');
        sb.append("Algorithm: ").append(algorithm(cert)).append('\n');
        sb.append("SHA1 FingerPrint: ").append(sha1(cert)).append('\n');
        sb.append("Subject: ").append(name(cert.getSubjectX500Principal().getEncoded())).append('\n');
        sb.append("Issuer: ").append(name(cert.getIssuerX500Principal().getEncoded())).append('\n');
        for (X509Certificate ca : chain.subList(1, chain.size())) {
            sb.append("Chain Subject: ").append(name(ca.getSubjectX500Principal().getEncoded())).append('\n');
            sb.append("Chain Issuer: ").append(name(ca.getIssuerX500Principal().getEncoded())).append('\n');
        }
        return sb.toString();
    }

    private static String name(byte[] der) {
        return OcspResponseText.slashed(X500Name.getInstance(der));
    }

    private static String sans(X509Certificate cert) {
        List<String> out = new ArrayList<>();
        try {
            Collection<List<?>> names = cert.getSubjectAlternativeNames();
            if (names != null) {
                for (List<?> n : names) {
                    if (Integer.valueOf(2).equals(n.get(0))) {
                        out.add("DNS:" + n.get(1));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return "";
        }
        return String.join(", ", out);
    }

    /** HAProxy's {@code RSA2048} / {@code EC256}. */
    static String algorithm(X509Certificate cert) {
        if (cert.getPublicKey() instanceof RSAPublicKey rsa) {
            return "RSA" + rsa.getModulus().bitLength();
        }
        if (cert.getPublicKey() instanceof ECPublicKey ec) {
            return "EC" + ec.getParams().getCurve().getField().getFieldSize();
        }
        return cert.getPublicKey().getAlgorithm();
    }

    private static String sha1(X509Certificate cert) {
        try {
            return HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-1").digest(cert.getEncoded()));
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            return "";
        }
    }
}
