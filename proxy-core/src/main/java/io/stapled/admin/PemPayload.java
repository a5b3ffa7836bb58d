package io.stapled.admin;

import java.io.IOException;
import java.util.Base64;

import org.bouncycastle.cert.ocsp.OCSPResp;

import io.stapled.tls.PemContent;
import io.stapled.tls.TlsSetupException;

/** Reads the payloads of {@code set ssl cert}: PEM certificates and keys, a base64 OCSP response. */
final class PemPayload {

    private PemPayload() { }

    /** The certificates (in order) and at most one private key of a PEM payload. */
    static PemContent parse(String pem) throws IOException {
        PemContent content;
        try {
            content = PemContent.parse(pem, "payload");
        } catch (TlsSetupException e) {
            throw new IOException(e.getMessage(), e);
        }
        if (content.keyCount() > 1) {
            throw new IOException("more than one private key");
        }
        return content;
    }

    /** A base64 DER OCSP response, as HAProxy takes a {@code .ocsp} payload. */
    static byte[] ocsp(String base64) throws IOException {
        byte[] der;
        try {
            der = Base64.getDecoder().decode(base64.replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            throw new IOException("the OCSP response is not valid base64");
        }
        try {
            new OCSPResp(der);
        } catch (IOException | RuntimeException e) {
            throw new IOException("the OCSP response is not a DER OCSPResponse");
        }
        return der;
    }
}
