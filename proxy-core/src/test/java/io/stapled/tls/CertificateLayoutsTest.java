package io.stapled.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.List;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.stapled.config.CertificateSource;
import io.stapled.config.CertificateSource.OcspOptions;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** HAProxy's file layouts beyond one PEM per certificate: multi-certificate bundles and crt-base. */
class CertificateLayoutsTest {
    @TempDir
    Path dir;

    private static final IssuedCertificate EC = TestPki.ecLeaf("site.test", "site.test");
    private static final IssuedCertificate RSA = TestPki.rsaLeaf("site.test", "site.test");
    private static final IssuedCertificate DSA = CertificateBuilder.subject("CN=site.test")
            .issuer(TestPki.INTERMEDIATE).keyPair(dsaKeys()).dnsNames("site.test").build();

    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger loaderLog = (Logger) LoggerFactory.getLogger(CertificateLoader.class);

    @BeforeEach
    void captureWarnings() {
        logged.start();
        loaderLog.addAppender(logged);
    }

    @AfterEach
    void release() {
        loaderLog.detachAppender(logged);
    }

    private static KeyPair dsaKeys() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("DSA");
            g.initialize(2048);
            return g.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<LoadedCertificate> load(CertificateSource source) {
        return CertificateLoader.load(source);
    }

    private static CertificateSource.File file(Path crt) {
        return Frontends.file(crt);
    }

    /** site.pem.ecdsa with its key and issuer beside it, site.pem.rsa a bundle with its key inside. */
    private Path writeBundle(Path base) {
        PemFiles.writeFile(base.resolveSibling(base.getFileName() + ".ecdsa"), EC.certificatePem());
        PemFiles.writeFile(base.resolveSibling(base.getFileName() + ".ecdsa.key"), PemFiles.sec1(EC.keyPair().getPrivate()));
        EC.writeIssuerSibling(base.resolveSibling(base.getFileName() + ".ecdsa"));
        RSA.writeBundle(base.resolveSibling(base.getFileName() + ".rsa"));
        return base;
    }

    private static Path member(Path base, String ext) {
        return base.resolveSibling(base.getFileName() + ext);
    }

    @Test
    void aMissingCrtWithBundleMembersLoadsEachMemberWithItsOwnSiblings() {
        Path site = writeBundle(dir.resolve("site.pem"));
        List<LoadedCertificate> loaded = load(file(site));
        assertEquals(2, loaded.size(), loaded.toString());
        LoadedCertificate ec = loaded.get(0);
        LoadedCertificate rsa = loaded.get(1);
        assertEquals(member(site, ".ecdsa"), ec.source(), "HAProxy's order: dsa, ecdsa, rsa");
        assertEquals(KeyType.EC, ec.keyType());
        assertEquals(List.of(EC.certificate()), ec.chain());
        assertEquals(TestPki.INTERMEDIATE.certificate(), ec.issuer(), "from site.pem.ecdsa.issuer");
        assertEquals(member(site, ".ecdsa"), ec.ocspSubject().certFile(), "site.pem.ecdsa.ocsp is its staple file");
        assertEquals(member(site, ".rsa"), rsa.source());
        assertEquals(KeyType.RSA, rsa.keyType());
        assertEquals(List.of("site.test"), rsa.sniNames());
    }

    @Test
    void anExistingCrtIsNeverABundle() {
        Path site = writeBundle(dir.resolve("site.pem"));
        EC.writeBundle(site);
        List<LoadedCertificate> loaded = load(file(site));
        assertEquals(1, loaded.size());
        assertEquals(site, loaded.get(0).source());
    }

    @Test
    void aBundleMemberWithoutAKeyIsRefusedNamingTheMember() {
        Path site = dir.resolve("site.pem");
        PemFiles.writeFile(member(site, ".rsa"), RSA.certificatePem());
        String m = assertThrows(TlsSetupException.class, () -> load(file(site))).getMessage();
        assertEquals(member(site, ".rsa") + ": no private key in the file and no site.pem.rsa.key beside it", m);
    }

