package io.stapled.testing;

import java.math.BigInteger;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

import io.stapled.ocsp.Staple;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.pki.KeyPairs;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.jcajce.JcaBasicOCSPRespBuilder;
import org.bouncycastle.operator.DigestCalculatorProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/** A throwaway PKI shared by the TLS and metrics tests: one root, one intermediate, leaves made on demand. */
public final class TestPki {
    private static final KeyPair RSA_KEY = KeyPairs.rsa(2048);

    public static final IssuedCertificate ROOT = CertificateBuilder.subject("CN=stapled test root").ca().build();
    public static final IssuedCertificate INTERMEDIATE = CertificateBuilder.subject("CN=stapled test intermediate")
            .issuer(ROOT).ca().build();

    private TestPki() { }

    public static IssuedCertificate ecLeaf(String cn, String... names) {
        return CertificateBuilder.subject("CN=" + cn).issuer(INTERMEDIATE).dnsNames(names)
                .ocspUrl("http://127.0.0.1:1/ocsp").build();
    }

    /** RSA leaves share one key: generating 2048-bit keys per test is slow and proves nothing. */
    public static IssuedCertificate rsaLeaf(String cn, String... names) {
        return CertificateBuilder.subject("CN=" + cn).issuer(INTERMEDIATE).keyPair(RSA_KEY).dnsNames(names).build();
    }

    /** A good OCSP response for {@code leaf}, signed by its issuer, valid for {@code validity}. */
    public static Staple goodStaple(IssuedCertificate leaf, Duration validity) {
        Instant now = Instant.now();
        return staple(leaf, now, now.minusSeconds(60), now.plus(validity));
    }

    /** A good OCSP response for {@code leaf}, signed by its issuer, with the given times. */
    public static Staple staple(IssuedCertificate leaf, Instant producedAt, Instant thisUpdate, Instant nextUpdate) {
        try {
            IssuedCertificate issuer = leaf.issuer();
            DigestCalculatorProvider digests = new JcaDigestCalculatorProviderBuilder().build();
            CertificateID id = new CertificateID(digests.get(CertificateID.HASH_SHA1),
                    new JcaX509CertificateHolder(issuer.certificate()), leaf.certificate().getSerialNumber());
            JcaBasicOCSPRespBuilder b = new JcaBasicOCSPRespBuilder(issuer.keyPair().getPublic(),
                    digests.get(CertificateID.HASH_SHA1));
            b.addResponse(id, CertificateStatus.GOOD, Date.from(thisUpdate), Date.from(nextUpdate));
            BasicOCSPResp basic = b.build(new JcaContentSignerBuilder("SHA256withECDSA")
                    .build(issuer.keyPair().getPrivate()), new X509CertificateHolder[0], Date.from(producedAt));
            byte[] der = new OCSPRespBuilder().build(OCSPRespBuilder.SUCCESSFUL, basic).getEncoded();
            return new Staple(der, Staple.CertStatus.GOOD, thisUpdate, nextUpdate, producedAt, Staple.Origin.FETCHED,
                    producedAt);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static boolean isSuccessfulOcsp(byte[] der) throws java.io.IOException {
        return new OCSPResp(der).getStatus() == OCSPRespBuilder.SUCCESSFUL;
    }

    public static BigInteger serial(IssuedCertificate c) {
        return c.certificate().getSerialNumber();
    }
}
