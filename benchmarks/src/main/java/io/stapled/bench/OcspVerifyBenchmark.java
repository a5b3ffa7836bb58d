package io.stapled.bench;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import io.stapled.ocsp.CertIdentity;
import io.stapled.ocsp.HashAlgorithm;
import io.stapled.ocsp.OcspVerificationException;
import io.stapled.ocsp.OcspVerifier;
import io.stapled.ocsp.VerifiedResponse;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.pki.KeyPairs;
import io.stapled.testkit.responder.OcspResponderServer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What accepting one OCSP response costs (BouncyCastle): parse the DER, check the signature (by the
 * issuer itself, or by a delegated responder whose certificate is checked too), match the CertID,
 * check the times and the status. This runs once per certificate per refresh, off the handshake
 * path; the number says how many certificates one core can keep fresh.
 */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.SECONDS)
public class OcspVerifyBenchmark extends ShortRun {

    /** The issuing CA's key, which signs the responses (directly or through the delegated responder). */
    @Param({"ecdsa", "rsa"})
    public String issuerKey;

    @Param({"issuer", "delegated"})
    public String signer;

    private final OcspVerifier verifier = new OcspVerifier(Duration.ofMinutes(5));
    private byte[] der;
    private CertIdentity id;
    private X509Certificate issuer;

    @Setup(Level.Trial)
    public void setUp() throws OcspVerificationException {
        IssuedCertificate root = CertificateBuilder.subject("CN=stapled bench root").ca().build();
        IssuedCertificate ca = CertificateBuilder.subject("CN=stapled bench " + issuerKey + " CA").ca()
                .issuer(root).keyPair("rsa".equals(issuerKey) ? KeyPairs.rsa(2048) : KeyPairs.ecP256()).build();
        IssuedCertificate leaf = CertificateBuilder.subject("CN=leaf.bench.test").issuer(ca)
                .dnsNames("leaf.bench.test").build();
        try (OcspResponderServer responder = OcspResponderServer.builder(ca)
                .validity(Duration.ofMinutes(-1), Duration.ofDays(7)).start()) {
            der = responder.responseFor(leaf.certificate().getSerialNumber(), "delegated".equals(signer)
                    ? OcspResponderServer.Behaviour.DELEGATED : OcspResponderServer.Behaviour.GOOD);
        }
        issuer = ca.certificate();
        id = CertIdentity.of(leaf.certificate(), issuer, HashAlgorithm.SHA1);
        verify(); // fails the trial at once if the response would not be accepted
    }

    @Benchmark
    public VerifiedResponse verify() throws OcspVerificationException {
        return verifier.verify(der, id, issuer, Instant.now(), null);
    }
}