    @Test
    void anExplicitKeyWithABundleIsRefused() {
        Path site = writeBundle(dir.resolve("site.pem"));
        Path key = PemFiles.writeFile(dir.resolve("other.key"), PemFiles.pkcs8(EC.keyPair().getPrivate()));
        String m = assertThrows(TlsSetupException.class, () -> load(new CertificateSource.File(site, key, List.of(),
                OcspOptions.DEFAULT))).getMessage();
        assertTrue(m.startsWith(site + ": a multi-certificate bundle (site.pem.ecdsa, site.pem.rsa) takes each member's key"), m);
    }

    @Test
    void neitherTheFileNorAMemberIsNoSuchFile() {
        Path site = dir.resolve("site.pem");
        assertEquals(site + ": no such file", assertThrows(TlsSetupException.class, () -> load(file(site))).getMessage());
    }

    @Test
    void aDsaMemberIsSkippedWithAWarningAndTheOthersServe() {
        Path site = writeBundle(dir.resolve("site.pem"));
        DSA.writeBundle(member(site, ".dsa"));
        List<LoadedCertificate> loaded = load(file(site));
        assertEquals(List.of(member(site, ".ecdsa"), member(site, ".rsa")),
                loaded.stream().map(LoadedCertificate::source).toList());
        assertTrue(logged.list.stream().anyMatch(e -> e.getFormattedMessage().equals("certificate " + member(site, ".dsa")
                + ": skipped: a DSA certificate, which stapled does not serve (EC and RSA only); the bundle's other "
                + "members serve every client")), logged.list.toString());
    }

    @Test
    void aBundleOfOnlyADsaMemberIsRefused() {
        Path site = dir.resolve("site.pem");
        DSA.writeBundle(member(site, ".dsa"));
        assertEquals(site + ": the bundle's only member site.pem.dsa is a DSA certificate; stapled serves EC and RSA "
                + "certificates", assertThrows(TlsSetupException.class, () -> load(file(site))).getMessage());
    }

    @Test
    void aDsaFileNamedOutrightIsRefused() {
        Path dsa = DSA.writeBundle(dir.resolve("site.pem.dsa"));
        assertEquals(dsa + ": unsupported key algorithm DSA (stapled serves EC and RSA certificates)",
                assertThrows(TlsSetupException.class, () -> load(file(dsa))).getMessage());
    }

    @Test
    void aCrtListLineNamingABundleLoadsEachMemberWithTheLineOptions() {
        Path site = writeBundle(dir.resolve("certs/site.pem"));
        Path list = PemFiles.writeFile(dir.resolve("list.txt"), "certs/site.pem [alpn http/1.1] www.site.test !bad.site.test\n");
        List<LoadedCertificate> loaded = load(new CertificateSource.CrtList(list, OcspOptions.DEFAULT));
        assertEquals(List.of(member(site, ".ecdsa"), member(site, ".rsa")),
                loaded.stream().map(LoadedCertificate::source).toList());
        for (LoadedCertificate c : loaded) {
            assertEquals(List.of("www.site.test"), c.sniNames());
            assertEquals(List.of("bad.site.test"), c.excludedNames());
            assertEquals(List.of("http/1.1"), c.alpn());
        }
    }

