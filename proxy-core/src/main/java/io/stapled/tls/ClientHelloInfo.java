package io.stapled.tls;

import java.util.List;

/**
 * What stapled reads from a ClientHello, once, before choosing a certificate.
 *
 * @param serverName             SNI host name, lower case, no trailing dot; null when absent
 * @param statusRequest          the client sent status_request (type ocsp): it wants a staple
 * @param signatureAlgorithms    the client sent the signature_algorithms extension
 * @param ecdsaSignatureOffered  signature_algorithms holds an ECDSA scheme
 * @param tls13Offered           supported_versions holds TLS 1.3, or a TLS 1.3 suite is offered
 * @param ecdsaCipherOffered     an ECDHE-ECDSA (or ECDH-ECDSA) TLS 1.2 suite is offered
 * @param alpn                   ALPN protocols offered, empty when absent
 */
public record ClientHelloInfo(
        String serverName,
        boolean statusRequest,
        boolean signatureAlgorithms,
        boolean ecdsaSignatureOffered,
        boolean tls13Offered,
        boolean ecdsaCipherOffered,
        List<String> alpn) {

    /**
     * HAProxy's rule for choosing ECDSA over RSA: the client's signature_algorithms include an ECDSA
     * scheme and it can use an ECDSA certificate with a suite it offers (any TLS 1.3 suite, or an
     * ECDHE-ECDSA one). Without signature_algorithms (older clients) the offered suites decide.
     */
    public boolean acceptsEcdsa() {
        if (signatureAlgorithms) {
            return ecdsaSignatureOffered && (tls13Offered || ecdsaCipherOffered);
        }
        return ecdsaCipherOffered;
    }
}
