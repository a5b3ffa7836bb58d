package io.stapled.admin;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.nio.file.Path;
import java.util.List;

import io.stapled.tls.CrtListEntry;
import io.stapled.tls.LoadedCertificate;

/**
 * What the runtime API's certificate transactions need from the TLS certificate store. The runtime
 * API owns the transaction (HAProxy's one-at-a-time {@code set/commit/abort ssl cert}); the store
 * only lists what it serves and swaps in a committed certificate.
 */
public interface CertificateAdmin {

    /** Every certificate file the store knows, used or not. */
    List<StoredCertificate> certificates();

    /**
     * HAProxy's {@code ssl-load-extra-del-ext}: the siblings of {@code site.crt} are named {@code site.key},
     * {@code site.issuer}, {@code site.ocsp}, so {@code set ssl cert site.key} fills the transaction of
     * {@code site.crt}.
     */
    default boolean deletesCrtExtension() {
        return false;
    }

    /**
     * Replaces the certificate served for {@code file}: assembles and checks it, builds its TLS
     * contexts, lets the OCSP engine follow it, runs {@code beforeSwap}, then swaps the store's
     * snapshots so the next handshake uses it. Connections already open keep the old certificate.
     * On failure nothing changes and {@code beforeSwap} does not run.
     *
     * @param beforeSwap runs once, after everything that can fail and before any handshake can get the
     *                   new certificate: where the transaction's {@code .ocsp} is installed, so the new
     *                   certificate is stapled from its first handshake
     * @return how many served instances were replaced (HAProxy prints one dot each); 0 for an unused file,
     *         for which {@code beforeSwap} does not run (its {@code .ocsp} part is kept with it until served)
     * @throws CertificateUpdateException with a one-line reason
     */
    int replace(String file, CertificateMaterial material, Runnable beforeSwap) throws CertificateUpdateException;

    /** Adds an unused certificate file ({@code new ssl cert} then commit), checked as {@link #replace} checks. */
    void add(String file, CertificateMaterial material) throws CertificateUpdateException;

    /** Removes an unused certificate file. */
    void remove(String file) throws CertificateUpdateException;

    /** The crt-lists the frontends serve, in configuration order, with their lines as they are now. */
    default List<CrtList> crtLists() {
        return List.of();
    }

    /** What each frontend serves now, in configuration order. */
    default List<ServedFrontend> served() {
        return List.of();
    }

    /**
     * Serves a known certificate for a new crt-list line in every frontend using the list: its TLS
     * contexts are built, the OCSP engine manages it, {@code beforeServe} runs (its staple is installed
     * there), then each frontend's snapshot is swapped. On failure nothing changes.
     *
     * @param line its certificate named as {@link #certificates()} names it, its line number the next one
     */
    default void addCrtListLine(String list, CrtListEntry line, Runnable beforeServe)
            throws CertificateUpdateException {
        throw new CertificateUpdateException("crt-lists cannot be changed in this process");
    }

    /**
     * Stops serving one line of a crt-list (a new snapshot for each frontend using it); a certificate no
     * longer served anywhere becomes an unused one ({@code del ssl cert} can then delete it).
     */
    default void removeCrtListLine(String list, CrtListEntry line) throws CertificateUpdateException {
        throw new CertificateUpdateException("crt-lists cannot be changed in this process");
    }

    /**
     * A crt-list in use.
     *
     * @param name      the file as configured
     * @param lines     its lines in order, those added at runtime last
     * @param frontends the frontends serving it
     * @param lastLine  the highest line number given so far (a line added next gets the one after,
     *                  never reusing a deleted one's, as in HAProxy)
     * @param crtBase   where its relative certificate paths start ({@code crt_base}), null for its directory
     */
    record CrtList(String name, List<CrtListEntry> lines, List<String> frontends, int lastLine, Path crtBase) {
        public CrtList {
            lines = List.copyOf(lines);
            frontends = List.copyOf(frontends);
        }
    }

    /**
     * One frontend's certificates.
     *
     * @param bind               its listening address, as configured
     * @param defaultCertificate the certificate for no or unknown SNI (with strict SNI: the one that would be)
     */
    record ServedFrontend(String frontend, String bind, List<LoadedCertificate> certificates,
                          LoadedCertificate defaultCertificate, boolean strictSni) {
        public ServedFrontend {
            certificates = List.copyOf(certificates);
        }
    }

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
     * @param chain  the certificates: as sent in a transaction, leaf first in order of issue once committed
     * @param key    the private key, or null
     * @param issuer the {@code .issuer} certificate, or null (for a served certificate: its issuer)
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
        private final boolean keyMismatch;

        public CertificateUpdateException(String message) {
            this(message, null, false);
        }

        public CertificateUpdateException(String message, Throwable cause) {
            this(message, cause, false);
        }

        private CertificateUpdateException(String message, Throwable cause, boolean keyMismatch) {
            super(message, cause);
            this.keyMismatch = keyMismatch;
        }

        /** The private key belongs to none of the certificates (HAProxy words this one its own way). */
        public static CertificateUpdateException keyMismatch(String file, Throwable cause) {
            return new CertificateUpdateException(file + ": the private key does not match the certificate", cause,
                    true);
        }

        public boolean keyMismatch() {
            return keyMismatch;
        }
    }
}
