package io.stapled.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * HAProxy's global options for where certificate files are found ({@code global:} in the YAML).
 *
 * @param crtBase              HAProxy's {@code crt-base}: relative {@code crt}, {@code dir} and crt-list entries
 *                             start here; null means the config file's directory (a crt-list's entries: the
 *                             crt-list's directory). A frontend's {@code tls.crt_base} overrides it.
 * @param keyBase              HAProxy's {@code key-base}: relative {@code key} files start here; null as above
 * @param deleteExtension      HAProxy's {@code ssl-load-extra-del-ext}: the siblings of {@code site.crt} are
 *                             {@code site.key}, {@code site.ocsp}, {@code site.issuer} rather than
 *                             {@code site.crt.key}...; files not ending in {@code .crt} keep the appended names
 * @param issuersChainPath     HAProxy's {@code issuers-chain-path}: a directory of intermediate chains that
 *                             complete a file holding only its leaf, or null
 * @param issuersChainOrigin   where {@code issuersChainPath} was written, for problems found when it is read
 */
public record CertificateFiles(Path crtBase, Path keyBase, boolean deleteExtension, Path issuersChainPath,
                               ConfigOrigin issuersChainOrigin) {
    public static final CertificateFiles DEFAULT = new CertificateFiles(null, null, false, null, null);

    @Override
    public boolean equals(Object o) {
        return o instanceof CertificateFiles c && Objects.equals(crtBase, c.crtBase) && Objects.equals(keyBase, c.keyBase)
                && deleteExtension == c.deleteExtension && Objects.equals(issuersChainPath, c.issuersChainPath);
    }

    @Override
    public int hashCode() {
        return Objects.hash(crtBase, keyBase, deleteExtension, issuersChainPath);
    }
}