    @Test
    void aDirectoryLoadsBundleMembersAndSkipsTheirSiblings() {
        Path site = writeBundle(dir.resolve("certs/site.pem"));
        PemFiles.writeFile(member(site, ".rsa.ocsp"), "not a certificate");
        PemFiles.writeFile(member(site, ".ecdsa.ocsp"), "not a certificate");
        PemFiles.writeFile(member(site, ".rsa.sctl"), "not a certificate");
        DSA.writeBundle(member(site, ".dsa"));
        List<LoadedCertificate> loaded = load(new CertificateSource.Directory(dir.resolve("certs"), OcspOptions.DEFAULT));
        assertEquals(List.of(member(site, ".ecdsa"), member(site, ".rsa")),
                loaded.stream().map(LoadedCertificate::source).toList());
        assertEquals(TestPki.INTERMEDIATE.certificate(), loaded.get(0).issuer(), "site.pem.ecdsa.issuer found");
        assertTrue(logged.list.stream().anyMatch(e -> e.getFormattedMessage().contains(member(site, ".dsa") + ": skipped")),
                logged.list.toString());
    }

    @Test
    void crtBaseResolvesRelativeCrtListEntriesInsteadOfTheListsDirectory() {
        Path base = dir.resolve("base");
        EC.writeBundle(base.resolve("ec.pem"));
        RSA.writeBundle(dir.resolve("lists/rsa.pem"));
        Path list = PemFiles.writeFile(dir.resolve("lists/list.txt"), "ec.pem\n" + dir.resolve("lists/rsa.pem") + "\n");
        List<LoadedCertificate> loaded = load(new CertificateSource.CrtList(list, OcspOptions.DEFAULT, null, base));
        assertEquals(List.of(base.resolve("ec.pem"), dir.resolve("lists/rsa.pem")),
                loaded.stream().map(LoadedCertificate::source).toList(), "absolute entries ignore crt-base");
        String m = assertThrows(TlsSetupException.class, () -> load(new CertificateSource.CrtList(
                PemFiles.writeFile(dir.resolve("lists/other.txt"), "rsa.pem\n"), OcspOptions.DEFAULT, null, base)))
                .getMessage();
        assertEquals(dir.resolve("lists/other.txt") + ":1: " + base.resolve("rsa.pem") + ": no such file", m);
    }

    private static final CertificateLayout DEL_EXT = new CertificateLayout(true, IssuerChains.NONE);

    private static List<LoadedCertificate> load(CertificateSource source, CertificateLayout layout) {
        return CertificateLoader.load(source, io.stapled.ocsp.StapleSlots.UNMANAGED, layout);
    }

    @Test
    void delExtFindsSiteKeySiteIssuerAndSiteOcspForSiteCrt() {
        Path crt = PemFiles.writeFile(dir.resolve("site.crt"), EC.certificatePem());
        PemFiles.writeFile(dir.resolve("site.key"), PemFiles.pkcs8(EC.keyPair().getPrivate()));
        PemFiles.writeFile(dir.resolve("site.issuer"), TestPki.INTERMEDIATE.certificatePem());
        LoadedCertificate c = load(file(crt), DEL_EXT).get(0);
        assertEquals(TestPki.INTERMEDIATE.certificate(), c.issuer());
        assertEquals(dir.resolve("site.ocsp"), c.ocspSubject().ocspFile());
        assertEquals(crt, c.ocspSubject().certFile());
        assertEquals(crt + ": no private key in the file and no site.crt.key beside it",
                assertThrows(TlsSetupException.class, () -> load(file(crt))).getMessage(), "off: appended names");
        assertEquals(dir.resolve("b/site.crt.ocsp"), load(file(PemFiles.writeFile(dir.resolve("b/site.crt"),
                EC.chainPem(), EC.privateKeyPem())), CertificateLayout.DEFAULT).get(0).ocspSubject().ocspFile());
    }

    @Test
    void delExtRemovesOnlyDotCrtAndNotABundleExtension() {
        Path pem = PemFiles.writeFile(dir.resolve("site.pem"), EC.certificatePem());
        PemFiles.writeFile(dir.resolve("site.pem.key"), PemFiles.pkcs8(EC.keyPair().getPrivate()));
        assertEquals(dir.resolve("site.pem.ocsp"), load(file(pem), DEL_EXT).get(0).ocspSubject().ocspFile(),
                "HAProxy: the file must end in .crt");
        Path bundle = dir.resolve("b/site.crt");
        PemFiles.writeFile(member(bundle, ".rsa"), RSA.certificatePem());
        PemFiles.writeFile(member(bundle, ".rsa.key"), PemFiles.pkcs8(RSA.keyPair().getPrivate()));
        LoadedCertificate c = load(file(bundle), DEL_EXT).get(0);
        assertEquals(member(bundle, ".rsa"), c.source());
        assertEquals(member(bundle, ".rsa.ocsp"), c.ocspSubject().ocspFile());
    }

