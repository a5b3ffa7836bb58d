package io.stapled.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The per-line {@code [ssl-options]} of a crt-list (issue 11): applied, refused with list:line, or warned about. */
class CrtListParserTest {
    @TempDir
    Path dir;

    private List<CrtListEntry> parse(String text) {
        return CrtListParser.parse(PemFiles.writeFile(dir.resolve("certs.list"), text));
    }

    private CrtListEntry one(String options) {
        return parse("a.pem [" + options + "] a.test\n").get(0);
    }

    /** The message for a list whose second line carries {@code options}. */
    private String refusal(String options) {
        Path list = PemFiles.writeFile(dir.resolve("bad.list"), "a.pem\na.pem [" + options + "] a.test\n");
        String m = assertThrows(TlsSetupException.class, () -> CrtListParser.parse(list)).getMessage();
        assertTrue(m.startsWith(list + ":2: "), "names list:line: " + m);
        return m.substring((list + ":2: ").length());
    }

    @Test
    void versionsCiphersCurvesAndNoAlpnBecomeTheLinesOverrides() {
        List<CrtListEntry> entries = parse("""
                a.pem [ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.2] a.test
                b.pem [ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE+AESGCM ciphersuites TLS_AES_128_GCM_SHA256] b.test
                c.pem [curves X25519:P-384 no-alpn] c.test
                d.pem [ecdhe secp384r1] d.test
                e.pem [alpn h2 ocsp-update off] e.test
                f.pem f.test
                """);
        Path list = dir.resolve("certs.list");
        TlsOverrides a = entries.get(0).tls();
        assertEquals(new TlsOverrides(list + ":1", "TLSv1.2", "TLSv1.2", null, null, List.of(), false), a);
        assertEquals(List.of("TLSv1.2"), a.protocols(List.of("TLSv1.2", "TLSv1.3")));
        assertEquals(new TlsOverrides(list + ":2", null, null, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE+AESGCM",
                "TLS_AES_128_GCM_SHA256", List.of(), false), entries.get(1).tls());
        assertEquals(new TlsOverrides(list + ":3", null, null, null, null, List.of("X25519", "P-384"), true),
                entries.get(2).tls());
        assertEquals(List.of("secp384r1"), entries.get(3).tls().curves(), "ecdhe is a one-group curves");
        assertSame(TlsOverrides.NONE, entries.get(4).tls(), "alpn and ocsp-update travel on their own");
        assertEquals(List.of("h2"), entries.get(4).alpn());
        assertSame(TlsOverrides.NONE, entries.get(5).tls());
        assertEquals("curves X25519:P-384 no-alpn", entries.get(2).tls().describe());
    }

    @Test
    void aVersionRangeWidensOrNarrowsTheFrontendsProtocols() {
        List<String> both = List.of("TLSv1.2", "TLSv1.3");
        assertEquals(List.of("TLSv1.3"), one("ssl-min-ver TLSv1.3").tls().protocols(both));
        assertEquals(List.of("TLSv1.2"), one("ssl-max-ver TLSv1.2").tls().protocols(both));
        assertEquals(both, one("ssl-min-ver TLSv1.2").tls().protocols(List.of("TLSv1.3")),
                "a line may allow more than the frontend, as in HAProxy");
        assertEquals(both, one("curves P-256").tls().protocols(both), "no bound: the frontend's");
        TlsOverrides max12 = one("ssl-max-ver TLSv1.2").tls();
        String m = assertThrows(TlsSetupException.class, () -> max12.protocols(List.of("TLSv1.3"))).getMessage();
        assertEquals(dir.resolve("certs.list") + ":1: ssl-min-ver/ssl-max-ver leave no protocol enabled (the "
                + "frontend's tls.protocols are [TLSv1.3])", m);
    }

    @Test
    void aCrtStoreReferenceIsRefusedSayingWhatToWriteInstead() {
        Path list = PemFiles.writeFile(dir.resolve("store.list"), "a.pem\n@web/site1 [ocsp-update on] site.test\n");
        String m = assertThrows(TlsSetupException.class, () -> CrtListParser.parse(list)).getMessage();
        assertEquals(list + ":2: '@web/site1' names a certificate of a HAProxy crt-store; stapled has no crt-store "
                + "sections: name the certificate file itself (crt, key and crt_base/key_base cover a store's load "
                + "lines; see docs/TLS.md, crt-store)", m);
    }

    @Test
    void versionsBelowStapledsFloorAndUnknownVersionsAreRefused() {
        for (String v : List.of("SSLv3", "TLSv1.0", "TLSv1.1")) {
            assertEquals("ssl-min-ver " + v + " is below stapled's floor TLSv1.2 (stapled serves TLSv1.2 and TLSv1.3 "
                    + "only)", refusal("ssl-min-ver " + v));
            assertEquals("ssl-max-ver " + v + " is below stapled's floor TLSv1.2 (stapled serves TLSv1.2 and TLSv1.3 "
                    + "only)", refusal("ssl-max-ver " + v));
        }
        assertEquals("ssl-min-ver must be one of SSLv3, TLSv1.0, TLSv1.1, TLSv1.2, TLSv1.3, not 'tls1.2'",
                refusal("ssl-min-ver tls1.2"));
        assertEquals("ssl-min-ver TLSv1.3 is above ssl-max-ver TLSv1.2", refusal("ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.2"));
        assertEquals("option 'ssl-max-ver' needs a value", refusal("ssl-max-ver"));
    }

