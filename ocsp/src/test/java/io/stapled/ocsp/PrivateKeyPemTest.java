package io.stapled.ocsp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.junit.jupiter.api.Test;

import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.pki.KeyPairs;

/** Keys are written as PKCS#8 so OpenSSL, HAProxy and Netty can read them (EC curve included). */
class PrivateKeyPemTest {
    @Test
    void ecAndRsaKeysArePkcs8AndRoundTrip() throws Exception {
        IssuedCertificate ec = CertificateBuilder.subject("CN=ec").build();
        IssuedCertificate rsa = CertificateBuilder.subject("CN=rsa").keyPair(KeyPairs.rsa(2048)).build();
        for (IssuedCertificate c : new IssuedCertificate[] {ec, rsa}) {
            String pem = c.privateKeyPem();
            assertTrue(pem.startsWith("-----BEGIN PRIVATE KEY-----"), pem);
            try (PEMParser p = new PEMParser(new StringReader(pem))) {
                PrivateKeyInfo info = (PrivateKeyInfo) p.readObject();
                assertArrayEquals(c.keyPair().getPrivate().getEncoded(),
                        new JcaPEMKeyConverter().getPrivateKey(info).getEncoded());
            }
        }
    }
}
