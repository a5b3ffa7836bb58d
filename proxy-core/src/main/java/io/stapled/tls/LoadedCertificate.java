package io.stapled.tls;

import java.net.URI;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

import io.stapled.config.CertificateSource;
import io.stapled.ocsp.CertificateFacts;
import io.stapled.ocsp.OcspSubject;
import io.stapled.ocsp.StapleSlot;
import io.stapled.ocsp.StapleSlots;

/**
 * One certificate, read from disk or sent through the runtime API and checked by
 * {@link CertificateAssembly}: its chain matches its key, its names are known.
 *
 * @param source        the file the certificate came from (the key of runtime-API commands)
 * @param chain         leaf first, then the intermediates in issuing order
 * @param privateKey    the leaf's key; never logged
 * @param keyType       EC or RSA
 * @param sniNames      lower-case names this certificate answers to, wildcards as {@code *.example.com}
 * @param excludedNames lower-case names this certificate must never answer to (crt-list {@code !name})
 * @param issuer        the leaf's issuer for OCSP requests (next in chain, else the {@code .issuer}
 *                      sibling), or null when neither exists
 * @param ocsp          whether and where to fetch staples for this certificate
 * @param alpn          ALPN protocols for this certificate from a crt-list {@code [alpn ...]}; empty means
 *                      the frontend's list
 * @param stapleSlot    where the handshake reads this certificate's staple: the OCSP engine's slot for it,
 *                      handed over through {@link StapleSlots} (an ECDSA/RSA pair has two; a file served
 *                      by several frontends has one)
 * @param mustStaple    the leaf carries the TLS Feature extension asking for status_request
 * @param ocspUrl       the leaf's AIA OCSP responder, or null
 * @param tls           the crt-list line's other TLS options, applied to this certificate's context
 * @param layout        where its siblings are and which chains complete it (the global options), kept
 *                      so that a runtime replacement follows the same rules
 */
public record LoadedCertificate(
        Path source,
        List<X509Certificate> chain,
        PrivateKey privateKey,
        KeyType keyType,
        List<String> sniNames,
        List<String> excludedNames,
        X509Certificate issuer,
        CertificateSource.OcspOptions ocsp,
        List<String> alpn,
        StapleSlot stapleSlot,
        boolean mustStaple,
        URI ocspUrl,
        TlsOverrides tls,
        CertificateLayout layout) {

    public LoadedCertificate {
        chain = List.copyOf(chain);
        sniNames = List.copyOf(sniNames);
        excludedNames = List.copyOf(excludedNames);
        alpn = List.copyOf(alpn);
        tls = tls == null ? TlsOverrides.NONE : tls;
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("empty chain for " + source);
        }
        layout = layout == null ? CertificateLayout.DEFAULT : layout;
    }

    /**
     * A certificate served with the frontend's TLS settings, under the default layout ({@code <crt>.ocsp}
     * siblings, no issuers chains).
     */
    public LoadedCertificate(Path source, List<X509Certificate> chain, PrivateKey privateKey, KeyType keyType,
                             List<String> sniNames, List<String> excludedNames, X509Certificate issuer,
                             CertificateSource.OcspOptions ocsp, List<String> alpn, StapleSlot stapleSlot,
                             boolean mustStaple, URI ocspUrl) {
        this(source, chain, privateKey, keyType, sniNames, excludedNames, issuer, ocsp, alpn, stapleSlot, mustStaple,
                ocspUrl, TlsOverrides.NONE, CertificateLayout.DEFAULT);
    }

    /** This certificate served with a crt-list line's TLS options. */
    public LoadedCertificate withTls(TlsOverrides overrides) {
        return new LoadedCertificate(source, chain, privateKey, keyType, sniNames, excludedNames, issuer, ocsp, alpn,
                stapleSlot, mustStaple, ocspUrl, overrides, layout);
    }

    public X509Certificate leaf() {
        return chain.get(0);
    }

    /**
     * What the OCSP engine manages for this certificate: named by its file, with the file's OCSP options
     * and the staple file its layout names ({@code <crt>.ocsp}, or {@code site.ocsp} for {@code site.crt}
     * under {@code ssl-load-extra-del-ext}).
     */
    public OcspSubject ocspSubject() {
        CertificateSource.OcspOptions o = ocsp == null ? CertificateSource.OcspOptions.DEFAULT : ocsp;
        return new OcspSubject(source.toString(), leaf(), issuer, source, o.responder(), o.enabled(),
                o.autoUpdate(), layout.sibling(source, ".ocsp"));
    }

    /** This certificate bound to the slot {@code slots} hands out for it. */
    public LoadedCertificate stapledBy(StapleSlots slots) {
        StapleSlot slot;
        try {
            slot = slots.slotFor(ocspSubject());
        } catch (IllegalArgumentException e) {
            throw new TlsSetupException(source + ": " + e.getMessage(), e);
        }
        return new LoadedCertificate(source, chain, privateKey, keyType, sniNames, excludedNames, issuer, ocsp, alpn,
                slot, mustStaple, ocspUrl, tls, layout);
    }

    /**
     * How this certificate is served, as the config gave it: names set in the config stay, names read
     * from the leaf (none configured) follow whatever leaf takes its place.
     */
    public CertificateAssembly.Placement placement() {
        List<String> configured = sniNames.equals(X509Facts.dnsNames(leaf())) ? List.of() : sniNames;
        return new CertificateAssembly.Placement(source, configured, excludedNames, ocsp, alpn, tls, layout);
    }

    /**
     * The certificate that replaces this one at runtime ({@code set/commit ssl cert}): the new PEM
     * material assembled by the same rules as a file at start-up, under this one's
     * {@link #placement()}, with an empty slot no engine fills: bind it with {@link #stapledBy} once
     * nothing can fail any more, just before it is served.
     *
     * @param certificates the new certificates in the order sent
     * @param issuer       the {@code .issuer} part of the update, or null
     * @throws CertificateAssembly.KeyMismatchException when the key belongs to none of the certificates
     * @throws TlsSetupException                       naming the source for anything else that cannot be served
     */
    public LoadedCertificate replacedBy(List<X509Certificate> certificates, PrivateKey key, X509Certificate issuer) {
        return CertificateAssembly.assemble(placement(), certificates, key,
                CertificateAssembly.IssuerPart.of(layout.sibling(source, ".issuer").toString(), issuer));
    }

    @Override
    public String toString() {
        // never print the key
        return "LoadedCertificate[" + source + " " + keyType + " " + sniNames
                + (excludedNames.isEmpty() ? "" : " !" + excludedNames) + "]";
    }
}
