package io.stapled.ocsp;

import java.net.URI;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * One certificate the proxy wants stapled.
 *
 * @param id                stable name, e.g. the certificate file path
 * @param leaf              the certificate
 * @param issuer            its issuer (from the chain or HAProxy's {@code .issuer} sibling); null means no
 *                          CertID can be built, so the certificate is served without a staple
 * @param certFile          the certificate file; its {@code <certFile>.ocsp} sibling is loaded, written
 *                          and watched. Null: nothing on disk.
 * @param responderOverride a responder for this certificate only, over the global one and the AIA URL
 * @param enabled           false: never fetched, no file loaded, runtime pushes refused
 * @param slot              where the current staple is published for the handshake path
 */
public record OcspSubject(
        String id,
        X509Certificate leaf,
        X509Certificate issuer,
        Path certFile,
        URI responderOverride,
        boolean enabled,
        StapleSlot slot) {

    public OcspSubject {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(leaf, "leaf");
        Objects.requireNonNull(slot, "slot");
    }

    /** An enabled subject with a fresh slot and no override. */
    public static OcspSubject of(String id, X509Certificate leaf, X509Certificate issuer, Path certFile) {
        return new OcspSubject(id, leaf, issuer, certFile, null, true, new StapleSlot());
    }
}
