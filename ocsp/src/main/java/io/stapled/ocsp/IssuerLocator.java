package io.stapled.ocsp;

import java.io.IOException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the issuer a CertID needs, the way HAProxy does: the certificate in the served chain that
 * issued the leaf, else the PEM in the {@code <certfile>.issuer} sibling.
 */
public final class IssuerLocator {
    /** An issuer file holds a certificate or a few; a megabyte is far beyond any real one. */
    private static final int MAX_PEM_BYTES = 1 << 20;

    private IssuerLocator() { }

    /** The issuer of {@code leaf} from {@code chain}, else from {@code <certFile>.issuer}; null if neither has it. */
    public static X509Certificate locate(X509Certificate leaf, List<X509Certificate> chain, Path certFile)
            throws IOException {
        X509Certificate fromChain = issuerIn(leaf, chain);
        if (fromChain != null || certFile == null) {
            return fromChain;
        }
        Path sibling = certFile.resolveSibling(certFile.getFileName() + ".issuer");
        List<X509Certificate> candidates = readPem(sibling);
        X509Certificate found = issuerIn(leaf, candidates);
        if (found == null && !candidates.isEmpty()) {
            throw new IOException(sibling + " does not hold the issuer of " + leaf.getSubjectX500Principal()
                    + " (expected " + leaf.getIssuerX500Principal() + ")");
        }
        return found;
    }

    /** The certificate in {@code candidates} whose subject is the leaf's issuer and whose key signed it. */
    public static X509Certificate issuerIn(X509Certificate leaf, List<X509Certificate> candidates) {
        for (X509Certificate c : candidates) {
            if (c == leaf || !c.getSubjectX500Principal().equals(leaf.getIssuerX500Principal())) {
                continue;
            }
            try {
                leaf.verify(c.getPublicKey());
                return c;
            } catch (GeneralSecurityException e) {
                // same name, different key: keep looking
            }
        }
        return null;
    }

    private static List<X509Certificate> readPem(Path file) throws IOException {
        List<X509Certificate> out = new ArrayList<>();
        try (InputStream in = new ByteArrayInputStream(RegularFiles.read(file, MAX_PEM_BYTES))) {
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                out.add((X509Certificate) c);
            }
        } catch (NoSuchFileException e) {
            return out;
        } catch (java.security.cert.CertificateException e) {
            throw new IOException(file + ": not a PEM certificate (" + e.getMessage() + ")", e);
        }
        return out;
    }
}
