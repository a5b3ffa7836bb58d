package io.stapled.config;

import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;

import java.io.IOException;
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

    static Path write(Path file, String text) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            return Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
