package io.stapled.tls;

/**
 * What was decided for one connection from its ClientHello, recorded once on the channel
 * ({@link TlsAttributes#SELECTION}) before the handshake starts, for metrics, logs, routing and tests.
 *
 * @param certificate     the certificate chosen
 * @param serverName      the SNI name the client sent (normalized), null when it sent none
 * @param statusRequested whether the client sent status_request
 * @param stapled         whether a staple was set on the engine for this handshake
 */
public record TlsSelection(LoadedCertificate certificate, String serverName, boolean statusRequested,
                           boolean stapled) {
}
