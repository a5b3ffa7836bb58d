package io.stapled.metrics;

import java.time.Instant;
import java.util.Date;

import io.stapled.ocsp.Staple;
import io.stapled.ocsp.pki.CertificateBuilder;
import io.stapled.ocsp.pki.IssuedCertificate;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.jcajce.JcaBasicOCSPRespBuilder;
import org.bouncycastle.operator.DigestCalculatorProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/** Run-time PKI for the metrics tests: a root, an intermediate, ECDSA leaves, good staples. */
final class TestCerts {
    static final IssuedCertificate ROOT = CertificateBuilder.subject("CN=stapled metrics test root").ca().build();
    static final IssuedCertificate INTERMEDIATE = CertificateBuilder.subject("CN=stapled metrics test intermediate")
            .issuer(ROOT).ca().build();

    private TestCerts() { }

    static IssuedCertificate leaf(String name) {
        return CertificateBuilder.subject("CN=" + name).issuer(INTERMEDIATE).dnsNames(name)
                .ocspUrl("http://127.0.0.1:1/ocsp").build();
    }

    /** A good response for {@code leaf} signed by its issuer, with the given times. */
    static Staple staple(IssuedCertificate leaf, Instant producedAt, Instant thisUpdate, Instant nextUpdate) {
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
}
