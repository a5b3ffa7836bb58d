package io.stapled.config;

import java.nio.file.Path;
import java.util.List;

/**
 * TLS from stapled to one backend server: HAProxy's {@code server ... ssl verify required ca-file X
 * sni str(...) alpn ... crt ...}.
 *
 * @param verify            check the server's chain against {@code caFile} and its name against
 *                          {@code sni} (or the server's address); false is HAProxy's {@code verify none}
 * @param caFile            PEM file of the CAs the server's chain must lead to; null with {@code verify} off
 * @param sni               the name sent as SNI and checked in the server's certificate; null: the address's host
 * @param alpn              ALPN protocols offered to the server, in preference order; empty offers none
 * @param clientCertificate PEM certificate (chain) presented when the server asks for one, or null
 * @param clientKey         its private key: the same file as {@code clientCertificate} when it holds both
 */
public record BackendTlsConfig(boolean verify, Path caFile, String sni, List<String> alpn, Path clientCertificate,
                               Path clientKey) {
    public BackendTlsConfig {
        alpn = List.copyOf(alpn);
    }

    public BackendTlsConfig withAlpn(List<String> protocols) {
        return new BackendTlsConfig(verify, caFile, sni, protocols, clientCertificate, clientKey);
    }
}
