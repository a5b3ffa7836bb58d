package io.stapled.ocsp;

import java.net.URI;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * One certificate the proxy wants stapled, and the rule (the only one) for whether and where it is
 * fetched from.
 *
 * @param id                stable name, e.g. the certificate file path
 * @param leaf              the certificate
 * @param issuer            its issuer (from the chain or HAProxy's {@code .issuer} sibling); null means no
 *                          CertID can be built, so the certificate is served without a staple
 * @param certFile          the certificate file; its {@code <certFile>.ocsp} sibling is loaded, written
 *                          and watched. Null: nothing on disk.
 * @param responderOverride a responder for this certificate only, over the global one and the AIA URL
 * @param enabled           false: never fetched, no file loaded, runtime pushes refused (as when the
 *                          settings disable OCSP altogether)
 * @param autoUpdate        false (HAProxy's {@code ocsp-update off}): no scheduled fetches, not at start
 *                          and not before expiry; the {@code .ocsp} file is still loaded, pushes accepted
 *                          and {@link OcspManager#refreshNow} still fetches
 * @param ocspFile          the staple file loaded, written and watched: {@code <certFile>.ocsp} unless the
 *                          certificate's layout says otherwise (HAProxy's {@code ssl-load-extra-del-ext}:
 *                          {@code site.ocsp} for {@code site.crt}); null when {@code certFile} is
 */
public record OcspSubject(
        String id,
        X509Certificate leaf,
        X509Certificate issuer,
        Path certFile,
        URI responderOverride,
        boolean enabled,
        boolean autoUpdate,
        Path ocspFile) {

    public OcspSubject {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(leaf, "leaf");
        if (certFile == null) {
            ocspFile = null;
        }
    }

    /** A subject whose staple file is HAProxy's default {@code <certFile>.ocsp}. */
    public OcspSubject(String id, X509Certificate leaf, X509Certificate issuer, Path certFile,
                       URI responderOverride, boolean enabled, boolean autoUpdate) {
        this(id, leaf, issuer, certFile, responderOverride, enabled, autoUpdate,
                certFile == null ? null : StapleFiles.ocspFile(certFile));
    }

    /** A subject refreshed automatically. */
    public OcspSubject(String id, X509Certificate leaf, X509Certificate issuer, Path certFile,
                       URI responderOverride, boolean enabled) {
        this(id, leaf, issuer, certFile, responderOverride, enabled, true);
    }

    /** An enabled subject with no override. */
    public static OcspSubject of(String id, X509Certificate leaf, X509Certificate issuer, Path certFile) {
        return new OcspSubject(id, leaf, issuer, certFile, null, true);
    }

    /** Managed at all under {@code settings}: enabled here and there. */
    public boolean enabledUnder(OcspSettings settings) {
        return enabled && settings.enabled();
    }

    /**
     * The responder this certificate is fetched from: its own override, else the settings' global one,
     * else the leaf's AIA OCSP URL; null if there is none.
     */
    public URI responder(OcspSettings settings) {
        return responderOverride != null ? responderOverride
                : settings.responderOverride() != null ? settings.responderOverride()
                : CertificateFacts.ocspUrl(leaf);
    }

    /** Null if the engine fetches this certificate under {@code settings}, else why it does not. */
    public ManagedCertificate.NotFetchable notFetchable(OcspSettings settings) {
        return !enabledUnder(settings) ? ManagedCertificate.NotFetchable.DISABLED
                : issuer == null ? ManagedCertificate.NotFetchable.NO_ISSUER
                : responder(settings) == null ? ManagedCertificate.NotFetchable.NO_RESPONDER : null;
    }

    /**
     * Asks for a staple (enabled, names a responder of its own) but has no issuer, so it can never get one: a deployment
     * mistake the proxy refuses at start-up.
     */
    public boolean missingIssuer(OcspSettings settings) {
        // Only a responder of the certificate's own (its AIA, or an override for this certificate) makes
        // it a mistake: a global override alone says nothing about, e.g., a self-signed certificate.
        return notFetchable(settings) == ManagedCertificate.NotFetchable.NO_ISSUER
                && (responderOverride != null || CertificateFacts.ocspUrl(leaf) != null);
    }
}
