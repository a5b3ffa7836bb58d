package io.stapled.ocsp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;

import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;

/**
 * A DER OCSPRequest for one CertID, unsigned, optionally with a nonce (RFC 8954).
 *
 * @param der   the request bytes
 * @param nonce the nonce extension's value (the DER OCTET STRING) to expect back, or null
 */
public record OcspRequest(byte[] der, byte[] nonce) {

    public static OcspRequest build(CertIdentity id, boolean withNonce, Random random) {
        try {
            OCSPReqBuilder b = new OCSPReqBuilder();
            b.addRequest(id.toCertificateId());
            byte[] nonceValue = null;
            if (withNonce) {
                byte[] n = new byte[16];
                random.nextBytes(n);
                nonceValue = new DEROctetString(n).getEncoded();
                b.setRequestExtensions(new Extensions(new Extension(
                        OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false, nonceValue)));
            }
            return new OcspRequest(b.build().getEncoded(), nonceValue);
        } catch (OCSPException e) {
            throw new IllegalStateException("cannot build OCSP request for " + id, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
