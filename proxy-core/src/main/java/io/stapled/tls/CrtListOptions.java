package io.stapled.tls;

import static io.stapled.text.OneLine.oneLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.netty.handler.ssl.OpenSsl;
import io.netty.internal.tcnative.SSL;
import io.netty.internal.tcnative.SSLContext;
import io.stapled.config.ClientAuthConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code [ssl-options]} of one crt-list line, HAProxy's per-line bind options. Each option is
 * applied ({@link TlsOverrides}, {@code alpn}, {@code ocsp-update}), refused with {@code list:line}
 * when stapled cannot do what it asks, or accepted with a WARN line when it cannot matter in stapled
 * (no NPN, no 0-RTT); none is dropped without a word. Values BoringSSL judges
 * (cipher strings, group names) are checked by BoringSSL here when it is available, so a bad one stops
 * the load at the crt-list line.
 */
final class CrtListOptions {
    private static final Logger log = LoggerFactory.getLogger(CrtListParser.class);

    /** HAProxy's version names; the ones under stapled's floor are refused by name. */
    private static final Map<String, String> VERSIONS = Map.of(
            "SSLv3", "SSLv3", "TLSv1.0", "TLSv1", "TLSv1.1", "TLSv1.1", "TLSv1.2", "TLSv1.2", "TLSv1.3", "TLSv1.3");
    private static final Set<String> FLAGS = Set.of("no-alpn", "no-ca-names", "allow-0rtt");
    /** The TLS 1.3 suites of RFC 8446; BoringSSL implements the first three. */
    private static final Set<String> TLS13_SUITES = Set.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256");
    static final String SUPPORTED = "ocsp-update, alpn, no-alpn, ssl-min-ver, ssl-max-ver, ciphers, ciphersuites, "
            + "curves, ecdhe, verify, ca-file, crl-file; accepted with a warning: npn, allow-0rtt, no-ca-names, client-sigalgs";

    private final String where;
    /** Where relative ca-file and crl-file paths start: the crt-list's crt_base, else its directory. */
    private final Path base;
    private ClientAuthConfig.Mode verify;
    private Path caFile;
    private Path crlFile;
    private final Set<String> seen = new HashSet<>();
    Boolean ocspUpdate;
    List<String> alpn = List.of();
    private String minVersion;
    private String maxVersion;
    private String ciphers;
    private String ciphersuites;
    private List<String> curves = List.of();
    private String ecdhe;
    private boolean noAlpn;

    /** @param where {@code list:line}, the prefix of every message */
    CrtListOptions(String where) {
        this(where, null);
    }

    /** @param base where relative {@code ca-file} and {@code crl-file} paths start, or null for the working directory */
    CrtListOptions(String where, Path base) {
        this.where = where;
        this.base = base;
    }

    void parse(String[] opts) {
        for (int i = 0; i < opts.length; i++) {
            String name = opts[i];
            if (!seen.add(name)) {
                throw new TlsSetupException(where + ": option '" + name + "' given twice");
            }
            if (FLAGS.contains(name)) {
                flag(name);
                continue;
            }
            if (i + 1 >= opts.length) {
                throw new TlsSetupException(where + ": option '" + name + "' needs a value");
            }
            option(name, opts[++i]);
        }
        if (noAlpn && !alpn.isEmpty()) {
            throw new TlsSetupException(where + ": 'alpn' and 'no-alpn' on the same line contradict each other");
        }
        if (minVersion != null && maxVersion != null
                && TlsOverrides.SERVED_PROTOCOLS.indexOf(minVersion) > TlsOverrides.SERVED_PROTOCOLS.indexOf(maxVersion)) {
            throw new TlsSetupException(where + ": ssl-min-ver " + minVersion + " is above ssl-max-ver " + maxVersion);
        }
        if (ecdhe != null && !curves.isEmpty()) {
            // HAProxy's order too: curves wins over the older single-curve option.
            log.warn("crt-list {}: ecdhe {} is ignored: curves is set on the same line", where, ecdhe);
        }
    }

    private void flag(String name) {
        switch (name) {
            case "no-alpn" -> noAlpn = true;
            case "no-ca-names" -> log.warn("crt-list {}: no-ca-names is not supported: when stapled asks for a client "
                    + "certificate it names the ca-file's CAs; ignored", where);
            case "allow-0rtt" -> log.warn("crt-list {}: allow-0rtt is not applicable: 0-RTT is off in stapled; "
                    + "ignored", where);
            default -> throw new IllegalStateException(name);
        }
    }