    @Test
    void delExtSiblingsInADirectoryAreNotReadAsCertificates() {
        PemFiles.writeFile(dir.resolve("certs/site.crt"), EC.certificatePem());
        PemFiles.writeFile(dir.resolve("certs/site.key"), PemFiles.pkcs8(EC.keyPair().getPrivate()));
        PemFiles.writeFile(dir.resolve("certs/site.ocsp"), "not a certificate");
        List<LoadedCertificate> loaded = load(new CertificateSource.Directory(dir.resolve("certs"), OcspOptions.DEFAULT),
                DEL_EXT);
        assertEquals(List.of(dir.resolve("certs/site.crt")), loaded.stream().map(LoadedCertificate::source).toList());
    }

    @Test
    void runtimeReplacementKeepsTheLayout() {
        Path crt = PemFiles.writeFile(dir.resolve("site.crt"), EC.chainPem(), EC.privateKeyPem());
        LoadedCertificate c = load(file(crt), DEL_EXT).get(0);
        IssuedCertificate next = TestPki.ecLeaf("site.test", "site.test");
        LoadedCertificate replaced = c.replacedBy(List.of(next.certificate()), next.keyPair().getPrivate(), null);
        assertEquals(dir.resolve("site.ocsp"), replaced.ocspSubject().ocspFile());
    }

    private IssuerChains issuers(String... files) {
        Path issuers = dir.resolve("issuers");
        for (int i = 0; i < files.length; i++) {
            PemFiles.writeFile(issuers.resolve("chain" + i + ".pem"), files[i]);
        }
        return IssuerChains.load(issuers);
    }

    @Test
    void issuersChainPathCompletesALeafOnlyFileAndGivesItsIssuer() {
        IssuedCertificate other = new TestPki("other").leaf(null);
        CertificateLayout layout = new CertificateLayout(false, issuers(
                new TestPki("other").ca.certificatePem(),
                TestPki.INTERMEDIATE.certificatePem() + TestPki.ROOT.certificatePem()));
        Path crt = PemFiles.writeFile(dir.resolve("leaf.pem"), EC.certificatePem(), EC.privateKeyPem());
        LoadedCertificate c = load(file(crt), layout).get(0);
        assertEquals(List.of(EC.certificate(), TestPki.INTERMEDIATE.certificate(), TestPki.ROOT.certificate()), c.chain(),
                "the whole chain of the file whose first certificate issued the leaf");
        assertEquals(TestPki.INTERMEDIATE.certificate(), c.issuer());
        assertEquals(List.of(EC.certificate()), load(file(crt)).get(0).chain(), "without issuers: the leaf alone");
        Path unknown = PemFiles.writeFile(dir.resolve("other.pem"), other.certificatePem(), other.privateKeyPem());
        assertEquals(List.of(other.certificate()), load(file(unknown), layout).get(0).chain(),
                "no chain of its issuer: served as it is");
    }

