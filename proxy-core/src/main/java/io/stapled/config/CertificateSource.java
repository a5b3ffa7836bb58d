package io.stapled.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Where a frontend's certificates come from. Exactly one of the three kinds, in HAProxy's formats.
 *
 * <p>Each kind remembers where in the config it was written ({@link ConfigOrigin}, null for sources
 * built in code), so that a problem found when the files are read names the config line too. Where
 * a source was written is not part of what it is: {@code equals} ignores the origins.
 */
public sealed interface CertificateSource {

    /**
     * The refusal of HAProxy 3.0's {@code crt "@store/alias"} (in a {@code crt} value or a crt-list line):
     * docs/TLS.md "crt-store" says why stapled has no stores.
     */
    static String crtStoreReference(String name) {
        return "'" + name + "' names a certificate of a HAProxy crt-store; stapled has no crt-store sections: "
                + "name the certificate file itself (crt, key and crt_base/key_base cover a store's load lines; "
                + "see docs/TLS.md, crt-store)";
    }

    /**
     * HAProxy's multi-certificate bundle extensions, in HAProxy's load order: a {@code crt} that does not
     * exist names each {@code <crt><ext>} that does.
     */
    List<String> BUNDLE_EXTENSIONS = List.of(".dsa", ".ecdsa", ".rsa");

    /**
     * Per-certificate OCSP options; {@code responder} null means the AIA URL (or the global override).
     * {@code autoUpdate} false (a crt-list's {@code [ocsp-update off]}) only stops scheduled fetches: as in
     * HAProxy the {@code .ocsp} file is still served, pushes accepted and on-demand updates fetched.
     */
    record OcspOptions(boolean enabled, URI responder, boolean autoUpdate) {
        public static final OcspOptions DEFAULT = new OcspOptions(true, null);

        public OcspOptions(boolean enabled, URI responder) {
            this(enabled, responder, true);
        }
    }

    /**
     * One PEM file: a bundle (certificate, key, chain) or a certificate whose key is in {@code key}
     * or in a sibling {@code <crt>.key} file. A {@code crt} that does not exist names an HAProxy
     * multi-certificate bundle ({@link #BUNDLE_EXTENSIONS}), each member its own certificate.
     *
     * @param sni       extra SNI names this certificate answers to; empty means the names in the certificate
     * @param crtOrigin where {@code crt} was written, or null
     * @param keyOrigin where {@code key} was written, or null
     */
    record File(Path crt, Path key, List<String> sni, OcspOptions ocsp, ConfigOrigin crtOrigin,
                ConfigOrigin keyOrigin) implements CertificateSource {
        public File {
            sni = List.copyOf(sni);
        }

        public File(Path crt, Path key, List<String> sni, OcspOptions ocsp) {
            this(crt, key, sni, ocsp, null, null);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof File f && Objects.equals(crt, f.crt) && Objects.equals(key, f.key)
                    && sni.equals(f.sni) && Objects.equals(ocsp, f.ocsp);
        }

        @Override
        public int hashCode() {
            return Objects.hash(crt, key, sni, ocsp);
        }
    }

    /** Every certificate file in a directory, skipping {@code .ocsp .issuer .sctl .key} siblings. */
    record Directory(Path dir, OcspOptions ocsp, ConfigOrigin origin) implements CertificateSource {
        public Directory(Path dir, OcspOptions ocsp) {
            this(dir, ocsp, null);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Directory d && Objects.equals(dir, d.dir) && Objects.equals(ocsp, d.ocsp);
        }

        @Override
        public int hashCode() {
            return Objects.hash(dir, ocsp);
        }
    }

    /**
     * An HAProxy crt-list: one certificate per line with optional {@code [options]} and SNI filters.
     *
     * @param crtBase where relative entries start (HAProxy's {@code crt-base}); null means the crt-list's
     *                directory
     */
    record CrtList(Path file, OcspOptions ocsp, ConfigOrigin origin, Path crtBase) implements CertificateSource {
        public CrtList(Path file, OcspOptions ocsp) {
            this(file, ocsp, null, null);
        }

        public CrtList(Path file, OcspOptions ocsp, ConfigOrigin origin) {
            this(file, ocsp, origin, null);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof CrtList c && Objects.equals(file, c.file) && Objects.equals(ocsp, c.ocsp)
                    && Objects.equals(crtBase, c.crtBase);
        }

        @Override
        public int hashCode() {
            return Objects.hash(file, ocsp, crtBase);
        }
    }
}
