package io.stapled.admin;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.cert.CertificateException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Date;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.ocsp.ResponderID;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.cert.ocsp.UnknownStatus;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;

/**
 * An OCSP response as {@code openssl ocsp -respin resp.der -text} prints it (OpenSSL 3's
 * {@code OCSP_RESPONSE_print}), which is what HAProxy's {@code show ssl ocsp-response <id>} shows.
 * Certificates carried in the response are summarised (subject, issuer, validity) and then given in
 * PEM, where OpenSSL prints its full {@code X509_print} dump.
 */
public final class OcspResponseText {
    private static final DateTimeFormatter ASN1_TIME =
            DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss yyyy 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static final HexFormat UPPER = HexFormat.of().withUpperCase();

    private static final Map<String, String> DIGESTS = Map.of(
            "1.3.14.3.2.26", "sha1",
            "2.16.840.1.101.3.4.2.1", "sha256",
            "2.16.840.1.101.3.4.2.2", "sha384",
            "2.16.840.1.101.3.4.2.3", "sha512");
    private static final Map<String, String> SIGNATURES = Map.ofEntries(
            Map.entry("1.2.840.113549.1.1.5", "sha1WithRSAEncryption"),
            Map.entry("1.2.840.113549.1.1.11", "sha256WithRSAEncryption"),
            Map.entry("1.2.840.113549.1.1.12", "sha384WithRSAEncryption"),
            Map.entry("1.2.840.113549.1.1.13", "sha512WithRSAEncryption"),
            Map.entry("1.2.840.113549.1.1.10", "rsassaPss"),
            Map.entry("1.2.840.10045.4.1", "ecdsa-with-SHA1"),
            Map.entry("1.2.840.10045.4.3.2", "ecdsa-with-SHA256"),
            Map.entry("1.2.840.10045.4.3.3", "ecdsa-with-SHA384"),
            Map.entry("1.2.840.10045.4.3.4", "ecdsa-with-SHA512"),
            Map.entry("1.3.101.112", "ED25519"),
            Map.entry("1.3.101.113", "ED448"));
    /** OpenSSL's short names where BouncyCastle's differ. */
    private static final Map<String, String> NAME_KEYS = Map.of(
            "1.2.840.113549.1.9.1", "emailAddress",
            "2.5.4.5", "serialNumber",
            "2.5.4.9", "street",
            "2.5.4.17", "postalCode",
            "0.9.2342.19200300.100.1.1", "UID");
    private static final String[] RESPONSE_STATUS = {
        "successful", "malformedrequest", "internalerror", "trylater", "(UNKNOWN)", "sigrequired", "unauthorized"};
    private static final String[] REASONS = {
        "unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
        "cessationOfOperation", "certificateHold", "(UNKNOWN)", "removeFromCRL", "privilegeWithdrawn",
        "aACompromise"};

    private OcspResponseText() { }

    /** The text of {@code der}, or {@code Unable to parse OCSP response} as HAProxy says for garbage. */
    public static String render(byte[] der) {
        try {
            return renderOrThrow(der);
        } catch (IOException | OCSPException | RuntimeException e) {
            return "Unable to parse OCSP response\n";
        }
    }