    @Test
    void aFileWithAChainOfItsOwnIsNotCompletedButMayTakeItsIssuerFromTheChains() {
        CertificateLayout layout = new CertificateLayout(false, issuers(TestPki.INTERMEDIATE.certificatePem()));
        Path crt = PemFiles.writeFile(dir.resolve("leaf.pem"), EC.certificatePem(), TestPki.ROOT.certificatePem(),
                EC.privateKeyPem());
        LoadedCertificate c = load(file(crt), layout).get(0);
        assertEquals(List.of(EC.certificate(), TestPki.ROOT.certificate()), c.chain(), "HAProxy completes only a bare leaf");
        assertEquals(TestPki.INTERMEDIATE.certificate(), c.issuer(), "no issuer in the file, no .issuer: the chains'");
        Path withIssuer = PemFiles.writeFile(dir.resolve("issued.pem"), EC.certificatePem(), TestPki.ROOT.certificatePem(),
                EC.privateKeyPem());
        EC.writeIssuerSibling(withIssuer);
        assertEquals(TestPki.INTERMEDIATE.certificate(), load(file(withIssuer), layout).get(0).issuer());
    }

    @Test
    void aRuntimeReplacementWithALeafOnlyIsCompletedToo() {
        CertificateLayout layout = new CertificateLayout(false, issuers(TestPki.INTERMEDIATE.certificatePem()));
        LoadedCertificate c = load(file(PemFiles.writeFile(dir.resolve("leaf.pem"), EC.chainPem(), EC.privateKeyPem())),
                layout).get(0);
        IssuedCertificate next = TestPki.ecLeaf("site.test", "site.test");
        LoadedCertificate replaced = c.replacedBy(List.of(next.certificate()), next.keyPair().getPrivate(), null);
        assertEquals(List.of(next.certificate(), TestPki.INTERMEDIATE.certificate()), replaced.chain());
        assertEquals(TestPki.INTERMEDIATE.certificate(), replaced.issuer());
    }

    @Test
    void issuersChainFilesThatCannotBeUsedAreRefusedNamingTheFile() {
        Path issuers = dir.resolve("issuers");
        PemFiles.writeFile(issuers.resolve(".hidden"), "ignored");
        PemFiles.writeFile(issuers.resolve("sub/ignored.pem"), "ignored: subdirectories are not read");
        assertEquals(0, IssuerChains.load(issuers).size());
        PemFiles.writeFile(issuers.resolve("a.pem"), TestPki.INTERMEDIATE.certificatePem());
        assertEquals(1, IssuerChains.load(issuers).size());
        Path empty = PemFiles.writeFile(issuers.resolve("b.txt"), "just some notes\n");
        assertEquals(empty + ": no certificate found in the file (every file of an issuers chain directory must hold a "
                + "PEM chain, its issuing CA first)", assertThrows(TlsSetupException.class, () -> IssuerChains.load(issuers))
                .getMessage());
        PemFiles.writeFile(empty, "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n");
        String m = assertThrows(TlsSetupException.class, () -> IssuerChains.load(issuers)).getMessage();
        assertTrue(m.startsWith(empty + ": not a valid PEM file: "), m);
        PemFiles.writeFile(empty, TestPki.INTERMEDIATE.certificatePem());
        assertEquals(empty + ": duplicate issuers chain for CN=stapled test intermediate, already in "
                + issuers.resolve("a.pem"), assertThrows(TlsSetupException.class, () -> IssuerChains.load(issuers))
                .getMessage());
    }

    @Test
    void anIssuersChainProblemIsAConfigErrorAtTheOptionsLine() {
        Path issuers = dir.resolve("issuers");
        Path bad = PemFiles.writeFile(issuers.resolve("bad.pem"), "nothing here");
        io.stapled.config.CertificateFiles files = new io.stapled.config.CertificateFiles(null, null, false, issuers,
                new io.stapled.config.ConfigOrigin(Path.of("stapled.yaml"), 4, "global.issuers_chain_path"));
        io.stapled.config.ConfigException e = assertThrows(io.stapled.config.ConfigException.class,
                () -> CertificateLayout.of(files));
        assertEquals("stapled.yaml:4 global.issuers_chain_path: " + bad + ": no certificate found in the file (every "
                + "file of an issuers chain directory must hold a PEM chain, its issuing CA first)", e.getMessage());
    }
}
