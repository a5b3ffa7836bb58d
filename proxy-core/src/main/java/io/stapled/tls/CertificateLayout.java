package io.stapled.tls;

import java.nio.file.Path;

import io.stapled.config.CertificateFiles;
import io.stapled.config.ConfigException;

/**
 * The global rules a certificate's files follow, from {@link CertificateFiles}: where its HAProxy
 * siblings are ({@code ssl-load-extra-del-ext}) and which intermediates complete a file that holds only
 * its leaf ({@code issuers-chain-path}). Immutable; shared by every certificate of a process.
 *
 * @param deleteExtension siblings of {@code site.crt} are {@code site.key}, {@code site.ocsp},
 *                        {@code site.issuer} instead of {@code site.crt.key}...
 * @param issuers         the chains of {@code issuers-chain-path}, or {@link IssuerChains#NONE}
 */
public record CertificateLayout(boolean deleteExtension, IssuerChains issuers) {
    public static final CertificateLayout DEFAULT = new CertificateLayout(false, IssuerChains.NONE);

    /** The extension HAProxy removes with {@code ssl-load-extra-del-ext}, and only that one. */
    static final String CRT = ".crt";

    public CertificateLayout {
        issuers = issuers == null ? IssuerChains.NONE : issuers;
    }

    /**
     * The layout the config asks for, its issuers chain directory read now.
     *
     * @throws ConfigException at the {@code issuers_chain_path} line when a file of it cannot be used (or a
     *                         {@link TlsSetupException} when the option was not read from a config file)
     */
    public static CertificateLayout of(CertificateFiles files) {
        IssuerChains issuers = IssuerChains.NONE;
        if (files.issuersChainPath() != null) {
            try {
                issuers = IssuerChains.load(files.issuersChainPath());
            } catch (TlsSetupException e) {
                if (files.issuersChainOrigin() == null) {
                    throw e;
                }
                ConfigException located = files.issuersChainOrigin().error(e.getMessage());
                located.initCause(e);
                throw located;
            }
        }
        return new CertificateLayout(files.deleteExtension(), issuers);
    }

    /**
     * HAProxy's name for a sibling of {@code crt}: {@code <crt><ext>}, or with {@code deleteExtension} and a
     * {@code .crt} file, {@code <crt without .crt><ext>} ({@code site.crt} → {@code site.key}). Bundle
     * members ({@code site.crt.rsa}) keep the appended names, as in HAProxy.
     *
     * @param ext {@code .key}, {@code .ocsp}, {@code .issuer} or {@code .sctl}
     */
    public Path sibling(Path crt, String ext) {
        return crt.resolveSibling(siblingName(crt.getFileName().toString(), ext));
    }

    /** {@link #sibling} for a name that need not be a path (a runtime API file name). */
    public String siblingName(String crt, String ext) {
        if (deleteExtension && crt.endsWith(CRT) && crt.length() > CRT.length()) {
            return crt.substring(0, crt.length() - CRT.length()) + ext;
        }
        return crt + ext;
    }
}
