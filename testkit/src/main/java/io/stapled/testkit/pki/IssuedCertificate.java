package io.stapled.testkit.pki;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.util.io.pem.PemGenerationException;

/**
 * A certificate with its key pair and the certificate that issued it (null for a root).
 * Writes itself in the PEM layouts HAProxy reads.
 */
public record IssuedCertificate(X509Certificate certificate, KeyPair keyPair, IssuedCertificate issuer) {

    /** This certificate followed by its issuers up to, not including, the self-signed root. */
    public List<X509Certificate> chain() {
        List<X509Certificate> chain = new ArrayList<>();
        for (IssuedCertificate c = this; c != null; c = c.issuer()) {
            if (c.issuer() == null && c != this) {
                break; // roots are not sent in a chain
            }
            chain.add(c.certificate());
        }
        return chain;
    }

    public String certificatePem() {
        return pem(certificate);
    }

    /**
     * The private key as PKCS#8 ("BEGIN PRIVATE KEY"). Not the traditional "EC PRIVATE KEY" form: the
     * JDK's EC keys carry their curve only in the PKCS#8 wrapper, and without it OpenSSL, HAProxy and
     * Netty's own PEM reader cannot load the key.
     */
    public String privateKeyPem() {
        try {
            return pem(new JcaPKCS8Generator(keyPair.getPrivate(), null).generate());
        } catch (PemGenerationException e) {
            throw new IllegalStateException("cannot encode private key", e);
        }
    }

    /** Leaf and intermediates, no key. */
    public String chainPem() {
        StringBuilder sb = new StringBuilder();
        for (X509Certificate c : chain()) {
            sb.append(pem(c));
        }
        return sb.toString();
    }

    /** HAProxy's bundle: leaf, intermediates, then the private key, in one file. */
    public Path writeBundle(Path file) {
        return write(file, chainPem() + privateKeyPem());
    }

    /** Chain in {@code file}, key in the sibling {@code file.key}, as HAProxy also accepts. */
    public Path writeWithSiblingKey(Path file) {
        write(file.resolveSibling(file.getFileName() + ".key"), privateKeyPem());
        return write(file, chainPem());
    }

    /** The issuer's certificate in the HAProxy {@code .issuer} sibling of {@code file}. */
    public Path writeIssuerSibling(Path file) {
        return write(file.resolveSibling(file.getFileName() + ".issuer"), issuer.certificatePem());
    }

    public static String pem(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static Path write(Path file, String text) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            return Files.writeString(file, text, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
