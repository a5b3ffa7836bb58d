package io.stapled.bench;

import java.time.Duration;

import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.pki.KeyPairs;
import io.stapled.testkit.responder.OcspResponderServer;

/**
 * The PKI every benchmark uses, made at run time: root, intermediate, an ECDSA P-256 and an RSA-2048
 * leaf, and a GOOD OCSP response for each leaf from the project's own responder (the same bytes a
 * real responder would send: a signed BasicOCSPResponse of realistic size).
 */
public final class BenchPki {
    public final IssuedCertificate root;
    public final IssuedCertificate intermediate;
    public final IssuedCertificate ecdsaLeaf;
    public final IssuedCertificate rsaLeaf;
    public final byte[] ecdsaStaple;
    public final byte[] rsaStaple;

    private BenchPki() {
        root = CertificateBuilder.subject("CN=stapled bench root").ca().build();
        intermediate = CertificateBuilder.subject("CN=stapled bench intermediate").ca().issuer(root).build();
        ecdsaLeaf = leaf("ecdsa.bench.test", KeyPairs.ecP256());
        rsaLeaf = leaf("rsa.bench.test", KeyPairs.rsa(2048));
        try (OcspResponderServer responder = OcspResponderServer.builder(intermediate)
                .validity(Duration.ofMinutes(-1), Duration.ofDays(7)).start()) {
            ecdsaStaple = responder.responseFor(ecdsaLeaf.certificate().getSerialNumber(),
                    OcspResponderServer.Behaviour.GOOD);
            rsaStaple = responder.responseFor(rsaLeaf.certificate().getSerialNumber(),
                    OcspResponderServer.Behaviour.GOOD);
        }
    }

    private IssuedCertificate leaf(String name, java.security.KeyPair keys) {
        return CertificateBuilder.subject("CN=" + name).issuer(intermediate).keyPair(keys)
                .dnsNames(name, "*." + name).ocspUrl("http://127.0.0.1:9/").build();
    }

    public static BenchPki create() {
        return new BenchPki();
    }

    public IssuedCertificate leaf(boolean ecdsa) {
        return ecdsa ? ecdsaLeaf : rsaLeaf;
    }

    public byte[] staple(boolean ecdsa) {
        return ecdsa ? ecdsaStaple : rsaStaple;
    }
}
