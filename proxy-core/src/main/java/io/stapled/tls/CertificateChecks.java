package io.stapled.tls;

import java.security.cert.X509Certificate;
import java.security.interfaces.RSAKey;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * What stapled refuses or warns about in a leaf certificate it is asked to serve. Clients refuse an
 * expired certificate and browsers refuse a CA certificate as a server's (Firefox:
 * {@code CA_CERT_USED_AS_END_ENTITY}); a CA certificate as the leaf also means the CA's private key
 * sits on the proxy, so that one stops the load, while the others serve on and are only reported.
 */
public final class CertificateChecks {
    /** How long before {@code notAfter} a certificate is called expiring, at load and in {@code /readyz}. */
    public static final Duration EXPIRY_WARNING = Duration.ofDays(14);
    /** The smallest RSA modulus the CA/Browser Forum allows. */
    static final int MIN_RSA_BITS = 2048;

    private CertificateChecks() { }

    /** Null when {@code leaf} may be served, else why not (one line). */
    public static String refusal(X509Certificate leaf) {
        if (leaf.getBasicConstraints() >= 0) {
            return "the certificate of the private key is a CA certificate (basicConstraints CA:TRUE), not a"
                    + " server certificate: serve a leaf issued by it (a self-signed test certificate needs"
                    + " -addext basicConstraints=critical,CA:FALSE with openssl req -x509)";
        }
        return null;
    }

    /** One line per problem that does not stop serving: expired, not yet valid, expiring soon, weak key. */
    public static List<String> warnings(X509Certificate leaf, Instant now) {
        List<String> out = new ArrayList<>();
        String validity = validity(leaf, now);
        if (validity != null) {
            out.add(validity);
        }
        if (leaf.getPublicKey() instanceof RSAKey rsa && rsa.getModulus().bitLength() < MIN_RSA_BITS) {
            out.add("the RSA key has " + rsa.getModulus().bitLength() + " bits, under " + MIN_RSA_BITS
                    + "; clients may refuse it");
        }
        return out;
    }

    /** Expired, not yet valid or expiring within {@link #EXPIRY_WARNING}; null when none applies. */
    public static String validity(X509Certificate leaf, Instant now) {
        Instant notAfter = leaf.getNotAfter().toInstant();
        Instant notBefore = leaf.getNotBefore().toInstant();
        if (!now.isBefore(notAfter)) {
            return "the certificate expired at " + notAfter + "; clients will refuse it";
        }
        if (now.isBefore(notBefore)) {
            return "the certificate is not valid before " + notBefore + "; clients will refuse it until then";
        }
        Duration left = Duration.between(now, notAfter);
        if (left.compareTo(EXPIRY_WARNING) < 0) {
            return "the certificate expires at " + notAfter.truncatedTo(ChronoUnit.SECONDS) + " (in "
                    + describe(left) + ")";
        }
        return null;
    }

    private static String describe(Duration d) {
        if (d.toDays() >= 1) {
            return d.toDays() + (d.toDays() == 1 ? " day" : " days");
        }
        if (d.toHours() >= 1) {
            return d.toHours() + (d.toHours() == 1 ? " hour" : " hours");
        }
        return Math.max(1, d.toMinutes()) + " min";
    }
}
