package io.stapled.config;

import io.stapled.ocsp.pki.CertificateBuilder;
import io.stapled.ocsp.pki.IssuedCertificate;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Real PEM files for config tests: one CA and one leaf, made once per JVM. */
final class TestCertificates {

    private static final IssuedCertificate CA = CertificateBuilder.subject("CN=Config Test CA").ca().build();
    private static final IssuedCertificate LEAF = CertificateBuilder.subject("CN=www.example.com")
            .issuer(CA).dnsNames("www.example.com", "example.com").ocspUrl("http://127.0.0.1:1/").build();

    private TestCertificates() {
    }

    /** HAProxy bundle (chain + key) at {@code file}. */
    static Path bundle(Path file) {
        return LEAF.writeBundle(file);
    }

    /** Chain at {@code file}, key in {@code file.key}. */
    static Path withSiblingKey(Path file) {
        return LEAF.writeWithSiblingKey(file);
    }

    static Path key(Path file) {
        return write(file, LEAF.privateKeyPem());
    }

    /** A directory holding one bundle and its {@code .issuer} sibling. */
    static Path directory(Path dir) {
        Path pem = bundle(dir.resolve("site.pem"));
        LEAF.writeIssuerSibling(pem);
        return dir;
    }

    /** An HAProxy crt-list naming a bundle next to it, with an SNI filter. */
    static Path crtList(Path file) {
        Path pem = bundle(file.resolveSibling("listed.pem"));
        return write(file, pem.getFileName() + " [alpn http/1.1] www.example.com\n");
    }

    /** The leaf's chain with the key of another certificate: a key that does not match. */
    static Path mismatched(Path file) {
        IssuedCertificate other = CertificateBuilder.subject("CN=other.example.com").issuer(CA).build();
        return write(file, LEAF.chainPem() + other.privateKeyPem());
    }

    /** The leaf's chain alone, with no key in the file or beside it. */
    static Path chainOnly(Path file) {
        return write(file, LEAF.chainPem());
    }

    /** The leaf's key, encrypted with a passphrase ({@code openssl ec -aes128}). */
    static Path encryptedKey(Path file) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(LEAF.keyPair().getPrivate(), new JcePEMEncryptorBuilder("AES-128-CBC")
                    .setProvider(new BouncyCastleProvider()).build("secret".toCharArray()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return write(file, out.toString());
    }

    /** The CA certificate with the CA's own key: the CA certificate becomes the leaf. */
    static Path caAsLeaf(Path file) {
        return write(file, CA.certificatePem() + CA.privateKeyPem());
    }

    static Path write(Path file, String text) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            return Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
