package io.stapled.tls;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.stapled.config.ClientAuthConfig;

/**
 * What one crt-list line changes in the TLS context of its certificate, over the frontend's
 * {@link io.stapled.config.TlsConfig}: HAProxy's per-line {@code ssl-min-ver}, {@code ssl-max-ver},
 * {@code ciphers}, {@code ciphersuites}, {@code curves}/{@code ecdhe} and {@code no-alpn} ({@code alpn}
 * travels on its own, as it did before). Applied by {@link ServerContextFactory#newContext} when the
 * certificate's context is built, at load time; the handshake path only picks the context.
 *
 * @param origin       {@code list:line} for messages, or null when nothing is overridden
 * @param minVersion   {@code ssl-min-ver} as a protocol name ({@code TLSv1.2}), or null for the frontend's lowest
 * @param maxVersion   {@code ssl-max-ver}, or null for the frontend's highest
 * @param ciphers      TLS 1.2 OpenSSL cipher string replacing {@code tls.ciphers}, or null
 * @param ciphersuites TLS 1.3 suites replacing {@code tls.ciphersuites}, or null
 * @param curves       key-exchange groups in preference order ({@code curves}, else {@code ecdhe}); empty
 *                     means BoringSSL's defaults
 * @param noAlpn       {@code no-alpn}: this certificate negotiates no ALPN at all
 * @param verify       {@code verify none|optional|required}: the client certificate mode, or null for the
 *                     frontend's {@code tls.client_auth.mode}
 * @param caFile       {@code ca-file}, or null for the frontend's {@code client_auth.ca_file}
 * @param crlFile      {@code crl-file}, or null for the frontend's {@code client_auth.crl_file}
 */
public record TlsOverrides(String origin, String minVersion, String maxVersion, String ciphers,
                           String ciphersuites, List<String> curves, boolean noAlpn,
                           ClientAuthConfig.Mode verify, Path caFile, Path crlFile) {
    /** The protocols stapled serves, oldest first: its floor is TLS 1.2 (see {@code tls.protocols}). */
    static final List<String> SERVED_PROTOCOLS = List.of("TLSv1.2", "TLSv1.3");

    public static final TlsOverrides NONE = new TlsOverrides(null, null, null, null, null, List.of(), false);

    public TlsOverrides {
        curves = List.copyOf(curves);
    }

    /** Without client certificate options. */
    public TlsOverrides(String origin, String minVersion, String maxVersion, String ciphers, String ciphersuites,
                        List<String> curves, boolean noAlpn) {
        this(origin, minVersion, maxVersion, ciphers, ciphersuites, curves, noAlpn, null, null, null);
    }

    public boolean isEmpty() {
        return minVersion == null && maxVersion == null && ciphers == null && ciphersuites == null
                && curves.isEmpty() && !noAlpn && !overridesClientAuth();
    }

    boolean overridesClientAuth() {
        return verify != null || caFile != null || crlFile != null;
    }

    /**
     * The client certificate settings for this certificate: the frontend's, with what the line sets in
     * their place (HAProxy's per-line {@code verify}, {@code ca-file}, {@code crl-file}).
     *
     * @throws TlsSetupException naming the line when it asks for verification without any CA file
     */
    ClientAuthConfig clientAuth(ClientAuthConfig frontend) {
        if (!overridesClientAuth()) {
            return frontend;
        }
        ClientAuthConfig c = new ClientAuthConfig(verify != null ? verify : frontend.mode(),
                caFile != null ? caFile : frontend.caFile(), crlFile != null ? crlFile : frontend.crlFile(),
                frontend.crlReloadInterval(), frontend.ocsp());
        if (c.enabled() && c.caFile() == null) {
            throw new TlsSetupException(origin + ": verify " + c.mode().name().toLowerCase(java.util.Locale.ROOT)
                    + " needs a ca-file (on the line, or the frontend's tls.client_auth.ca_file)");
        }
        return c;
    }

    /** Whether the cipher lists differ from the frontend's. */
    boolean overridesCiphers() {
        return ciphers != null || ciphersuites != null;
    }

    /**
     * The protocols for this certificate: the frontend's when neither bound is set, else every protocol
     * stapled serves from {@code ssl-min-ver} (or the frontend's lowest) to {@code ssl-max-ver} (or its
     * highest) — a line may widen the frontend's range, as a crt-list line may in HAProxy.
     *
     * @throws TlsSetupException naming the line when the range holds no protocol
     */
    List<String> protocols(List<String> frontend) {
        if (minVersion == null && maxVersion == null) {
            return frontend;
        }
        int lo = minVersion != null ? SERVED_PROTOCOLS.indexOf(minVersion) : lowest(frontend);
        int hi = maxVersion != null ? SERVED_PROTOCOLS.indexOf(maxVersion) : highest(frontend);
        List<String> out = new ArrayList<>();
        for (int i = Math.max(lo, 0); i <= hi && i < SERVED_PROTOCOLS.size(); i++) {
            out.add(SERVED_PROTOCOLS.get(i));
        }
        if (out.isEmpty()) {
            throw new TlsSetupException(origin + ": ssl-min-ver/ssl-max-ver leave no protocol enabled (the "
                    + "frontend's tls.protocols are " + frontend + ")");
        }
        return List.copyOf(out);
    }

    private static int lowest(List<String> protocols) {
        return protocols.stream().mapToInt(SERVED_PROTOCOLS::indexOf).filter(i -> i >= 0).min().orElse(0);
    }

    private static int highest(List<String> protocols) {
        return protocols.stream().mapToInt(SERVED_PROTOCOLS::indexOf).max().orElse(SERVED_PROTOCOLS.size() - 1);
    }

    /** HAProxy's spelling of the options, for messages and listings. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        if (minVersion != null) {
            parts.add("ssl-min-ver " + haproxyVersion(minVersion));
        }
        if (maxVersion != null) {
            parts.add("ssl-max-ver " + haproxyVersion(maxVersion));
        }
        if (ciphers != null) {
            parts.add("ciphers " + ciphers);
        }
        if (ciphersuites != null) {
            parts.add("ciphersuites " + ciphersuites);
        }
        if (!curves.isEmpty()) {
            parts.add("curves " + String.join(":", curves));
        }
        if (noAlpn) {
            parts.add("no-alpn");
        }
        if (verify != null) {
            parts.add("verify " + verify.name().toLowerCase(java.util.Locale.ROOT));
        }
        if (caFile != null) {
            parts.add("ca-file " + caFile);
        }
        if (crlFile != null) {
            parts.add("crl-file " + crlFile);
        }
        return String.join(" ", parts);
    }

    private static String haproxyVersion(String protocol) {
        return protocol.equals("TLSv1") ? "TLSv1.0" : protocol;
    }

    @Override
    public String toString() {
        return "TlsOverrides[" + describe() + "]";
    }
}
