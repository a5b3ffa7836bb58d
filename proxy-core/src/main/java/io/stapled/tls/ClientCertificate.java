package io.stapled.tls;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The client certificate of one connection, recorded once after the handshake
 * ({@link TlsAttributes#CLIENT_CERTIFICATE}) for rules, headers and logs: HAProxy's
 * {@code ssl_c_s_dn}, {@code ssl_c_i_dn}, {@code ssl_c_serial}, {@code ssl_c_sha256} (as HAProxy
 * prints it: upper-case hex) and {@code ssl_c_verify}.
 *
 * @param subject     the subject DN (RFC 2253)
 * @param issuer      the issuer DN (RFC 2253)
 * @param serial      the serial number, upper-case hex
 * @param sha256      the SHA-256 fingerprint of the DER certificate, upper-case hex without colons
 * @param verified    whether it verified against the CA and CRL files when the connection was made
 * @param failure     why it did not verify, or null when it did
 * @param resumed     the certificate came with a resumed session: the client did not send it on this
 *                    connection (PROXY v2's PP2_CLIENT_CERT_SESS without PP2_CLIENT_CERT_CONN)
 */
public record ClientCertificate(String subject, String issuer, String serial, String sha256, boolean verified,
                                String failure, boolean resumed) {

    /**
     * The client certificate of a finished handshake, or null when the client sent none. The result
     * the verifier recorded during the handshake is used; a resumed session (no verification ran) is
     * verified now, against the CRLs in force now.
     */
    static ClientCertificate of(SSLEngine engine, ClientCertificateVerifier verifier) {
        SSLSession session = engine.getSession();
        Certificate[] peer;
        try {
            peer = session.getPeerCertificates();
        } catch (SSLPeerUnverifiedException none) {
            return null;
        }
        if (peer.length == 0 || !(peer[0] instanceof X509Certificate leaf)) {
            return null;
        }
        Object recorded = session.getValue(ClientCertificateVerifier.RESULT);
        String failure;
        // The verifier records its result only when it ran, in a full handshake: none means resumed.
        boolean resumed = !(recorded instanceof String);
        if (recorded instanceof String s) {
            failure = ClientCertificateVerifier.VERIFIED.equals(s) ? null : s;
        } else {
            X509Certificate[] chain = new X509Certificate[peer.length];
            for (int i = 0; i < peer.length; i++) {
                chain[i] = (X509Certificate) peer[i];
            }
            failure = verifier.verify(chain);
        }
        return new ClientCertificate(leaf.getSubjectX500Principal().getName(),
                leaf.getIssuerX500Principal().getName(), leaf.getSerialNumber().toString(16).toUpperCase(Locale.ROOT),
                sha256(leaf), failure == null, failure, resumed);
    }

    private static String sha256(X509Certificate c) {
        try {
            return HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }
}
