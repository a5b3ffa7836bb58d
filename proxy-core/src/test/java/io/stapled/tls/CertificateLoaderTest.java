package io.stapled.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.stapled.config.CertificateSource;
import io.stapled.config.CertificateSource.OcspOptions;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.pki.KeyPairs;
import io.stapled.testkit.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading certificates in HAProxy's layouts, and refusing what cannot be served. */
class CertificateLoaderTest {
    @TempDir
    Path dir;

    private static final IssuedCertificate EC = TestPki.ecLeaf("ec.test", "ec.test", "*.ec.test");
    private static final IssuedCertificate RSA = TestPki.rsaLeaf("rsa.test", "rsa.test");

    private static LoadedCertificate load(Path crt) {
        return CertificateLoader.load(Frontends.file(crt)).get(0);
    }

    private static String message(Path crt) {
        return assertThrows(TlsSetupException.class, () -> load(crt)).getMessage();
    }

    @Test
    void bundleInAnyOrderPutsTheLeafFirstAndFindsTheIssuer() {
        Path crt = PemFiles.writeFile(dir.resolve("site.pem"), PemFiles.pkcs8(EC.keyPair().getPrivate()),
                TestPki.INTERMEDIATE.certificatePem(), EC.certificatePem());
        LoadedCertificate c = load(crt);
        assertEquals(List.of(EC.certificate(), TestPki.INTERMEDIATE.certificate()), c.chain());
        assertEquals(TestPki.INTERMEDIATE.certificate(), c.issuer());
        assertEquals(KeyType.EC, c.keyType());
        assertEquals(List.of("ec.test", "*.ec.test"), c.sniNames());
        assertEquals(URI.create("http://127.0.0.1:1/ocsp"), c.ocspUrl());
        assertFalse(c.mustStaple());
        assertEquals(crt, c.source());
        assertEquals(OcspOptions.DEFAULT, c.ocsp());
    }

    @Test
    void readsSec1Pkcs1AndPkcs8Keys() {
        assertEquals(KeyType.EC, load(PemFiles.writeFile(dir.resolve("sec1.pem"), EC.chainPem(),
                PemFiles.sec1(EC.keyPair().getPrivate()))).keyType());
        String pkcs1 = PemFiles.traditional(RSA.keyPair().getPrivate());
        assertTrue(pkcs1.contains("BEGIN RSA PRIVATE KEY"), pkcs1.lines().findFirst().orElse(""));
        assertEquals(KeyType.RSA, load(PemFiles.writeFile(dir.resolve("pkcs1.pem"), RSA.chainPem(), pkcs1)).keyType());
        assertEquals(KeyType.RSA, load(PemFiles.writeFile(dir.resolve("pkcs8.pem"), RSA.chainPem(),
                PemFiles.pkcs8(RSA.keyPair().getPrivate()))).keyType());
    }

    @Test
    void siblingKeyAndIssuerFiles() {
        Path crt = PemFiles.writeFile(dir.resolve("leaf.pem"), EC.certificatePem());
        PemFiles.writeFile(dir.resolve("leaf.pem.key"), PemFiles.sec1(EC.keyPair().getPrivate()));
        assertNull(load(crt).issuer(), "no chain and no .issuer: the assembly decides");
        PemFiles.writeFile(dir.resolve("leaf.pem.issuer"), TestPki.INTERMEDIATE.certificatePem());
        LoadedCertificate c = load(crt);
        assertEquals(TestPki.INTERMEDIATE.certificate(), c.issuer());
        assertEquals(List.of(EC.certificate()), c.chain());
    }

    @Test
    void explicitKeyPath() {
        Path crt = PemFiles.writeFile(dir.resolve("rsa.crt"), RSA.chainPem());
        Path key = PemFiles.writeFile(dir.resolve("keys/rsa.key"), PemFiles.pkcs8(RSA.keyPair().getPrivate()));
        LoadedCertificate c = CertificateLoader.load(new CertificateSource.File(crt, key, List.of("Other.Test."),
                OcspOptions.DEFAULT)).get(0);
        assertEquals(KeyType.RSA, c.keyType());
        assertEquals(List.of("other.test"), c.sniNames(), "configured sni replaces the certificate's names");
    }

