package io.stapled.tls;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

import io.stapled.config.CertificateSource.OcspOptions;
import io.stapled.ocsp.CertificateFacts;
import io.stapled.ocsp.StapleSlot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way PEM material becomes a served certificate, whether it was read from a file at start-up
 * ({@link CertificateLoader}) or sent in a runtime-API transaction ({@link LoadedCertificate#replacedBy}):
 * the leaf is the certificate of the private key, the other certificates follow it in issuing order,
 * and the issuer for OCSP comes from {@link #issuer the one issuer rule}.
 */
public final class CertificateAssembly {
    private static final Logger log = LoggerFactory.getLogger(CertificateAssembly.class);

    private CertificateAssembly() { }

    /**
     * How a certificate is served: what comes from the config rather than from the PEM.
     *
     * @param source   the certificate file, as errors and the runtime API name it
     * @param sni      names to answer to; empty means the leaf's own names
     * @param excluded names never to answer to
     * @param tls      what the crt-list line changes in the certificate's TLS context
     * @param layout   the global file rules: sibling names, the chains of {@code issuers-chain-path}
     */
    public record Placement(Path source, List<String> sni, List<String> excluded, OcspOptions ocsp,
                            List<String> alpn, TlsOverrides tls, CertificateLayout layout) {
        public Placement {
            Objects.requireNonNull(source, "source");
            sni = List.copyOf(sni);
            excluded = List.copyOf(excluded);
            alpn = List.copyOf(alpn);
            tls = tls == null ? TlsOverrides.NONE : tls;
            layout = layout == null ? CertificateLayout.DEFAULT : layout;
        }

        /** A placement with the frontend's TLS settings (no crt-list options besides {@code alpn}), default layout. */
        public Placement(Path source, List<String> sni, List<String> excluded, OcspOptions ocsp, List<String> alpn) {
            this(source, sni, excluded, ocsp, alpn, TlsOverrides.NONE, CertificateLayout.DEFAULT);
        }
    }

    /**
     * HAProxy's {@code .issuer} part: certificates offered as the leaf's issuer when the chain lacks it.
     *
     * @param name         what errors call it, e.g. {@code /etc/ssl/site.pem.issuer}
     * @param certificates read only when needed; null or a null result means there is none
     */
    public record IssuerPart(String name, Supplier<List<X509Certificate>> certificates) {
        public static final IssuerPart NONE = new IssuerPart("no .issuer", () -> null);

        public static IssuerPart of(String name, X509Certificate issuer) {
            return issuer == null ? NONE : new IssuerPart(name, () -> List.of(issuer));
        }
    }

    /** The private key belongs to none of the certificates; each caller words it for its audience. */
    public static final class KeyMismatchException extends TlsSetupException {
        private static final long serialVersionUID = 1L;

        KeyMismatchException(Path source) {
            super(source + ": the private key does not match the certificate");
        }
    }

    /** The leaf's key is neither EC nor RSA (a DSA member of an HAProxy bundle, say). */
    public static final class UnsupportedKeyException extends TlsSetupException {
        private static final long serialVersionUID = 1L;

        UnsupportedKeyException(Path source, String algorithm) {
            super(source + ": unsupported key algorithm " + algorithm + " (stapled serves EC and RSA certificates)");
        }
    }

    /**
     * Checks and assembles one served certificate, with a new empty staple slot.
     *
     * @param certificates the PEM's certificates in the order given
     * @param key          the private key
     * @throws KeyMismatchException when the key is the key of none of the certificates
     * @throws TlsSetupException    naming the source for an unsupported key type, a CA certificate as
     *                              the leaf ({@link CertificateChecks}; expired, expiring and weak ones are
     *                              logged) or an {@code .issuer} part that holds no issuer of the leaf
     */
    public static LoadedCertificate assemble(Placement placement, List<X509Certificate> certificates, PrivateKey key,
                                             IssuerPart issuerPart) {
        Path source = placement.source();
        List<X509Certificate> chain = orderChain(certificates, key);
        if (chain == null) {
            throw new KeyMismatchException(source);
        }
        X509Certificate leaf = chain.get(0);
        if (chain.size() == 1) {
            // HAProxy's issuers-chain-path: only a file with no chain of its own is completed
            List<X509Certificate> completed = new ArrayList<>(chain);
            completed.addAll(placement.layout().issuers().chainOf(leaf));
            chain = completed;
        }
        KeyType keyType = X509Facts.keyType(leaf);
        if (keyType == null) {
            throw new UnsupportedKeyException(source, leaf.getPublicKey().getAlgorithm());
        }
        String refusal = CertificateChecks.refusal(leaf);
        if (refusal != null) {
            throw new TlsSetupException(source + ": " + refusal);
        }
        for (String warning : CertificateChecks.warnings(leaf, Instant.now())) {
            log.warn("certificate {}: {}", source, warning);
        }
        List<String> names = placement.sni().isEmpty() ? X509Facts.dnsNames(leaf)
                : placement.sni().stream().map(X509Facts::normalize).toList();
        return new LoadedCertificate(source, chain, key, keyType, names,
                placement.excluded().stream().map(X509Facts::normalize).toList(),
                issuer(source, chain, issuerPart, placement.layout().issuers()), placement.ocsp(), placement.alpn(),
                new StapleSlot(), CertificateFacts.mustStaple(leaf), CertificateFacts.ocspUrl(leaf),
                placement.tls(), placement.layout());
    }

    /** Leaf (the certificate of the key) first, then each certificate's issuer, then any others; null if no leaf. */
    private static List<X509Certificate> orderChain(List<X509Certificate> certs, PrivateKey key) {
        List<X509Certificate> rest = new ArrayList<>(certs);
        X509Certificate leaf = null;
        for (X509Certificate c : rest) {
            if (key != null && X509Facts.keyMatches(c, key)) {
                leaf = c;
                break;
            }
        }
        if (leaf == null) {
            return null;
        }
        rest.remove(leaf);
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(leaf);
        X509Certificate current = leaf;
        boolean found = true;
        while (found && !rest.isEmpty()) {
            found = false;
            for (X509Certificate c : rest) {
                if (X509Facts.issued(c, current)) {
                    chain.add(c);
                    rest.remove(c);
                    current = c;
                    found = true;
                    break;
                }
            }
        }
        chain.addAll(rest);
        return chain;
    }

    /**
     * The issuer rule, HAProxy's: the certificate after the leaf in the ordered chain if it issued the
     * leaf, else the {@code .issuer} certificate that did, else the first certificate of an
     * {@code issuers-chain-path} chain that did, else null (the OCSP assembly decides whether that is
     * fatal). An {@code .issuer} part that holds no issuer of the leaf is a mistake, refused.
     */
    static X509Certificate issuer(Path source, List<X509Certificate> chain, IssuerPart issuerPart) {
        return issuer(source, chain, issuerPart, IssuerChains.NONE);
    }

    static X509Certificate issuer(Path source, List<X509Certificate> chain, IssuerPart issuerPart,
                                  IssuerChains issuers) {
        X509Certificate leaf = chain.get(0);
        if (chain.size() > 1 && X509Facts.issued(chain.get(1), leaf)) {
            return chain.get(1);
        }
        List<X509Certificate> candidates = issuerPart.certificates().get();
        if (candidates == null) {
            List<X509Certificate> chained = issuers.chainOf(leaf);
            return chained.isEmpty() ? null : chained.get(0);
        }
        for (X509Certificate c : candidates) {
            if (X509Facts.issued(c, leaf)) {
                return c;
            }
        }
        throw new TlsSetupException(issuerPart.name() + ": holds no certificate that issued " + source.getFileName());
    }
}
