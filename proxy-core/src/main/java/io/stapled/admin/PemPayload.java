package io.stapled.admin;

import java.io.IOException;
import java.io.StringReader;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/** Reads the payloads of {@code set ssl cert}: PEM certificates and keys, a base64 OCSP response. */
final class PemPayload {

    /** The certificates (in order) and the private key (or null) of a PEM text. */
    record Parsed(List<X509Certificate> certificates, PrivateKey key) { }

    private PemPayload() { }

    static Parsed parse(String pem) throws IOException {
        List<X509Certificate> certs = new ArrayList<>();
        PrivateKey key = null;
        JcaPEMKeyConverter keys = new JcaPEMKeyConverter();
        JcaX509CertificateConverter x509 = new JcaX509CertificateConverter();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object o;
            while ((o = parser.readObject()) != null) {
                if (o instanceof X509CertificateHolder h) {
                    certs.add(x509.getCertificate(h));
                } else if (o instanceof PEMKeyPair kp) {
                    key = once(key, keys.getPrivateKey(kp.getPrivateKeyInfo()));
                } else if (o instanceof PrivateKeyInfo pki) {
                    key = once(key, keys.getPrivateKey(pki));
                } else if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
                    throw new IOException("encrypted private keys are not supported");
                }
            }
        } catch (CertificateException e) {
            throw new IOException("unreadable certificate: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IOException("unreadable PEM: " + e.getMessage(), e);
        }
        return new Parsed(certs, key);
    }

    private static PrivateKey once(PrivateKey previous, PrivateKey next) throws IOException {
        if (previous != null) {
            throw new IOException("more than one private key");
        }
        return next;
    }

    /** A base64 DER OCSP response, as HAProxy takes a {@code .ocsp} payload. */
    static byte[] ocsp(String base64) throws IOException {
        byte[] der;
        try {
            der = Base64.getDecoder().decode(base64.replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            throw new IOException("the OCSP response is not valid base64");
        }
        try {
            new OCSPResp(der);
        } catch (IOException | RuntimeException e) {
            throw new IOException("the OCSP response is not a DER OCSPResponse");
        }
        return der;
    }
}