    @Test
    void badCipherStringsSuitesAndGroupsAreRefusedByName() {
        String m = refusal("ciphers NOT-A-CIPHER");
        assertTrue(m.startsWith("ciphers 'NOT-A-CIPHER' is not a valid cipher list: "), m);
        m = refusal("ciphers !ALL");
        assertTrue(m.startsWith("ciphers '!ALL' is not a valid cipher list: "), m);
        assertEquals("ciphersuites: 'ECDHE-RSA-AES128-GCM-SHA256' is not a TLS 1.3 suite (e.g. "
                + "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256)",
                refusal("ciphersuites TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256"));
        assertEquals("curves: 'P-999' is not a group BoringSSL supports (e.g. X25519, P-256, P-384, P-521)",
                refusal("curves X25519:P-999"));
        assertEquals("curves: empty group name in 'X25519::P-256'", refusal("curves X25519::P-256"));
        assertEquals("ecdhe: 'brainpoolP256r1' is not a group BoringSSL supports (e.g. X25519, P-256, P-384, P-521)",
                refusal("ecdhe brainpoolP256r1"));
    }

    @Test
    void clientCertificateOptionsBecomeTheLinesOverrides() {
        PemFiles.writeFile(dir.resolve("ca.pem"), "x");
        PemFiles.writeFile(dir.resolve("crl.pem"), "x");
        List<CrtListEntry> entries = parse("""
                a.pem [verify required ca-file ca.pem crl-file crl.pem] a.test
                b.pem [verify none] b.test
                c.pem [verify optional] c.test
                """);
        TlsOverrides a = entries.get(0).tls();
        assertEquals(io.stapled.config.ClientAuthConfig.Mode.REQUIRED, a.verify());
        assertEquals(dir.resolve("ca.pem"), a.caFile(), "relative to the crt-list's directory");
        assertEquals(dir.resolve("crl.pem"), a.crlFile());
        assertEquals("verify required ca-file " + dir.resolve("ca.pem") + " crl-file " + dir.resolve("crl.pem"),
                a.describe());
        assertEquals(io.stapled.config.ClientAuthConfig.Mode.NONE, entries.get(1).tls().verify());
        // verify without a ca-file takes the frontend's; without one either, building the context refuses it
        TlsOverrides c = entries.get(2).tls();
        String m = assertThrows(TlsSetupException.class,
                () -> c.clientAuth(io.stapled.config.ClientAuthConfig.NONE)).getMessage();
        assertEquals(dir.resolve("certs.list") + ":3: verify optional needs a ca-file (on the line, or the "
                + "frontend's tls.client_auth.ca_file)", m);
    }

    @Test
    void clientCertificateOptionsSigalgsAndContradictionsAreRefused() {
        assertEquals("verify must be 'none', 'optional' or 'required', not 'sometimes'", refusal("verify sometimes"));
        assertEquals("ca-file " + dir.resolve("nope.pem") + ": not a readable file", refusal("ca-file nope.pem"));
        assertEquals("crl-file " + dir.resolve("nope.crl") + ": not a readable file", refusal("crl-file nope.crl"));
        assertTrue(refusal("ca-verify-file ca.pem").startsWith("crt-list option 'ca-verify-file' is not supported"));
        assertEquals("crt-list option 'sigalgs' is not supported: netty-tcnative cannot restrict the server's "
                + "signature algorithms, and serving others than listed is not what the line asks",
                refusal("sigalgs ECDSA+SHA256"));
        assertEquals("'alpn' and 'no-alpn' on the same line contradict each other", refusal("alpn h2 no-alpn"));
        assertEquals("option 'ciphers' given twice", refusal("ciphers ECDHE+AESGCM ciphers ECDHE+CHACHA20"));
        String m = refusal("ssl-foo bar");
        assertTrue(m.startsWith("unsupported crt-list option 'ssl-foo' (stapled supports ocsp-update, alpn, "), m);
    }

    @Test
    void optionsThatCannotMatterAreAcceptedWithAWarningNamingTheLine() {
        Logger logger = (Logger) LoggerFactory.getLogger(CrtListParser.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        List<CrtListEntry> entries;
        try {
            entries = parse("""
                    a.pem [npn h2,http/1.1 allow-0rtt] a.test
                    b.pem [no-ca-names client-sigalgs ECDSA+SHA256]
                    c.pem [ecdhe prime256v1 curves P-384]
                    d.pem [ciphersuites TLS_AES_256_GCM_SHA384]
                    """);
        } finally {
            logger.detachAppender(appender);
        }
        Path list = dir.resolve("certs.list");
        List<String> lines = appender.list.stream()
                .filter(ev -> ev.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
        assertEquals(List.of(
                "crt-list " + list + ":1: npn is not applicable: stapled has no NPN (it negotiates with ALPN only); "
                        + "ignored",
                "crt-list " + list + ":1: allow-0rtt is not applicable: 0-RTT is off in stapled; ignored",
                "crt-list " + list + ":2: no-ca-names is not supported: when stapled asks for a client certificate it "
                        + "names the ca-file's CAs; ignored",
                "crt-list " + list + ":2: client-sigalgs is not supported: netty-tcnative cannot restrict the "
                        + "signature algorithms asked of client certificates; ignored",
                "crt-list " + list + ":3: ecdhe prime256v1 is ignored: curves is set on the same line",
                "crt-list " + list + ":4: ciphersuites has no effect with BoringSSL, which serves its fixed TLS 1.3 "
                        + "suites (only global.tls_provider: jdk applies it)"), lines);
        assertSame(TlsOverrides.NONE, entries.get(0).tls());
        assertEquals(List.of("a.test"), entries.get(0).sni(), "flags do not swallow the SNI filters");
        assertSame(TlsOverrides.NONE, entries.get(1).tls());
        assertEquals(List.of("P-384"), entries.get(2).tls().curves());
        assertFalse(entries.get(2).tls().noAlpn());
    }
}