    private void option(String name, String value) {
        switch (name) {
            case "ocsp-update" -> ocspUpdate = switch (value) {
                case "on" -> Boolean.TRUE;
                case "off" -> Boolean.FALSE;
                default -> throw new TlsSetupException(
                        where + ": ocsp-update must be 'on' or 'off', not '" + value + "'");
            };
            case "alpn" -> alpn = Arrays.stream(value.split(",")).filter(s -> !s.isEmpty()).toList();
            case "npn" -> log.warn("crt-list {}: npn is not applicable: stapled has no NPN (it negotiates with ALPN "
                    + "only); ignored", where);
            case "ssl-min-ver" -> minVersion = version(name, value);
            case "ssl-max-ver" -> maxVersion = version(name, value);
            case "ciphers" -> {
                if (OpenSsl.isAvailable()) {
                    CipherList.expand(value, where + ": ciphers");
                }
                ciphers = value;
            }
            case "ciphersuites" -> {
                ciphersuites = tls13Suites(value);
                // As for tls.ciphersuites: BoringSSL's TLS 1.3 suites are fixed, so say it has no effect there.
                log.warn("crt-list {}: ciphersuites has no effect with BoringSSL, which serves its fixed TLS 1.3 "
                        + "suites (only global.tls_provider: jdk applies it)", where);
            }
            case "curves" -> curves = groups(name, Arrays.stream(value.split(":")).toList());
            case "ecdhe" -> ecdhe = groups(name, List.of(value)).get(0);
            case "verify" -> verify = switch (value) {
                case "none" -> ClientAuthConfig.Mode.NONE;
                case "optional" -> ClientAuthConfig.Mode.OPTIONAL;
                case "required" -> ClientAuthConfig.Mode.REQUIRED;
                default -> throw new TlsSetupException(
                        where + ": verify must be 'none', 'optional' or 'required', not '" + value + "'");
            };
            case "ca-file" -> caFile = readableFile(name, value);
            case "crl-file" -> crlFile = readableFile(name, value);
            case "ca-verify-file" -> throw new TlsSetupException(where + ": crt-list option 'ca-verify-file' is not "
                    + "supported: put the CAs into ca-file (stapled sends no CA names, so the two files would be one)");
            case "sigalgs" -> throw new TlsSetupException(where + ": crt-list option 'sigalgs' is not supported: "
                    + "netty-tcnative cannot restrict the server's signature algorithms, and serving others than "
                    + "listed is not what the line asks");
            case "client-sigalgs" -> log.warn("crt-list {}: client-sigalgs is not supported: netty-tcnative cannot "
                    + "restrict the signature algorithms asked of client certificates; ignored", where);
            default -> throw new TlsSetupException(where + ": unsupported crt-list option '" + name
                    + "' (stapled supports " + SUPPORTED + ")");
        }
    }

    /** A {@code ca-file}/{@code crl-file} path, relative ones against the crt-list's base, that must be readable. */
    private Path readableFile(String option, String value) {
        Path p = Path.of(value);
        if (!p.isAbsolute() && base != null) {
            p = base.resolve(p);
        }
        p = p.normalize();
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new TlsSetupException(where + ": " + option + " " + p + ": not a readable file");
        }
        return p;
    }

    private String version(String option, String value) {
        String protocol = VERSIONS.get(value);
        if (protocol == null) {
            throw new TlsSetupException(where + ": " + option + " must be one of SSLv3, TLSv1.0, TLSv1.1, TLSv1.2, "
                    + "TLSv1.3, not '" + value + "'");
        }
        if (!TlsOverrides.SERVED_PROTOCOLS.contains(protocol)) {
            throw new TlsSetupException(where + ": " + option + " " + value + " is below stapled's floor TLSv1.2 "
                    + "(stapled serves TLSv1.2 and TLSv1.3 only)");
        }
        return protocol;
    }

    private String tls13Suites(String value) {
        List<String> suites = Arrays.stream(value.split(":")).toList();
        for (String s : suites) {
            if (!TLS13_SUITES.contains(s)) {
                throw new TlsSetupException(where + ": ciphersuites: '" + s + "' is not a TLS 1.3 suite (e.g. "
                        + "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256)");
            }
        }
        return value;
    }

    /** Checks each name with BoringSSL (when available) so the message names the one it does not know. */
    private List<String> groups(String option, List<String> names) {
        for (String n : names) {
            if (n.isEmpty()) {
                throw new TlsSetupException(where + ": " + option + ": empty group name in '" + String.join(":", names)
                        + "'");
            }
        }
        if (OpenSsl.isAvailable()) {
            for (String n : names) {
                if (!boringSslKnowsGroup(n)) {
                    throw new TlsSetupException(where + ": " + option + ": '" + n + "' is not a group BoringSSL "
                            + "supports (e.g. X25519, P-256, P-384, P-521)");
                }
            }
        }
        return List.copyOf(names);
    }

    private static boolean boringSslKnowsGroup(String name) {
        long ctx;
        try {
            ctx = SSLContext.make(SSL.SSL_PROTOCOL_TLSV1_2 | SSL.SSL_PROTOCOL_TLSV1_3, SSL.SSL_MODE_SERVER);
        } catch (Exception e) {
            throw new TlsSetupException("cannot create an SSL_CTX to check a group name: " + oneLine(e), e);
        }
        try {
            return SSLContext.setCurvesList(ctx, name);
        } catch (RuntimeException e) {
            return false;
        } finally {
            SSLContext.free(ctx);
        }
    }

    TlsOverrides overrides() {
        List<String> groups = !curves.isEmpty() ? curves : ecdhe != null ? List.of(ecdhe) : List.of();
        TlsOverrides o = new TlsOverrides(where, minVersion, maxVersion, ciphers, ciphersuites, groups, noAlpn,
                verify, caFile, crlFile);
        return o.isEmpty() ? TlsOverrides.NONE : o;
    }
}
