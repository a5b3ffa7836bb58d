package io.stapled.tls;

/**
 * What a name is served with: at most one ECDSA and one RSA certificate, at least one of them.
 */
public record CertificatePair(ServingCertificate ecdsa, ServingCertificate rsa) {

    public CertificatePair {
        if (ecdsa == null && rsa == null) {
            throw new IllegalArgumentException("a pair needs at least one certificate");
        }
    }

    static CertificatePair of(ServingCertificate c) {
        return c.keyType() == KeyType.EC ? new CertificatePair(c, null) : new CertificatePair(null, c);
    }

    /** ECDSA when the client accepts it (or there is no RSA), RSA otherwise (or when there is no ECDSA). */
    public ServingCertificate choose(boolean clientAcceptsEcdsa) {
        if (ecdsa != null && (clientAcceptsEcdsa || rsa == null)) {
            return ecdsa;
        }
        return rsa;
    }

    /** This pair plus {@code c} if its key type's place is free; the first certificate of a type wins. */
    CertificatePair with(ServingCertificate c) {
        if (c.keyType() == KeyType.EC) {
            return ecdsa == null ? new CertificatePair(c, rsa) : this;
        }
        return rsa == null ? new CertificatePair(ecdsa, c) : this;
    }

    /** This pair without {@code c}, or null when nothing is left. */
    CertificatePair without(ServingCertificate c) {
        ServingCertificate e = ecdsa == c ? null : ecdsa;
        ServingCertificate r = rsa == c ? null : rsa;
        return e == null && r == null ? null : new CertificatePair(e, r);
    }
}
