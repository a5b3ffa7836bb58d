package io.stapled.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.List;

import io.stapled.testkit.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HAProxy's global certificate-file options in the YAML: crt_base, key_base, bundles, del-ext, issuers. */
class CertificateFilesConfigTest {
    @TempDir
    Path dir;

    private static final String FRONTEND = """
            %s
            frontends:
              - name: https
                bind: 127.0.0.1:0
                backend: app
                certificates:
            %s
            %s
            backends:
              - name: app
                servers:
                  - { name: s1, address: 127.0.0.1:8080 }
            """;

    private static String yaml(String global, String certificates, String tls) {
        return FRONTEND.formatted(global, certificates.indent(6).stripTrailing(), tls.indent(4).stripTrailing());
    }

    private StapledConfig load(String yaml) {
        return ConfigLoader.load(TestPki.write(dir.resolve("stapled.yaml"), yaml));
    }

    private List<String> errors(String yaml) {
        ConfigException e = assertThrows(ConfigException.class, () -> load(yaml));
        String prefix = dir + File.separator;
        return e.errors().stream().map(ConfigError::format)
                .map(s -> s.startsWith(prefix) ? s.substring(prefix.length()) : s).toList();
    }

    @Test
    void globalCrtBaseAndKeyBaseResolveRelativeCrtKeyDirAndCrtListEntriesButNotTheCrtListFile() {
        TestPki.withSiblingKey(dir.resolve("ssl/crt/site.pem"));
        TestPki.key(dir.resolve("ssl/keys/site.key"));
        TestPki.directory(dir.resolve("ssl/crt/all"));
        TestPki.write(dir.resolve("lists/list.txt"), "site.pem\n");
        StapledConfig c = load(yaml("""
                global:
                  crt_base: ssl/crt
                  key_base: ssl/keys
                """, """
                - crt: site.pem
                  key: site.key
                - dir: all
                - crt_list: lists/list.txt
                - crt: %s
                """.formatted(dir.resolve("ssl/crt/site.pem")), ""));
        assertEquals(new CertificateFiles(dir.resolve("ssl/crt"), dir.resolve("ssl/keys"), false, null, null),
                c.global().certificateFiles());
        List<CertificateSource> sources = c.frontends().get(0).certificates();
        CertificateSource.File f = (CertificateSource.File) sources.get(0);
        assertEquals(dir.resolve("ssl/crt/site.pem"), f.crt());
        assertEquals(dir.resolve("ssl/keys/site.key"), f.key());
        assertEquals(dir.resolve("ssl/crt/all"), ((CertificateSource.Directory) sources.get(1)).dir());
        CertificateSource.CrtList list = (CertificateSource.CrtList) sources.get(2);
        assertEquals(dir.resolve("lists/list.txt"), list.file(), "the crt-list file is not under crt_base (HAProxy)");
        assertEquals(dir.resolve("ssl/crt"), list.crtBase(), "its entries are");
        assertEquals(dir.resolve("ssl/crt/site.pem"), ((CertificateSource.File) sources.get(3)).crt());
    }

    @Test
    void aFrontendsTlsCrtBaseOverridesTheGlobalOne() {
        TestPki.bundle(dir.resolve("mine/site.pem"));
        TestPki.key(dir.resolve("global-keys/site.key"));
        StapledConfig c = load(yaml("""
                global: { crt_base: nowhere-needed, key_base: global-keys }
                """.replace("nowhere-needed", dir.resolve("global-keys").toString()), """
                - crt: site.pem
                  key: site.key
                """, """
                tls:
                  crt_base: mine
                """));
        CertificateSource.File f = (CertificateSource.File) c.frontends().get(0).certificates().get(0);
        assertEquals(dir.resolve("mine/site.pem"), f.crt());
        assertEquals(dir.resolve("global-keys/site.key"), f.key(), "key_base not overridden: the global one");
    }

    @Test
    void withoutBasesPathsAreRelativeToTheConfigFile() {
        TestPki.bundle(dir.resolve("site.pem"));
        StapledConfig c = load(yaml("", "- crt: site.pem", ""));
        assertEquals(CertificateFiles.DEFAULT, c.global().certificateFiles());
        assertEquals(dir.resolve("site.pem"), ((CertificateSource.File) c.frontends().get(0).certificates().get(0)).crt());
        assertEquals(null, ((CertificateSource.File) c.frontends().get(0).certificates().get(0)).key());
    }

    @Test
    void aCrtNamingABundleIsAcceptedAndItsMemberMayBeTheDefault() {
        TestPki.bundle(dir.resolve("site.pem.ecdsa"));
        StapledConfig c = load(yaml("", "- crt: site.pem", "default_certificate: site.pem.ecdsa"));
        assertEquals(dir.resolve("site.pem"), ((CertificateSource.File) c.frontends().get(0).certificates().get(0)).crt());
        assertEquals(dir.resolve("site.pem.ecdsa").toString(), c.frontends().get(0).defaultCertificate());
    }

