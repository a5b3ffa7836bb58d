package io.stapled.admin;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * What the runtime API's certificate transactions need from the TLS certificate store. The runtime
 * API owns the transaction (HAProxy's one-at-a-time {@code set/commit/abort ssl cert}); the store
 * only lists what it serves and swaps in a committed certificate.
 */
public interface CertificateAdmin {

    /** Every certificate file the store knows, used or not. */
    List<StoredCertificate> certificates();

    /**
     * Replaces the certificate served for {@code file}: builds its TLS context, then swaps the store's
     * snapshot so the next handshake uses it. Connections already open keep the old certificate.
     * On failure nothing changes.
     *
     * @return how many served instances were replaced (HAProxy prints one dot each); 0 for an unused file
     * @throws CertificateUpdateException with a one-line reason
     */
    int replace(String file, CertificateMaterial material) throws CertificateUpdateException;

    /** Adds an unused certificate file ({@code new ssl cert} then commit). */
    void add(String file, CertificateMaterial material) throws CertificateUpdateException;

    /** Removes an unused certificate file. */
    void remove(String file) throws CertificateUpdateException;

    /**
     * A certificate file as the store holds it.
     *
     * @param file     the file name as configured
     * @param material what was loaded, or null for an empty entry ({@code new ssl cert})
     * @param used     true if a frontend serves it
     */
    record StoredCertificate(String file, CertificateMaterial material, boolean used) { }

    /**
     * The parts of an HAProxy certificate file and its siblings.
     *
     * @param chain  leaf first, then the intermediates
     * @param key    the private key, or null
     * @param issuer the {@code .issuer} certificate, or null
     * @param ocsp   the {@code .ocsp} response (DER), or null
     */
    record CertificateMaterial(List<X509Certificate> chain, PrivateKey key, X509Certificate issuer, byte[] ocsp) {
        public CertificateMaterial {
            chain = chain == null ? List.of() : List.copyOf(chain);
        }

        public X509Certificate leaf() {
            return chain.isEmpty() ? null : chain.get(0);
        }

        public CertificateMaterial withKey(PrivateKey newKey) {
            return new CertificateMaterial(chain, newKey, issuer, ocsp);
        }

        public CertificateMaterial withIssuer(X509Certificate newIssuer) {
            return new CertificateMaterial(chain, key, newIssuer, ocsp);
        }

        public CertificateMaterial withOcsp(byte[] newOcsp) {
            return new CertificateMaterial(chain, key, issuer, newOcsp);
        }
    }

    /** A certificate update the store refused; the message is one line naming the file and the reason. */
    final class CertificateUpdateException extends Exception {
        public CertificateUpdateException(String message) {
            super(message);
        }

        public CertificateUpdateException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
