package io.stapled.ocsp;

import java.math.BigInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;

/** A throwaway CA and leaves for the OCSP tests. */
final class TestPki {
    private static final AtomicLong SERIAL = new AtomicLong(0x1000);

    final IssuedCertificate root;
    final IssuedCertificate ca;

    TestPki(String name) {
        root = CertificateBuilder.subject("CN=" + name + " Root").ca().build();
        ca = CertificateBuilder.subject("CN=" + name + " Issuing CA").issuer(root).ca().build();
    }

    IssuedCertificate leaf(String ocspUrl) {
        CertificateBuilder b = CertificateBuilder.subject("CN=leaf" + SERIAL.get() + ".example")
                .issuer(ca).dnsNames("leaf.example").serial(BigInteger.valueOf(SERIAL.incrementAndGet()));
        if (ocspUrl != null) {
            b.ocspUrl(ocspUrl);
        }
        return b.build();
    }

    IssuedCertificate mustStapleLeaf(String ocspUrl) {
        return CertificateBuilder.subject("CN=muststaple.example").issuer(ca).dnsNames("muststaple.example")
                .serial(BigInteger.valueOf(SERIAL.incrementAndGet())).ocspUrl(ocspUrl).mustStaple().build();
    }

    static OcspSubject subject(IssuedCertificate leaf) {
        return OcspSubject.of("cert-" + leaf.certificate().getSerialNumber(), leaf.certificate(),
                leaf.issuer().certificate(), null);
    }

    static BigInteger serial(IssuedCertificate leaf) {
        return leaf.certificate().getSerialNumber();
    }
}