    private static String renderOrThrow(byte[] der) throws IOException, OCSPException {
        OCSPResp resp = new OCSPResp(der);
        StringBuilder sb = new StringBuilder("OCSP Response Data:\n");
        int status = resp.getStatus();
        String statusName = status >= 0 && status < RESPONSE_STATUS.length ? RESPONSE_STATUS[status] : "(UNKNOWN)";
        sb.append("    OCSP Response Status: ").append(statusName).append(" (0x")
                .append(Integer.toHexString(status)).append(")\n");
        Object object = resp.getResponseObject();
        if (!(object instanceof BasicOCSPResp basic)) {
            return sb.toString();
        }
        sb.append("    Response Type: Basic OCSP Response\n");
        sb.append("    Version: ").append(basic.getVersion()).append(" (0x").append(basic.getVersion() - 1)
                .append(")\n");
        sb.append("    Responder Id: ").append(responderId(basic)).append('\n');
        sb.append("    Produced At: ").append(time(basic.getProducedAt())).append('\n');
        sb.append("    Responses:\n");
        org.bouncycastle.asn1.ocsp.ResponseData data = org.bouncycastle.asn1.ocsp.BasicOCSPResponse.getInstance(
                resp.toASN1Structure().getResponseBytes().getResponse().getOctets()).getTbsResponseData();
        SingleResp[] singles = basic.getResponses();
        for (int n = 0; n < singles.length; n++) {
            SingleResp single = singles[n];
            certId(sb, single.getCertID(), 4);
            Object st = single.getCertStatus();
            if (st == CertificateStatus.GOOD) {
                sb.append("    Cert Status: good");
            } else if (st instanceof RevokedStatus revoked) {
                sb.append("    Cert Status: revoked");
                sb.append("\n    Revocation Time: ").append(time(revoked.getRevocationTime()));
                if (revoked.hasRevocationReason()) {
                    int r = revoked.getRevocationReason();
                    sb.append("\n    Revocation Reason: ").append(r >= 0 && r < REASONS.length ? REASONS[r] : "(UNKNOWN)")
                            .append(" (0x").append(Integer.toHexString(r)).append(')');
                }
            } else if (st instanceof UnknownStatus) {
                sb.append("    Cert Status: unknown");
            }
            sb.append("\n    This Update: ").append(time(single.getThisUpdate()));
            if (single.getNextUpdate() != null) {
                sb.append("\n    Next Update: ").append(time(single.getNextUpdate()));
            }
            sb.append('\n');
            extensions(sb, "Response Single Extensions",
                    org.bouncycastle.asn1.ocsp.SingleResponse.getInstance(data.getResponses().getObjectAt(n))
                            .getSingleExtensions(), 8);
            sb.append('\n');
        }
        extensions(sb, "Response Extensions", data.getResponseExtensions(), 4);
        sb.append("    Signature Algorithm: ").append(signatureName(basic.getSignatureAlgOID())).append('\n');
        sb.append("    Signature Value:");
        byte[] sig = basic.getSignature();
        for (int i = 0; i < sig.length; i++) {
            if (i % 18 == 0) {
                sb.append("\n        ");
            }
            sb.append(String.format("%02x", sig[i] & 0xff));
            if (i + 1 < sig.length) {
                sb.append(':');
            }
        }
        sb.append('\n');
        for (X509CertificateHolder cert : basic.getCerts()) {
            certificate(sb, cert);
        }
        return sb.toString();
    }

    private static void certId(StringBuilder sb, CertificateID id, int indent) {
        String pad = " ".repeat(indent);
        String pad2 = " ".repeat(indent + 2);
        String hash = DIGESTS.getOrDefault(id.getHashAlgOID().getId(), id.getHashAlgOID().getId());
        sb.append(pad).append("Certificate ID:\n");
        sb.append(pad2).append("Hash Algorithm: ").append(hash).append('\n');
        sb.append(pad2).append("Issuer Name Hash: ").append(UPPER.formatHex(id.getIssuerNameHash())).append('\n');
        sb.append(pad2).append("Issuer Key Hash: ").append(UPPER.formatHex(id.getIssuerKeyHash())).append('\n');
        sb.append(pad2).append("Serial Number: ").append(serial(id.getSerialNumber())).append('\n');
    }

    /** OpenSSL's i2a_ASN1_INTEGER: the magnitude in uppercase hex, an even number of digits. */
    static String serial(BigInteger serial) {
        String hex = serial.abs().toString(16).toUpperCase(Locale.ROOT);
        if (hex.length() % 2 != 0) {
            hex = "0" + hex;
        }
        return (serial.signum() < 0 ? "-" : "") + hex;
    }

