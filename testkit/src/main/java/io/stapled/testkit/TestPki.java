package io.stapled.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

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

/**
 * The throwaway PKI every test uses. One shared root and intermediate ({@link #ROOT}, {@link #INTERMEDIATE})
 * with leaves made on demand, and a fixed {@link #WWW} leaf written in HAProxy's file layouts for config tests;
 * {@code new TestPki(name)} makes a separate root and issuing CA when a test needs its own (the OCSP tests
 * give each responder one). The engine's types ({@code Staple}, {@code OcspSubject}) stay out: this module
 * depends on no stapled module, so the engine's own tests can use it; the tests that want a {@code Staple}
 * wrap {@link #goodOcspResponse} themselves.
 */
public final class TestPki {
    private static final KeyPair RSA_KEY = KeyPairs.rsa(2048);
    private static final AtomicLong SERIAL = new AtomicLong(0x1000);

    public static final IssuedCertificate ROOT = CertificateBuilder.subject("CN=stapled test root").ca().build();
    public static final IssuedCertificate INTERMEDIATE = CertificateBuilder.subject("CN=stapled test intermediate")
            .issuer(ROOT).ca().build();
    /** The leaf the config tests write to disk: www.example.com and example.com, with an (unreachable) AIA URL. */
    public static final IssuedCertificate WWW = CertificateBuilder.subject("CN=www.example.com")
            .issuer(INTERMEDIATE).dnsNames("www.example.com", "example.com").ocspUrl("http://127.0.0.1:1/").build();

    public final IssuedCertificate root;
    public final IssuedCertificate ca;

    /** A separate root and issuing CA named after {@code name}. */
    public TestPki(String name) {
        root = CertificateBuilder.subject("CN=" + name + " Root").ca().build();
        ca = CertificateBuilder.subject("CN=" + name + " Issuing CA").issuer(root).ca().build();
    }

    /** A fresh leaf of this PKI's CA with a unique serial; {@code ocspUrl} null leaves out the AIA extension. */
    public IssuedCertificate leaf(String ocspUrl) {
        CertificateBuilder b = CertificateBuilder.subject("CN=leaf" + SERIAL.get() + ".example")
                .issuer(ca).dnsNames("leaf.example").serial(BigInteger.valueOf(SERIAL.incrementAndGet()));
        if (ocspUrl != null) {
            b.ocspUrl(ocspUrl);
        }
        return b.build();
    }

    public IssuedCertificate mustStapleLeaf(String ocspUrl) {
        return CertificateBuilder.subject("CN=muststaple.example").issuer(ca).dnsNames("muststaple.example")
                .serial(BigInteger.valueOf(SERIAL.incrementAndGet())).ocspUrl(ocspUrl).mustStaple().build();
    }

    /** An EC leaf of {@link #INTERMEDIATE}, with an AIA URL nothing answers on. */
    public static IssuedCertificate ecLeaf(String cn, String... names) {
        return CertificateBuilder.subject("CN=" + cn).issuer(INTERMEDIATE).dnsNames(names)
                .ocspUrl("http://127.0.0.1:1/ocsp").build();
    }

    /** RSA leaves share one key: generating 2048-bit keys per test is slow and proves nothing. */
    public static IssuedCertificate rsaLeaf(String cn, String... names) {
        return CertificateBuilder.subject("CN=" + cn).issuer(INTERMEDIATE).keyPair(RSA_KEY).dnsNames(names).build();
    }

    /** The DER of a successful OCSP response saying {@code leaf} is good, signed by its issuer, with these times. */
    public static byte[] goodOcspResponse(IssuedCertificate leaf, Instant producedAt, Instant thisUpdate,
                                          Instant nextUpdate) {
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
            return new OCSPRespBuilder().build(OCSPRespBuilder.SUCCESSFUL, basic).getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static boolean isSuccessfulOcsp(byte[] der) throws IOException {
        return new OCSPResp(der).getStatus() == OCSPRespBuilder.SUCCESSFUL;
    }

    public static BigInteger serial(IssuedCertificate c) {
        return c.certificate().getSerialNumber();
    }

    /** {@link #WWW}'s chain with the key of another certificate: a key that does not match. */
    public static Path mismatched(Path file) {
        IssuedCertificate other = CertificateBuilder.subject("CN=other.example.com").issuer(INTERMEDIATE).build();
        return write(file, WWW.chainPem() + other.privateKeyPem());
    }

    /** {@link #WWW}'s chain alone, with no key in the file or beside it. */
    public static Path chainOnly(Path file) {
        return write(file, WWW.chainPem());
    }

    /** {@link #WWW}'s key, encrypted with a passphrase ({@code openssl ec -aes128}). */
    public static Path encryptedKey(Path file) {
        java.io.StringWriter out = new java.io.StringWriter();
        try (org.bouncycastle.openssl.jcajce.JcaPEMWriter w = new org.bouncycastle.openssl.jcajce.JcaPEMWriter(out)) {
            w.writeObject(WWW.keyPair().getPrivate(), new org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder(
                    "AES-128-CBC").setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider())
                    .build("secret".toCharArray()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return write(file, out.toString());
    }

    /** The intermediate CA certificate with its own key: a CA certificate as the leaf. */
    public static Path caAsLeaf(Path file) {
        return write(file, INTERMEDIATE.certificatePem() + INTERMEDIATE.privateKeyPem());
    }

    /** {@link #WWW} as an HAProxy bundle (chain + key) at {@code file}. */
    public static Path bundle(Path file) {
        return WWW.writeBundle(file);
    }

    /** {@link #WWW}'s chain at {@code file}, its key in {@code file.key}. */
    public static Path withSiblingKey(Path file) {
        return WWW.writeWithSiblingKey(file);
    }

    /** {@link #WWW}'s key alone at {@code file}. */
    public static Path key(Path file) {
        return write(file, WWW.privateKeyPem());
    }

    /** A directory holding {@link #WWW}'s bundle and its {@code .issuer} sibling. */
    public static Path directory(Path dir) {
        Path pem = bundle(dir.resolve("site.pem"));
        WWW.writeIssuerSibling(pem);
        return dir;
    }

    /** An HAProxy crt-list naming a bundle of {@link #WWW} next to it, with an SNI filter. */
    public static Path crtList(Path file) {
        Path pem = bundle(file.resolveSibling("listed.pem"));
        return write(file, pem.getFileName() + " [alpn http/1.1] www.example.com\n");
    }

    /** Writes {@code text} at {@code file}, making its directories. */
    public static Path write(Path file, String text) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            return Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
