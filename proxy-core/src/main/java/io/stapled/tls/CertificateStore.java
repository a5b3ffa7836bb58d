package io.stapled.tls;

/**
 * The current {@link CertificateSnapshot} of a frontend behind one volatile reference: handshakes
 * read it without a lock, a certificate change replaces it whole. A live connection keeps the
 * certificate it was given.
 */
public final class CertificateStore {
    private volatile CertificateSnapshot current;

    public CertificateStore(CertificateSnapshot initial) {
        this.current = requireSnapshot(initial);
    }

    public CertificateSnapshot current() {
        return current;
    }

    /** Swaps in a new snapshot and returns the one it replaced. */
    public CertificateSnapshot replace(CertificateSnapshot next) {
        CertificateSnapshot old = current;
        current = requireSnapshot(next);
        return old;
    }

    private static CertificateSnapshot requireSnapshot(CertificateSnapshot s) {
        if (s == null) {
            throw new IllegalArgumentException("snapshot must not be null");
        }
        return s;
    }
}
