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
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import io.stapled.config.CertificateSource;
import io.stapled.config.CertificateSource.OcspOptions;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.pki.KeyPairs;
import io.stapled.testing.SpecialFiles;
import io.stapled.testkit.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

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
        assertEquals(new OcspOptions(true, responder, false), first.ocsp(), "off stops only the automatic refresh");
        assertEquals(List.of("h2", "http/1.1"), first.alpn());
        assertEquals(List.of("shop.test"), certs.get(1).sniNames());
        assertEquals(KeyType.RSA, certs.get(1).keyType());
        assertEquals(List.of("ec.test", "*.ec.test"), certs.get(2).sniNames(), "no filter: the certificate's names");
        assertEquals(new OcspOptions(true, responder), certs.get(2).ocsp());
    }

    @Test
    void crtListUnknownOptionNamesFileAndLine() {
        EC.writeBundle(dir.resolve("ec.pem"));
        Path list = PemFiles.writeFile(dir.resolve("bad.list"), "# x\nec.pem\nec.pem [ca-verify-file ec.pem] a.test\n");
        String m = assertThrows(TlsSetupException.class,
                () -> CertificateLoader.load(new CertificateSource.CrtList(list, OcspOptions.DEFAULT))).getMessage();
        assertTrue(m.startsWith(list + ":3: ") && m.contains("ca-verify-file"), m);
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
        assertEquals(isDir + ": not a regular file (a directory)", message(isDir));
        Path garbage = PemFiles.writeFile(dir.resolve("garbage.pem"), "this is not PEM at all\n");
        assertTrue(message(garbage).contains(garbage + ": no certificate found"), message(garbage));
        String pem = EC.certificatePem();
        Path corrupt = PemFiles.writeFile(dir.resolve("corrupt.pem"), pem.substring(0, 40) + "!!!" + pem.substring(43));
        assertTrue(message(corrupt).contains(corrupt + ": not a valid PEM file"), message(corrupt));
        Path noKey = PemFiles.writeFile(dir.resolve("nokey.pem"), EC.chainPem());
        assertTrue(message(noKey).contains("no private key") && message(noKey).contains("nokey.pem.key"), message(noKey));
    }

    @Test
    @Timeout(20)
    void devicesAndFifosAreRefusedWithoutBeingRead() {
        Path fifoCrt = SpecialFiles.fifo(dir.resolve("fifo.pem"));
        assertEquals(fifoCrt + ": not a regular file (a FIFO)", message(fifoCrt));
        assertEquals("/dev/zero: not a regular file (a character device)", message(SpecialFiles.DEV_ZERO));

        Path crt = PemFiles.writeFile(dir.resolve("sib.pem"), EC.chainPem());
        Path sibKey = SpecialFiles.fifo(dir.resolve("sib.pem.key"));
        assertEquals(sibKey + ": not a regular file (a FIFO)", message(crt));

        Path crt2 = PemFiles.writeFile(dir.resolve("explicit.pem"), EC.chainPem());
        String m = assertThrows(TlsSetupException.class, () -> CertificateLoader.load(new CertificateSource.File(
                crt2, SpecialFiles.DEV_ZERO, List.of(), OcspOptions.DEFAULT))).getMessage();
        assertEquals("/dev/zero: not a regular file (a character device)", m);

        Path issuer = PemFiles.writeFile(dir.resolve("iss.pem"), EC.certificatePem(), PemFiles.pkcs8(EC.keyPair().getPrivate()));
        Path issuerFifo = SpecialFiles.fifo(dir.resolve("iss.pem.issuer"));
        assertEquals(issuerFifo + ": not a regular file (a FIFO)", message(issuer));

        Path stapled = PemFiles.writeFile(dir.resolve("st.pem"), EC.chainPem(), PemFiles.pkcs8(EC.keyPair().getPrivate()));
        Path ocspFifo = SpecialFiles.fifo(dir.resolve("st.pem.ocsp"));
        assertEquals(ocspFifo + ": not a regular file (a FIFO)", message(stapled));
        Path zeroed = PemFiles.writeFile(dir.resolve("z.pem"), EC.chainPem(), PemFiles.pkcs8(EC.keyPair().getPrivate()));
        Path ocspZero = SpecialFiles.devZeroAt(dir.resolve("z.pem.ocsp"));
        assertEquals(ocspZero + ": not a regular file (a character device)", message(zeroed));

        Path listFifo = SpecialFiles.fifo(dir.resolve("list.txt"));
        assertEquals(listFifo + ": cannot read crt-list: not a regular file (a FIFO)", assertThrows(TlsSetupException.class,
                () -> CertificateLoader.load(new CertificateSource.CrtList(listFifo, OcspOptions.DEFAULT))).getMessage());
        assertEquals("/dev/zero: cannot read crt-list: not a regular file (a character device)",
                assertThrows(TlsSetupException.class, () -> CertificateLoader.load(
                        new CertificateSource.CrtList(SpecialFiles.DEV_ZERO, OcspOptions.DEFAULT))).getMessage());
        Path list = PemFiles.writeFile(dir.resolve("zero-list.txt"), "/dev/zero\n");
        assertEquals(list + ":1: /dev/zero: not a regular file (a character device)", assertThrows(TlsSetupException.class,
                () -> CertificateLoader.load(new CertificateSource.CrtList(list, OcspOptions.DEFAULT))).getMessage());
    }

    @Test
    void oversizedFilesAreRefused() throws Exception {
        Path huge = PemFiles.writeFile(dir.resolve("huge.pem"), EC.chainPem() + "#".repeat(PemContent.MAX_FILE_BYTES));
        assertTrue(message(huge).startsWith(huge + ": too large ("), message(huge));
        assertTrue(message(huge).endsWith("the limit is 1 MiB)"), message(huge));
        Path hugeList = dir.resolve("huge-list.txt");
        Files.write(hugeList, new byte[CrtListParser.MAX_FILE_BYTES + 1]);
        String m = assertThrows(TlsSetupException.class,
                () -> CertificateLoader.load(new CertificateSource.CrtList(hugeList, OcspOptions.DEFAULT))).getMessage();
        assertEquals(hugeList + ": cannot read crt-list: too large (4194305 bytes, the limit is 4 MiB)", m);
    }

    @Test
    void aCaCertificateAsTheLeafIsRefused() {
        // the CA's own key in the bundle makes the CA certificate the leaf
        Path crt = PemFiles.writeFile(dir.resolve("ca.pem"), TestPki.INTERMEDIATE.certificatePem(),
                PemFiles.pkcs8(TestPki.INTERMEDIATE.keyPair().getPrivate()));
        String m = message(crt);
        assertTrue(m.startsWith(crt + ": the certificate of the private key is a CA certificate (basicConstraints "
                + "CA:TRUE)"), m);
        IssuedCertificate selfSignedCa = CertificateBuilder.subject("CN=self.test").ca().dnsNames("self.test").build();
        LoadedCertificate served = load(PemFiles.writeFile(dir.resolve("ok.pem"), EC.chainPem(),
                PemFiles.pkcs8(EC.keyPair().getPrivate())));
        TlsSetupException e = assertThrows(TlsSetupException.class, () -> served.replacedBy(
                List.of(selfSignedCa.certificate()), selfSignedCa.keyPair().getPrivate(), null));
        assertTrue(e.getMessage().contains("is a CA certificate"), "the runtime API refuses it too: " + e.getMessage());
    }

    @Test
    void expiredExpiringNotYetValidAndWeakCertificatesAreServedWithAWarning() {
        Instant now = Instant.now();
        IssuedCertificate expired = CertificateBuilder.subject("CN=expired.test").issuer(TestPki.INTERMEDIATE)
                .dnsNames("expired.test").validity(now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1))).build();
        IssuedCertificate expiring = CertificateBuilder.subject("CN=soon.test").issuer(TestPki.INTERMEDIATE)
                .dnsNames("soon.test").validity(now.minus(Duration.ofDays(30)), now.plus(Duration.ofDays(3))
                        .plus(Duration.ofHours(1))).build();
        IssuedCertificate future = CertificateBuilder.subject("CN=future.test").issuer(TestPki.INTERMEDIATE)
                .dnsNames("future.test").validity(now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(90))).build();
        IssuedCertificate weak = CertificateBuilder.subject("CN=weak.test").issuer(TestPki.INTERMEDIATE)
                .dnsNames("weak.test").keyPair(KeyPairs.rsa(1024)).build();
        Logger logger = (Logger) LoggerFactory.getLogger(CertificateAssembly.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            Path e = expired.writeBundle(dir.resolve("expired.pem"));
            Path s = expiring.writeBundle(dir.resolve("soon.pem"));
            Path f = future.writeBundle(dir.resolve("future.pem"));
            Path w = weak.writeBundle(dir.resolve("weak.pem"));
            Path good = EC.writeBundle(dir.resolve("good.pem"));
            for (Path p : List.of(e, s, f, w, good)) {
                load(p);
            }
            List<String> lines = appender.list.stream()
                    .filter(ev -> ev.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
            assertEquals(List.of(
                    "certificate " + e + ": the certificate expired at "
                            + expired.certificate().getNotAfter().toInstant() + "; clients will refuse it",
                    "certificate " + s + ": the certificate expires at "
                            + expiring.certificate().getNotAfter().toInstant() + " (in 3 days)",
                    "certificate " + f + ": the certificate is not valid before "
                            + future.certificate().getNotBefore().toInstant() + "; clients will refuse it until then",
                    "certificate " + w + ": the RSA key has 1024 bits, under 2048; clients may refuse it"), lines);
        } finally {
            logger.detachAppender(appender);
        }
    }
}
