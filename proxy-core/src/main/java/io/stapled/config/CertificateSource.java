package io.stapled.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * Where a frontend's certificates come from. Exactly one of the three kinds, in HAProxy's formats.
 */
public sealed interface CertificateSource {

    /** Per-certificate OCSP options; {@code responder} null means the AIA URL (or the global override). */
    record OcspOptions(boolean enabled, URI responder) {
        public static final OcspOptions DEFAULT = new OcspOptions(true, null);
    }

    /**
     * One PEM file: a bundle (certificate, key, chain) or a certificate whose key is in {@code key}
     * or in a sibling {@code <crt>.key} file.
     *
     * @param sni extra SNI names this certificate answers to; empty means the names in the certificate
     */
    record File(Path crt, Path key, List<String> sni, OcspOptions ocsp) implements CertificateSource {
        public File {
            sni = List.copyOf(sni);
        }
    }

    /** Every certificate file in a directory, skipping {@code .ocsp .issuer .sctl .key} siblings. */
    record Directory(Path dir, OcspOptions ocsp) implements CertificateSource { }

    /** An HAProxy crt-list: one certificate per line with optional {@code [options]} and SNI filters. */
    record CrtList(Path file, OcspOptions ocsp) implements CertificateSource { }
}
