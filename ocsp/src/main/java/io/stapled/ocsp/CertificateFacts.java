package io.stapled.ocsp;

import java.net.URI;
import java.security.cert.X509Certificate;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.X509ObjectIdentifiers;

/** Reads the OCSP-relevant extensions of a certificate. */
public final class CertificateFacts {
    /** id-pe-tlsfeature, RFC 7633. */
    public static final String TLS_FEATURE_OID = "1.3.6.1.5.5.7.1.24";
    /** The TLS extension number of status_request. */
    private static final int STATUS_REQUEST = 5;

    private CertificateFacts() { }

    /** The first http(s) OCSP URL in the Authority Information Access extension, or null. */
    public static URI ocspUrl(X509Certificate cert) {
        byte[] ext = cert.getExtensionValue(Extension.authorityInfoAccess.getId());
        if (ext == null) {
            return null;
        }
        try {
            ASN1Primitive inner = ASN1Primitive.fromByteArray(ASN1OctetString.getInstance(ext).getOctets());
            for (AccessDescription d : AuthorityInformationAccess.getInstance(inner).getAccessDescriptions()) {
                GeneralName n = d.getAccessLocation();
                if (X509ObjectIdentifiers.ocspAccessMethod.equals(d.getAccessMethod())
                        && n.getTagNo() == GeneralName.uniformResourceIdentifier) {
                    String url = n.getName().toString();
                    if (url.startsWith("http://") || url.startsWith("https://")) {
                        return URI.create(url);
                    }
                }
            }
        } catch (Exception e) {
            return null; // an unreadable AIA is treated as absent
        }
        return null;
    }

    /** True if the certificate carries the TLS Feature extension listing status_request (Must-Staple). */
    public static boolean mustStaple(X509Certificate cert) {
        byte[] ext = cert.getExtensionValue(TLS_FEATURE_OID);
        if (ext == null) {
            return false;
        }
        try {
            ASN1Primitive inner = ASN1Primitive.fromByteArray(ASN1OctetString.getInstance(ext).getOctets());
            for (ASN1Encodable e : ASN1Sequence.getInstance(inner)) {
                if (ASN1Integer.getInstance(e).intValueExact() == STATUS_REQUEST) {
                    return true;
                }
            }
        } catch (Exception e) {
            return false;
        }
        return false;
    }
}
