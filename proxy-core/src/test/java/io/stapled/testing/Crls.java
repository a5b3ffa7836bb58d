package io.stapled.testing;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import io.stapled.testkit.pki.IssuedCertificate;

/** Writes CRLs made at run time with BouncyCastle, as {@code openssl ca -gencrl} would. */
public final class Crls {
    private Crls() { }

    /**
     * Writes (atomically, by a rename) a PEM CRL of {@code ca} revoking {@code revoked}, valid for a week.
     */
    public static Path write(Path file, IssuedCertificate ca, List<BigInteger> revoked) {
        try {
            Instant now = Instant.now();
            X509v2CRLBuilder b = new X509v2CRLBuilder(
                    new X500Name(ca.certificate().getSubjectX500Principal().getName()), Date.from(now.minusSeconds(60)));
            b.setNextUpdate(Date.from(now.plus(Duration.ofDays(7))));
            for (BigInteger s : revoked) {
                b.addCRLEntry(s, Date.from(now.minusSeconds(30)), CRLReason.keyCompromise);
            }
            String alg = "RSA".equals(ca.keyPair().getPrivate().getAlgorithm()) ? "SHA256withRSA" : "SHA256withECDSA";
            X509CRLHolder crl = b.build(new JcaContentSignerBuilder(alg).build(ca.keyPair().getPrivate()));
            String pem = "-----BEGIN X509 CRL-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(crl.getEncoded())
                    + "\n-----END X509 CRL-----\n";
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, pem);
            return Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (Exception e) {
            throw new IllegalStateException("cannot write a CRL to " + file, e);
        }
    }
}