    private static void extensions(StringBuilder sb, String title, Extensions exts, int indent) {
        if (exts == null || exts.getExtensionOIDs().length == 0) {
            return;
        }
        sb.append(" ".repeat(indent)).append(title).append(":\n");
        for (ASN1ObjectIdentifier oid : exts.getExtensionOIDs()) {
            Extension e = exts.getExtension(oid);
            String name = oid.equals(OCSPObjectIdentifiers.id_pkix_ocsp_nonce) ? "OCSP Nonce" : oid.getId();
            sb.append(" ".repeat(indent + 4)).append(name).append(": ").append(e.isCritical() ? "critical" : "")
                    .append('\n');
            byte[] value = e.getExtnValue().getOctets();
            if (oid.equals(OCSPObjectIdentifiers.id_pkix_ocsp_nonce)) {
                try {
                    ASN1Primitive p = ASN1Primitive.fromByteArray(value);
                    if (p instanceof ASN1OctetString os) {
                        value = os.getEncoded();
                    }
                } catch (IOException notDer) {
                    // Some responders put the raw nonce in the extension: print it as it is.
                }
            }
            sb.append(" ".repeat(indent + 8)).append(UPPER.formatHex(value)).append('\n');
        }
    }

    private static String responderId(BasicOCSPResp basic) {
        ResponderID rid = basic.getResponderId().toASN1Primitive();
        if (rid.getName() != null) {
            return distinguishedName(rid.getName());
        }
        return UPPER.formatHex(rid.getKeyHash());
    }

    /** OpenSSL's XN_FLAG_ONELINE: {@code C = FR, O = HAProxy Technologies, CN = ocsp.haproxy.com}. */
    static String distinguishedName(X500Name name) {
        StringBuilder sb = new StringBuilder();
        for (RDN rdn : name.getRDNs()) {
            for (AttributeTypeAndValue atv : rdn.getTypesAndValues()) {
                if (sb.length() > 0) {
                    sb.append(", ");
                }
                sb.append(key(atv.getType())).append(" = ")
                        .append(IETFUtils.valueToString(atv.getValue()));
            }
        }
        return sb.toString();
    }

    /** HAProxy's {@code /C=US/O=Let's Encrypt/CN=R3} form. */
    static String slashed(X500Name name) {
        StringBuilder sb = new StringBuilder();
        for (RDN rdn : name.getRDNs()) {
            for (AttributeTypeAndValue atv : rdn.getTypesAndValues()) {
                sb.append('/').append(key(atv.getType())).append('=')
                        .append(IETFUtils.valueToString(atv.getValue()));
            }
        }
        return sb.toString();
    }

    private static String key(ASN1ObjectIdentifier type) {
        String openssl = NAME_KEYS.get(type.getId());
        if (openssl != null) {
            return openssl;
        }
        String bc = BCStyle.INSTANCE.oidToDisplayName(type);
        return bc == null ? type.getId() : bc;
    }

    static String signatureName(ASN1ObjectIdentifier oid) {
        return SIGNATURES.getOrDefault(oid.getId(), oid.getId());
    }

    static String time(Date date) {
        return ASN1_TIME.format(date.toInstant());
    }

    private static void certificate(StringBuilder sb, X509CertificateHolder cert) {
        sb.append("Certificate:\n");
        sb.append("    Data:\n");
        sb.append("        Version: ").append(cert.getVersionNumber()).append(" (0x")
                .append(cert.getVersionNumber() - 1).append(")\n");
        sb.append("        Serial Number: ").append(serial(cert.getSerialNumber())).append('\n');
        sb.append("        Signature Algorithm: ").append(signatureName(cert.getSignatureAlgorithm().getAlgorithm()))
                .append('\n');
        sb.append("        Issuer: ").append(distinguishedName(cert.getIssuer())).append('\n');
        sb.append("        Validity\n");
        sb.append("            Not Before: ").append(time(cert.getNotBefore())).append('\n');
        sb.append("            Not After : ").append(time(cert.getNotAfter())).append('\n');
        sb.append("        Subject: ").append(distinguishedName(cert.getSubject())).append('\n');
        StringWriter pem = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(pem)) {
            w.writeObject(new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(cert));
        } catch (IOException | CertificateException e) {
            return;
        }
        sb.append(pem.toString().replace("\r\n", "\n"));
    }
}
