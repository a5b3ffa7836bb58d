package io.stapled.tls;

import static io.stapled.text.OneLine.oneLine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.netty.handler.ssl.CipherSuiteConverter;
import io.netty.handler.ssl.OpenSsl;
import io.netty.internal.tcnative.SSL;
import io.netty.internal.tcnative.SSLContext;
import io.stapled.config.TlsConfig;

/**
 * Turns the config's OpenSSL cipher strings into the list of single suites Netty takes. Netty's
 * builder only accepts suite names, not OpenSSL expressions such as {@code ECDHE+AESGCM:!SHA1}, so
 * the TLS 1.2 string is expanded by BoringSSL itself on a throwaway SSL_CTX at start-up: the result
 * is exactly what BoringSSL would enable, and a bad string fails here with BoringSSL's verdict.
 */
final class CipherList {
    /** Used for TLS 1.2 when only {@code ciphersuites} is configured (Mozilla "intermediate"). */
    static final String INTERMEDIATE_TLS12 = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
            + "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
            + "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

    /** TLS 1.3 when only {@code ciphers} is configured: the three suites BoringSSL (and the JDK) serve. */
    static final String DEFAULT_TLS13 = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

    private CipherList() { }

    /** The suites to give Netty, or null for Netty's defaults when the config names none. */
    static List<String> forConfig(TlsConfig tls, boolean openSsl) {
        return forStrings(tls.ciphers(), tls.ciphersuites(), openSsl, "tls.ciphers");
    }

    /**
     * The suites for a TLS 1.2 cipher string and a TLS 1.3 suite list, either null; null when both are.
     *
     * @param label what an error calls the TLS 1.2 string ({@code tls.ciphers}, {@code list:line: ciphers})
     */
    static List<String> forStrings(String ciphers, String ciphersuites, boolean openSsl, String label) {
        if (ciphers == null && ciphersuites == null) {
            return null;
        }
        String tls12 = ciphers != null ? ciphers : INTERMEDIATE_TLS12;
        List<String> suites = new ArrayList<>(openSsl ? expand(tls12, label) : split(tls12));
        // A TLS 1.2 string says nothing about TLS 1.3 (HAProxy's ciphers/ciphersuites split); Netty would
        // turn TLS 1.3 off for a list without any TLS 1.3 suite, so the defaults stand in for a missing one.
        suites.addAll(split(ciphersuites != null ? ciphersuites : DEFAULT_TLS13));
        if (!openSsl) {
            suites.replaceAll(s -> {
                String java = CipherSuiteConverter.toJava(s, "TLS");
                return java != null ? java : s;
            });
        }
        return List.copyOf(suites);
    }

    /** The TLS 1.2 suites BoringSSL enables for an OpenSSL cipher string. */
    static List<String> expand(String openSslCiphers) {
        return expand(openSslCiphers, "tls.ciphers");
    }

    /** As {@link #expand(String)}, errors calling the string {@code label}. */
    static List<String> expand(String openSslCiphers, String label) {
        OpenSsl.ensureAvailability();
        long ctx;
        try {
            ctx = SSLContext.make(SSL.SSL_PROTOCOL_TLSV1_2, SSL.SSL_MODE_SERVER);
        } catch (Exception e) {
            throw new TlsSetupException("cannot create an SSL_CTX to check the cipher list: " + oneLine(e), e);
        }
        try {
            try {
                SSLContext.setCipherSuite(ctx, openSslCiphers, false);
            } catch (Exception e) {
                throw new TlsSetupException(label + " '" + openSslCiphers + "' is not a valid cipher list: "
                        + oneLine(e), e);
            }
            long ssl = SSL.newSSL(ctx, true);
            try {
                String[] names = SSL.getCiphers(ssl);
                List<String> out = names == null ? List.of()
                        : Arrays.stream(names).filter(n -> !n.startsWith("TLS_")).toList();
                if (out.isEmpty()) {
                    throw new TlsSetupException(label + " '" + openSslCiphers + "' enables no cipher suite");
                }
                return out;
            } finally {
                SSL.freeSSL(ssl);
            }
        } finally {
            SSLContext.free(ctx);
        }
    }

    private static List<String> split(String list) {
        return Arrays.stream(list.split("[:,\\s]+")).filter(s -> !s.isEmpty()).toList();
    }
}
