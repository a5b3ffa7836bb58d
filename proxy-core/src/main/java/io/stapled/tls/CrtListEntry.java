package io.stapled.tls;

import java.nio.file.Path;
import java.util.List;

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
}
