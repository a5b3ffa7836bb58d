package io.stapled.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** The ClientHello parser and HAProxy's ECDSA/RSA rule on hand-built hellos. */
class ClientHelloParserTest {
    private static final int ECDHE_ECDSA_AES128_GCM = 0xC02B;
    private static final int ECDHE_RSA_AES128_GCM = 0xC02F;
    private static final int TLS_AES_128_GCM = 0x1301;
    private static final int ECDSA_P256_SHA256 = 0x0403;
    private static final int RSA_PSS_SHA256 = 0x0804;
    private static final int RSA_PKCS1_SHA256 = 0x0401;

    /** A ClientHello body (from client_version on) with these suites and extensions. */
    static final class Hello {
        private final ByteArrayOutputStream ext = new ByteArrayOutputStream();
        private int[] suites = {ECDHE_RSA_AES128_GCM};
        private boolean noExtensions;

        Hello suites(int... s) {
            suites = s;
            return this;
        }

        Hello sni(String name) {
            byte[] n = name.getBytes(StandardCharsets.US_ASCII);
            ByteArrayOutputStream d = new ByteArrayOutputStream();
            u16(d, n.length + 3);
            d.write(0);
            u16(d, n.length);
            d.writeBytes(n);
            return ext(0, d.toByteArray());
        }

        Hello statusRequest() {
            return ext(5, new byte[] {1, 0, 0, 0, 0});
        }

        Hello sigAlgs(int... schemes) {
            ByteArrayOutputStream d = new ByteArrayOutputStream();
            u16(d, schemes.length * 2);
            for (int s : schemes) {
                u16(d, s);
            }
            return ext(13, d.toByteArray());
        }

        Hello supportedVersions(int... versions) {
            ByteArrayOutputStream d = new ByteArrayOutputStream();
            d.write(versions.length * 2);
            for (int v : versions) {
                u16(d, v);
            }
            return ext(43, d.toByteArray());
        }

        Hello alpn(String... protocols) {
            ByteArrayOutputStream list = new ByteArrayOutputStream();
            for (String p : protocols) {
                list.write(p.length());
                list.writeBytes(p.getBytes(StandardCharsets.US_ASCII));
            }
            ByteArrayOutputStream d = new ByteArrayOutputStream();
            u16(d, list.size());
            d.writeBytes(list.toByteArray());
            return ext(16, d.toByteArray());
        }

        Hello ext(int type, byte[] data) {
            u16(ext, type);
            u16(ext, data.length);
            ext.writeBytes(data);
            return this;
        }

        Hello withoutExtensions() {
            noExtensions = true;
            return this;
        }

        byte[] bytes() {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            u16(b, 0x0303);
            b.writeBytes(new byte[32]);
            b.write(32);
            b.writeBytes(new byte[32]);
            u16(b, suites.length * 2);
            for (int s : suites) {
                u16(b, s);
            }
            b.write(1);
            b.write(0);
            if (!noExtensions) {
                u16(b, ext.size());
                b.writeBytes(ext.toByteArray());
            }
            return b.toByteArray();
        }

        private static void u16(ByteArrayOutputStream o, int v) {
            o.write(v >>> 8);
            o.write(v & 0xFF);
        }
    }

    private static ClientHelloInfo parse(byte[] bytes) {
        ByteBuf b = Unpooled.wrappedBuffer(bytes);
        try {
            return ClientHelloParser.parse(b);
        } finally {
            b.release();
        }
    }

    @Test
    void readsSniStatusRequestAndAlpn() {
        ClientHelloInfo h = parse(new Hello().sni("WWW.Example.COM.").statusRequest().alpn("h2", "http/1.1").bytes());
        assertNotNull(h);
        assertEquals("www.example.com", h.serverName());
        assertTrue(h.statusRequest());
        assertEquals(List.of("h2", "http/1.1"), h.alpn());
    }

    @Test
    void absentExtensionsReadAsAbsent() {
        ClientHelloInfo h = parse(new Hello().withoutExtensions().bytes());
        assertNotNull(h);
        assertNull(h.serverName());
        assertFalse(h.statusRequest());
        assertFalse(h.signatureAlgorithms());
        assertEquals(List.of(), h.alpn());
    }

    @Test
    void ecdsaWhenSignatureAlgorithmsAllowItAndTls13IsOffered() {
        ClientHelloInfo h = parse(new Hello().suites(TLS_AES_128_GCM, ECDHE_RSA_AES128_GCM)
                .sigAlgs(ECDSA_P256_SHA256, RSA_PSS_SHA256).supportedVersions(0x0304, 0x0303).bytes());
        assertTrue(h.tls13Offered());
        assertTrue(h.acceptsEcdsa());
    }

