package io.stapled.tls;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import io.stapled.testing.ExternalTool;
import io.stapled.testing.StapledServerExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A crt-list line's TLS options change the handshake of that line's certificate and of no other (issue 11):
 * the real server, {@code openssl s_client} as the client, {@code plain.test} (a line without options) as
 * the control for every check.
 */
@Timeout(60)
class CrtListOptionsTest {
    @RegisterExtension
    static final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            frontends:
              - name: https
                bind: 127.0.0.1:0
                mode: http
                backend: web
                certificates:
                  - crt_list: ${dir}/certs.list
            backends:
              - name: web
                servers:
                  - { name: web1, address: 127.0.0.1:${backend} }
            # certificates: ${cert:plain.test} ${cert:max12.test} ${cert:min13.test} ${cert:cipher.test}
            # ${cert:p384.test} ${cert:ecdhe.test} ${cert:noalpn.test} ${cert:suites.test}
            """).beforeServer(CrtListOptionsTest::writeList);

    private static void writeList(StapledServerExtension ext) {
        try {
            Files.writeString(ext.dir().resolve("certs.list"), String.join("\n",
                    ext.certificateFile("plain.test") + "",
                    ext.certificateFile("max12.test") + " [ssl-max-ver TLSv1.2]",
                    ext.certificateFile("min13.test") + " [ssl-min-ver TLSv1.3]",
                    ext.certificateFile("cipher.test") + " [ciphers ECDHE-ECDSA-AES128-GCM-SHA256]",
                    ext.certificateFile("p384.test") + " [curves P-384]",
                    ext.certificateFile("ecdhe.test") + " [ecdhe secp384r1]",
                    ext.certificateFile("noalpn.test") + " [no-alpn]",
                    ext.certificateFile("suites.test") + " [ciphersuites TLS_AES_256_GCM_SHA384]", ""));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @BeforeAll
    static void openssl() {
        ExternalTool.assumeInstalled("openssl");
    }

    /** s_client with stdin closed: it prints the handshake and hangs up instead of waiting out the idle timeout. */
    private static String sClient(String name, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect",
                "127.0.0.1:" + stapled.port("https"), "-servername", name));
        cmd.addAll(List.of(args));
        return ExternalTool.run(15, cmd).output();
    }

    private static void assertHas(String out, String expected) {
        assertTrue(out.contains(expected), () -> "expected '" + expected + "' in s_client's summary:\n"
                + out.lines().filter(l -> !l.startsWith(" ") && !l.matches("[A-Za-z0-9+/=]{20,}")).toList());
    }

    @Test
    void sslMaxVerCapsThatCertificateAtTls12() throws Exception {
        assertHas(sClient("max12.test"), "New, TLSv1.2, Cipher is");
        assertHas(sClient("plain.test"), "New, TLSv1.3, Cipher is");
        String refused = sClient("max12.test", "-tls1_3");
        assertTrue(!refused.contains("New, TLSv1.3"), refused);
    }

    @Test
    void sslMinVerRefusesTls12ForThatCertificateOnly() throws Exception {
        String out = sClient("min13.test", "-tls1_2");
        assertTrue(!out.contains("New, TLSv1.2"), out);
        assertHas(sClient("plain.test", "-tls1_2"), "New, TLSv1.2, Cipher is");
        assertHas(sClient("min13.test"), "New, TLSv1.3, Cipher is");
    }

    @Test
    void ciphersRestrictTheTls12SuitesOfThatCertificate() throws Exception {
        assertHas(sClient("cipher.test", "-tls1_2"), "Cipher is ECDHE-ECDSA-AES128-GCM-SHA256");
        String other = "ECDHE-ECDSA-AES256-GCM-SHA384";
        String refused = sClient("cipher.test", "-tls1_2", "-cipher", other);
        assertTrue(!refused.contains("Cipher is " + other), refused);
        assertHas(sClient("plain.test", "-tls1_2", "-cipher", other), "Cipher is " + other);
        assertHas(sClient("cipher.test"), "New, TLSv1.3, Cipher is TLS_");
    }

    @Test
    void curvesAndEcdheChooseTheKeyExchangeGroup() throws Exception {
        for (String name : new String[] {"p384.test", "ecdhe.test"}) {
            assertHas(sClient(name, "-tls1_2"), "Server Temp Key: ECDH, secp384r1, 384 bits");
            assertHas(sClient(name, "-tls1_3"), "Server Temp Key: ECDH, secp384r1, 384 bits");
        }
        assertHas(sClient("plain.test", "-tls1_2"), "Server Temp Key: X25519");
        String refused = sClient("p384.test", "-groups", "X25519:P-256");
        assertTrue(!refused.contains("Cipher is TLS"), refused);
    }

    @Test
    void noAlpnNegotiatesNoProtocolForThatCertificate() throws Exception {
        assertHas(sClient("noalpn.test", "-alpn", "http/1.1"), "No ALPN negotiated");
        assertHas(sClient("plain.test", "-alpn", "http/1.1"), "ALPN protocol: http/1.1");
    }

    @Test
    void ciphersuitesDoNotRestrictBoringSslsTls13Suites() throws Exception {
        // Documented: BoringSSL serves its fixed TLS 1.3 suites whatever the list says.
        assertHas(sClient("suites.test", "-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"),
                "Cipher is TLS_AES_128_GCM_SHA256");
    }
}
