package io.stapled.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.stapled.config.CertificateSource;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one assembly of PEM material into a served certificate, reached both ways: from a file at
 * start-up ({@link CertificateLoader}) and from a runtime-API transaction ({@link LoadedCertificate#replacedBy}).
 * Both must give the same chain order, the same issuer and the same refusals.
 */
class CertificateAssemblyTest {
    private static final IssuedCertificate OTHER_CA = CertificateBuilder.subject("CN=assembly other ca").ca().build();
    private static final IssuedCertificate OLD = TestPki.ecLeaf("site.test", "site.test");
    private static final IssuedCertificate NEXT = TestPki.ecLeaf("next.test", "next.test", "www.next.test");

    @TempDir
    Path dir;

    private LoadedCertificate load(Path crt) {
        return CertificateLoader.load(Frontends.file(crt)).get(0);
    }

    private LoadedCertificate served() {
        return load(OLD.writeBundle(dir.resolve("site.pem")));
    }

    // The issuer rule (moved here from the ocsp module's IssuerLocator, which had no production caller)

    @Test
    void issuerFromTheChainFirstThenFromTheIssuerSibling() throws Exception {
        IssuedCertificate leaf = TestPki.ecLeaf("chain.test", "chain.test");
        Path bundle = leaf.writeBundle(dir.resolve("chain.pem"));
        Files.writeString(dir.resolve("chain.pem.issuer"), "not even PEM");
        assertEquals(TestPki.INTERMEDIATE.certificate(), load(bundle).issuer(),
                "the chain's issuer wins; the .issuer sibling is not even read");

        Path alone = PemFiles.writeFile(dir.resolve("alone.pem"), leaf.certificatePem(), leaf.privateKeyPem());
        assertNull(load(alone).issuer(), "leaf alone, no .issuer: no issuer (the OCSP assembly decides)");
        leaf.writeIssuerSibling(alone);
        assertEquals(TestPki.INTERMEDIATE.certificate(), load(alone).issuer(), "HAProxy's .issuer sibling");
    }

    @Test
    void issuerSiblingThatDidNotIssueTheLeafIsAClearError() throws Exception {
        IssuedCertificate leaf = TestPki.ecLeaf("wrong.test", "wrong.test");
        Path crt = PemFiles.writeFile(dir.resolve("wrong.pem"), leaf.certificatePem(), leaf.privateKeyPem());
        Files.writeString(dir.resolve("wrong.pem.issuer"), OTHER_CA.certificatePem());
        assertEquals(dir.resolve("wrong.pem.issuer") + ": holds no certificate that issued wrong.pem",
                assertThrows(TlsSetupException.class, () -> load(crt)).getMessage());
    }

    // The runtime API's path: the same rules

    @Test
    void runtimePayloadInAnyOrderIsAssembledLeafFirstWithItsIssuer() {
        LoadedCertificate old = served();
        LoadedCertificate next = old.replacedBy(List.of(TestPki.INTERMEDIATE.certificate(), NEXT.certificate()),
                NEXT.keyPair().getPrivate(), null);
        assertEquals(List.of(NEXT.certificate(), TestPki.INTERMEDIATE.certificate()), next.chain(),
                "the certificate of the key first, then its issuer, as from a file");
        assertEquals(TestPki.INTERMEDIATE.certificate(), next.issuer());
        assertEquals(List.of("next.test", "www.next.test"), next.sniNames(), "names read from the leaf follow it");
        assertEquals(old.source(), next.source());
        assertEquals(old.ocsp(), next.ocsp());
        assertNotSame(old.stapleSlot(), next.stapleSlot(), "a new certificate starts with its own empty slot");
        assertNull(next.stapleSlot().current());
    }

    @Test
    void runtimeIssuerComesFromTheChainElseFromTheIssuerPart() {
        LoadedCertificate old = served();
        List<java.security.cert.X509Certificate> leafOnly = List.of(NEXT.certificate());
        assertNull(old.replacedBy(leafOnly, NEXT.keyPair().getPrivate(), null).issuer());
        assertEquals(TestPki.INTERMEDIATE.certificate(),
                old.replacedBy(leafOnly, NEXT.keyPair().getPrivate(), TestPki.INTERMEDIATE.certificate()).issuer());
        assertEquals(TestPki.INTERMEDIATE.certificate(), old.replacedBy(NEXT.chain(), NEXT.keyPair().getPrivate(),
                OTHER_CA.certificate()).issuer(), "the chain's issuer beats a stale .issuer part");
        TlsSetupException e = assertThrows(TlsSetupException.class,
                () -> old.replacedBy(leafOnly, NEXT.keyPair().getPrivate(), OTHER_CA.certificate()));
        assertEquals(old.source() + ".issuer: holds no certificate that issued site.pem", e.getMessage());
    }

    @Test
    void runtimeKeyThatMatchesNoCertificateIsAKeyMismatch() {
        LoadedCertificate old = served();
        assertThrows(CertificateAssembly.KeyMismatchException.class,
                () -> old.replacedBy(NEXT.chain(), OLD.keyPair().getPrivate(), null));
    }

    @Test
    void namesSetInTheConfigStayWhenTheCertificateIsReplaced() {
        Path crt = OLD.writeBundle(dir.resolve("named.pem"));
        LoadedCertificate old = CertificateLoader.load(new CertificateSource.File(crt, null, List.of("Configured.Test"),
                CertificateSource.OcspOptions.DEFAULT)).get(0);
        assertEquals(List.of("configured.test"), old.sniNames());
        assertEquals(List.of("configured.test"),
                old.replacedBy(NEXT.chain(), NEXT.keyPair().getPrivate(), null).sniNames());
    }
}