    @Test
    void ecdsaWhenSignatureAlgorithmsAllowItAndAnEcdsaSuiteIsOffered() {
        ClientHelloInfo h = parse(new Hello().suites(ECDHE_ECDSA_AES128_GCM, ECDHE_RSA_AES128_GCM)
                .sigAlgs(ECDSA_P256_SHA256, RSA_PKCS1_SHA256).bytes());
        assertFalse(h.tls13Offered());
        assertTrue(h.acceptsEcdsa());
    }

    @Test
    void rsaWhenSignatureAlgorithmsHoldNoEcdsaScheme() {
        ClientHelloInfo h = parse(new Hello().suites(TLS_AES_128_GCM, ECDHE_ECDSA_AES128_GCM)
                .sigAlgs(RSA_PSS_SHA256, RSA_PKCS1_SHA256).supportedVersions(0x0304).bytes());
        assertFalse(h.ecdsaSignatureOffered());
        assertFalse(h.acceptsEcdsa());
    }

    @Test
    void rsaWhenEcdsaSignaturesButNoSuiteCanUseThem() {
        ClientHelloInfo h = parse(new Hello().suites(ECDHE_RSA_AES128_GCM)
                .sigAlgs(ECDSA_P256_SHA256, RSA_PKCS1_SHA256).supportedVersions(0x0303).bytes());
        assertFalse(h.acceptsEcdsa());
    }

    @Test
    void withoutSignatureAlgorithmsTheSuitesDecide() {
        assertTrue(parse(new Hello().suites(ECDHE_ECDSA_AES128_GCM).bytes()).acceptsEcdsa());
        assertFalse(parse(new Hello().suites(ECDHE_RSA_AES128_GCM).bytes()).acceptsEcdsa());
        assertTrue(parse(new Hello().suites(0xCCA9).bytes()).acceptsEcdsa()); // ECDHE-ECDSA-CHACHA20-POLY1305
    }

    @Test
    void statusRequestOfAnotherTypeIsNotAStapleRequest() {
        assertFalse(parse(new Hello().ext(5, new byte[] {2, 0, 0, 0, 0}).bytes()).statusRequest());
    }

    @Test
    void everyTruncationIsMalformedNotAnException() {
        byte[] full = new Hello().sni("a.example.com").statusRequest().sigAlgs(ECDSA_P256_SHA256)
                .supportedVersions(0x0304).alpn("http/1.1").bytes();
        assertNotNull(parse(full));
        for (int len = 0; len < full.length; len++) {
            byte[] cut = java.util.Arrays.copyOf(full, len);
            ClientHelloInfo h = parse(cut);
            // Cutting exactly after the compression methods leaves a valid extension-less hello.
            if (h != null) {
                assertEquals(2 + 32 + 1 + 32 + 2 + 2 + 2, len, "only the extension-less prefix may parse");
            }
        }
    }

    @Test
    void inconsistentLengthsAreMalformed() {
        // server_name list length disagrees with the extension length
        assertNull(parse(new Hello().ext(0, new byte[] {0, 9, 0, 0, 1, 'a'}).bytes()));
        // odd signature_algorithms length
        assertNull(parse(new Hello().ext(13, new byte[] {0, 3, 4, 3, 8}).bytes()));
        // zero-length ALPN protocol
        assertNull(parse(new Hello().ext(16, new byte[] {0, 1, 0}).bytes()));
        // odd cipher suites length
        byte[] bytes = new Hello().bytes();
        bytes[2 + 32 + 1 + 32 + 1] = 3;
        assertNull(parse(bytes));
        assertNull(ClientHelloParser.parse(null));
    }

    @Test
    void ecdsaSuiteTable() {
        assertTrue(ClientHelloParser.isEcdsaSuite(0xC009)); // ECDHE-ECDSA-AES128-SHA
        assertTrue(ClientHelloParser.isEcdsaSuite(0xC02C)); // ECDHE-ECDSA-AES256-GCM-SHA384
        assertFalse(ClientHelloParser.isEcdsaSuite(0xC030)); // ECDHE-RSA-AES256-GCM-SHA384
        assertFalse(ClientHelloParser.isEcdsaSuite(0xC013)); // ECDHE-RSA-AES128-SHA
        assertFalse(ClientHelloParser.isEcdsaSuite(0x009C)); // AES128-GCM-SHA256
    }
}
