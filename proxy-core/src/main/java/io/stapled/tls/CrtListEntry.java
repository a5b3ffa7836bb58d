package io.stapled.tls;

import java.nio.file.Path;
import java.util.List;

import io.stapled.config.CertificateSource.OcspOptions;

/**
 * One line of an HAProxy crt-list.
 *
 * @param crt        the certificate file, resolved against the crt-list's directory
 * @param line       1-based line number, for messages
 * @param ocspUpdate {@code [ocsp-update on|off]}, or null when the line does not say
 * @param alpn       {@code [alpn a,b]}, empty when the line does not say
 * @param sni        positive SNI filters, lower case
 * @param excluded   {@code !name} filters, lower case, without the {@code !}
 * @param tls        the line's other TLS options ({@code ssl-min-ver}, {@code ciphers}, {@code curves}, ...)
 */
public record CrtListEntry(Path crt, int line, Boolean ocspUpdate, List<String> alpn,
                           List<String> sni, List<String> excluded, TlsOverrides tls) {

    public CrtListEntry {
        alpn = List.copyOf(alpn);
        sni = List.copyOf(sni);
        excluded = List.copyOf(excluded);
        tls = tls == null ? TlsOverrides.NONE : tls;
    }

    public CrtListEntry(Path crt, int line, Boolean ocspUpdate, List<String> alpn, List<String> sni,
                        List<String> excluded) {
        this(crt, line, ocspUpdate, alpn, sni, excluded, TlsOverrides.NONE);
    }

    /** This line at another place: a certificate named as the store knows it, a new line number. */
    public CrtListEntry at(Path newCrt, int newLine) {
        return new CrtListEntry(newCrt, newLine, ocspUpdate, alpn, sni, excluded, tls);
    }

    /** The OCSP options of this line's certificate under its crt-list's: {@code [ocsp-update]} wins. */
    public OcspOptions ocspUnder(OcspOptions list) {
        return ocspUpdate == null ? list : new OcspOptions(ocspUpdate || list.enabled(), list.responder(), ocspUpdate);
    }

    /**
     * Whether {@code c} is what this line serves: the same file, filters, ALPN and TLS options (no filters meaning
     * the leaf's own names, whatever leaf a commit put there since).
     */
    public boolean servedBy(LoadedCertificate c) {
        if (!c.source().equals(crt) || !c.excludedNames().equals(excluded) || !c.alpn().equals(alpn)
                || !c.tls().equals(tls)) {
            return false;
        }
        return sni.isEmpty() ? c.sniNames().equals(X509Facts.dnsNames(c.leaf())) : c.sniNames().equals(sni);
    }
}