    @Test
    void mustStapleAndMissingAiaAreReported() {
        IssuedCertificate ms = CertificateBuilder.subject("CN=must.test").issuer(TestPki.INTERMEDIATE)
                .dnsNames("must.test").mustStaple().build();
        LoadedCertificate c = load(ms.writeBundle(dir.resolve("must.pem")));
        assertTrue(c.mustStaple());
        assertNull(c.ocspUrl());
    }

    @Test
    void commonNameIsTheNameWhenThereIsNoSan() {
        IssuedCertificate cn = CertificateBuilder.subject("CN=Only-CN.test").issuer(TestPki.INTERMEDIATE).build();
        assertEquals(List.of("only-cn.test"), load(cn.writeBundle(dir.resolve("cn.pem"))).sniNames());
    }

    @Test
    void eachCertificateHasItsOwnStapleSlot() {
        Path crt = EC.writeBundle(dir.resolve("twice.pem"));
        assertNotSame(load(crt).stapleSlot(), load(crt).stapleSlot());
    }

    @Test
    void directoryLoadsCertificatesAndSkipsSiblingsAndDotfiles() {
        Path d = dir.resolve("certs");
        EC.writeBundle(d.resolve("a.pem"));
        PemFiles.writeFile(d.resolve("a.pem.ocsp"), "not a certificate");
        EC.writeIssuerSibling(d.resolve("a.pem"));
        PemFiles.writeFile(d.resolve("a.pem.sctl"), "garbage");
        RSA.writeWithSiblingKey(d.resolve("b.pem"));
        PemFiles.writeFile(d.resolve(".hidden"), "garbage");
        List<LoadedCertificate> certs = CertificateLoader.load(new CertificateSource.Directory(d, OcspOptions.DEFAULT));
        assertEquals(List.of(d.resolve("a.pem"), d.resolve("b.pem")), certs.stream().map(LoadedCertificate::source).toList());
        assertEquals(List.of(KeyType.EC, KeyType.RSA), certs.stream().map(LoadedCertificate::keyType).toList());
    }

    @Test
    void emptyDirectoryIsRefused() throws Exception {
        Path d = Files.createDirectories(dir.resolve("empty"));
        String m = assertThrows(TlsSetupException.class,
                () -> CertificateLoader.load(new CertificateSource.Directory(d, OcspOptions.DEFAULT))).getMessage();
        assertTrue(m.contains(d.toString()) && m.contains("no certificate"), m);
    }

    @Test
    void crtListWithOptionsFiltersAndRelativePaths() {
        EC.writeBundle(dir.resolve("certs/ec.pem"));
        RSA.writeWithSiblingKey(dir.resolve("certs/rsa.pem"));
        Path list = PemFiles.writeFile(dir.resolve("list.txt"), """
                # certificates for the edge

                certs/ec.pem [ocsp-update off alpn h2,http/1.1] *.Shop.Test !Admin.Shop.Test
                %s  shop.test
                certs/ec.pem
                """.formatted(dir.resolve("certs/rsa.pem")));
        URI responder = URI.create("http://ocsp.example/");
        List<LoadedCertificate> certs = CertificateLoader.load(
                new CertificateSource.CrtList(list, new OcspOptions(true, responder)));
        assertEquals(3, certs.size());
        LoadedCertificate first = certs.get(0);
        assertEquals(List.of("*.shop.test"), first.sniNames());
        assertEquals(List.of("admin.shop.test"), first.excludedNames());
        assertEquals(new OcspOptions(false, responder), first.ocsp());
        assertEquals(List.of("h2", "http/1.1"), first.alpn());
        assertEquals(List.of("shop.test"), certs.get(1).sniNames());
        assertEquals(KeyType.RSA, certs.get(1).keyType());
        assertEquals(List.of("ec.test", "*.ec.test"), certs.get(2).sniNames(), "no filter: the certificate's names");
        assertEquals(new OcspOptions(true, responder), certs.get(2).ocsp());
    }