    @Test
    void aCrtThatIsNeitherAFileNorABundleIsNotFound() {
        assertEquals(List.of("stapled.yaml:7 frontends[0].certificates[0].crt: file not found: " + dir.resolve("site.pem")),
                errors(yaml("", "- crt: site.pem", "")));
    }

    @Test
    void aCrtStoreReferenceIsAConfigErrorAtItsLine() {
        assertEquals(List.of("stapled.yaml:7 frontends[0].certificates[0].crt: '@web/site1' names a certificate of a "
                        + "HAProxy crt-store; stapled has no crt-store sections: name the certificate file itself (crt, "
                        + "key and crt_base/key_base cover a store's load lines; see docs/TLS.md, crt-store)"),
                errors(yaml("", "- crt: \"@web/site1\"", "")));
    }

    @Test
    void basesMustBeDirectories() {
        TestPki.bundle(dir.resolve("site.pem"));
        assertEquals(List.of(
                        "stapled.yaml:2 global.crt_base: directory not found: " + dir.resolve("nope"),
                        "stapled.yaml:3 global.key_base: expected a directory, got a file: " + dir.resolve("site.pem"),
                        "stapled.yaml:12 frontends[0].tls.crt_base: directory not found: " + dir.resolve("gone")),
                errors(yaml("""
                        global:
                          crt_base: nope
                          key_base: site.pem
                        """, "- crt: " + dir.resolve("site.pem"), """
                        tls:
                          crt_base: gone
                        """)));
    }

    @Test
    void loadExtraDelExtAndIssuersChainPathAreGlobal() {
        TestPki.bundle(dir.resolve("site.pem"));
        TestPki.write(dir.resolve("issuers/ca.pem"), TestPki.INTERMEDIATE.certificatePem());
        StapledConfig c = load(yaml("""
                global:
                  load_extra_del_ext: true
                  issuers_chain_path: issuers
                """, "- crt: site.pem", ""));
        assertTrue(c.global().certificateFiles().deleteExtension());
        assertEquals(dir.resolve("issuers"), c.global().certificateFiles().issuersChainPath());
        assertEquals(3, c.global().certificateFiles().issuersChainOrigin().line());
        assertFalse(load(yaml("", "- crt: site.pem", "")).global().certificateFiles().deleteExtension());
        assertEquals(List.of("stapled.yaml:2 global.issuers_chain_path: directory not found: " + dir.resolve("none"),
                        "stapled.yaml:3 global.load_extra_del_ext: expected true or false, got \"sometimes\""),
                errors(yaml("""
                        global:
                          issuers_chain_path: none
                          load_extra_del_ext: sometimes
                        """, "- crt: site.pem", "")));
    }

    /** What {@code stapled check} (and start-up) reports once the files are read: one config error. */
    private String checkError(String yaml) {
        StapledConfig config = load(yaml);
        ConfigException e = assertThrows(ConfigException.class, () -> io.stapled.server.ConfigCheck.verify(config));
        assertEquals(1, e.errors().size(), e.getMessage());
        return e.getMessage().substring((dir + File.separator).length());
    }

    @Test
    void aBadFileInTheIssuersChainPathIsReportedAtItsLineByCheck() {
        TestPki.bundle(dir.resolve("site.pem"));
        TestPki.write(dir.resolve("issuers/ca.pem"), TestPki.INTERMEDIATE.certificatePem());
        Path notes = TestPki.write(dir.resolve("issuers/notes.txt"), "the intermediates of our CA\n");
        assertEquals("stapled.yaml:2 global.issuers_chain_path: " + notes + ": no certificate found in the file (every "
                + "file of an issuers chain directory must hold a PEM chain, its issuing CA first)",
                checkError(yaml("""
                        global:
                          issuers_chain_path: issuers
                        """, "- crt: site.pem", "")));
    }

    @Test
    void bundleProblemsAreReportedAtTheCrtLineNamingTheMember() {
        TestPki.chainOnly(dir.resolve("site.pem.rsa"));
        assertEquals("stapled.yaml:7 frontends[0].certificates[0].crt: " + dir.resolve("site.pem.rsa")
                + ": no private key in the file and no site.pem.rsa.key beside it", checkError(yaml("", "- crt: site.pem", "")));
        TestPki.key(dir.resolve("site.key"));
        TestPki.write(dir.resolve("site.pem.rsa.key"), TestPki.WWW.privateKeyPem());
        assertEquals("stapled.yaml:7 frontends[0].certificates[0].crt: " + dir.resolve("site.pem")
                + ": a multi-certificate bundle (site.pem.rsa) takes each member's key from the member or its .key "
                + "sibling; an explicit key would fit one member only",
                checkError(yaml("", "- crt: site.pem\n  key: site.key", "")));
    }

    @Test
    void delExtWithoutTheKeySiblingNamesTheFileItLookedFor() {
        TestPki.chainOnly(dir.resolve("site.crt"));
        assertEquals("stapled.yaml:7 frontends[0].certificates[0].crt: " + dir.resolve("site.crt")
                + ": no private key in the file and no site.key beside it",
                checkError(yaml("global: { load_extra_del_ext: true }", "- crt: site.crt", "")));
    }
}
