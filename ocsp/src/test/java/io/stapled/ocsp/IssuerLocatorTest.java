package io.stapled.ocsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.TestPki;

class IssuerLocatorTest {
    private final TestPki pki = new TestPki("Locator");
    @TempDir
    Path dir;

    @Test
    void issuerFromTheChainFirstThenFromTheIssuerSibling() throws Exception {
        IssuedCertificate leaf = pki.leaf(null);
        Path certFile = dir.resolve("site.pem");
        assertEquals(pki.ca.certificate(), IssuerLocator.locate(leaf.certificate(), leaf.chain(), certFile));

        // leaf alone in the file: HAProxy's .issuer sibling supplies the issuer
        assertNull(IssuerLocator.locate(leaf.certificate(), List.of(leaf.certificate()), certFile));
        leaf.writeIssuerSibling(certFile);
        assertEquals(pki.ca.certificate(), IssuerLocator.locate(leaf.certificate(), List.of(leaf.certificate()), certFile));
    }

    @Test
    void wrongIssuerSiblingIsAClearError() throws Exception {
        IssuedCertificate leaf = pki.leaf(null);
        Path certFile = dir.resolve("wrong.pem");
        Files.writeString(certFile.resolveSibling("wrong.pem.issuer"), new TestPki("Other").ca.certificatePem());
        IOException e = assertThrows(IOException.class,
                () -> IssuerLocator.locate(leaf.certificate(), List.of(leaf.certificate()), certFile));
        assertEquals(true, e.getMessage().contains("wrong.pem.issuer"), e.getMessage());
    }
}