    @Test
    void crtListUnknownOptionNamesFileAndLine() {
        EC.writeBundle(dir.resolve("ec.pem"));
        Path list = PemFiles.writeFile(dir.resolve("bad.list"), "# x\nec.pem\nec.pem [verify required] a.test\n");
        String m = assertThrows(TlsSetupException.class,
                () -> CertificateLoader.load(new CertificateSource.CrtList(list, OcspOptions.DEFAULT))).getMessage();
        assertTrue(m.startsWith(list + ":3: ") && m.contains("verify"), m);
    }

    @Test
    void crtListMissingCertificateNamesTheLine() {
        Path list = PemFiles.writeFile(dir.resolve("missing.list"), "nope.pem\n");
        String m = assertThrows(TlsSetupException.class,
                () -> CertificateLoader.load(new CertificateSource.CrtList(list, OcspOptions.DEFAULT))).getMessage();
        assertTrue(m.startsWith(list + ":1: ") && m.contains("nope.pem") && m.contains("no such file"), m);
    }

    @Test
    void keyThatDoesNotMatchIsRefused() {
        Path crt = PemFiles.writeFile(dir.resolve("mismatch.pem"), EC.chainPem(),
                PemFiles.pkcs8(TestPki.ecLeaf("other").keyPair().getPrivate()));
        String m = message(crt);
        assertTrue(m.contains(crt.toString()) && m.contains("does not match"), m);
        Path sib = PemFiles.writeFile(dir.resolve("mismatch2.pem"), RSA.chainPem());
        PemFiles.writeFile(dir.resolve("mismatch2.pem.key"), PemFiles.sec1(EC.keyPair().getPrivate()));
        m = message(sib);
        assertTrue(m.contains("mismatch2.pem.key") && m.contains("does not match"), m);
        // RSA keys are compared by modulus, not by signing: another RSA key of the same size
        Path rsa = PemFiles.writeFile(dir.resolve("mismatch3.pem"), RSA.chainPem(),
                PemFiles.pkcs8(KeyPairs.rsa(2048).getPrivate()));
        m = message(rsa);
        assertTrue(m.contains(rsa.toString()) && m.contains("does not match"), m);
    }

    @Test
    void encryptedKeysAreRefused() {
        String m = message(PemFiles.writeFile(dir.resolve("enc8.pem"), EC.chainPem(),
                PemFiles.encryptedPkcs8(EC.keyPair().getPrivate())));
        assertTrue(m.contains("enc8.pem") && m.contains("encrypted"), m);
        m = message(PemFiles.writeFile(dir.resolve("enc1.pem"), EC.chainPem(),
                PemFiles.encryptedTraditional(EC.keyPair().getPrivate())));
        assertTrue(m.contains("enc1.pem") && m.contains("encrypted"), m);
    }

    @Test
    void unreadableMissingAndGarbageFilesAreRefused() throws Exception {
        Path missing = dir.resolve("missing.pem");
        assertTrue(message(missing).contains(missing + ": no such file"), message(missing));
        Path isDir = Files.createDirectories(dir.resolve("adir.pem"));
        assertTrue(message(isDir).contains(isDir + ": cannot read"), message(isDir));
        Path garbage = PemFiles.writeFile(dir.resolve("garbage.pem"), "this is not PEM at all\n");
        assertTrue(message(garbage).contains(garbage + ": no certificate found"), message(garbage));
        String pem = EC.certificatePem();
        Path corrupt = PemFiles.writeFile(dir.resolve("corrupt.pem"), pem.substring(0, 40) + "!!!" + pem.substring(43));
        assertTrue(message(corrupt).contains(corrupt + ": not a valid PEM file"), message(corrupt));
        Path noKey = PemFiles.writeFile(dir.resolve("nokey.pem"), EC.chainPem());
        assertTrue(message(noKey).contains("no private key") && message(noKey).contains("nokey.pem.key"), message(noKey));
    }
}
