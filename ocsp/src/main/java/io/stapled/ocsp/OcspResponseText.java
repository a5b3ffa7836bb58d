package io.stapled.ocsp;

import java.io.IOException;
import java.math.BigInteger;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Date;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ocsp.ResponderID;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.cert.ocsp.UnknownStatus;

/**
 * Renders an OCSP response the way {@code openssl ocsp -resp_text} (and so HAProxy's
 * {@code show ssl ocsp-response <id>}) prints its data section: status, responder id, producedAt and,
 * per single response, the CertID, status, revocation and update times. The signature and the
 * embedded certificates are not printed.
 */
public final class OcspResponseText {
    private static final DateTimeFormatter OPENSSL_TIME =
            DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss yyyy 'GMT'", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final String[] RESPONSE_STATUS = {
        "successful", "malformedrequest", "internalerror", "trylater", "(UNKNOWN)", "sigrequired", "unauthorized"};
    private static final String[] REASONS = {
        "unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
        "cessationOfOperation", "certificateHold", "(UNKNOWN)", "removeFromCRL", "privilegeWithdrawn", "aACompromise"};
    private static final Map<ASN1ObjectIdentifier, String> SHORT_NAMES = Map.ofEntries(
            Map.entry(BCStyle.C, "C"), Map.entry(BCStyle.ST, "ST"), Map.entry(BCStyle.L, "L"),
            Map.entry(BCStyle.O, "O"), Map.entry(BCStyle.OU, "OU"), Map.entry(BCStyle.CN, "CN"),
            Map.entry(BCStyle.EmailAddress, "emailAddress"), Map.entry(BCStyle.DC, "DC"),
            Map.entry(BCStyle.SERIALNUMBER, "serialNumber"), Map.entry(BCStyle.STREET, "street"),
            Map.entry(BCStyle.UID, "UID"), Map.entry(BCStyle.POSTAL_CODE, "postalCode"));

    private OcspResponseText() { }

    /** The text, or one line saying why the bytes are not an OCSP response. */
    public static String describe(byte[] der) {
        StringBuilder sb = new StringBuilder("OCSP Response Data:\n");
        OCSPResp resp;
        try {
            resp = new OCSPResp(der);
        } catch (IOException | RuntimeException e) {
            return "not a DER OCSP response (" + e.getMessage() + ")\n";
        }
        int status = resp.getStatus();
        String name = status >= 0 && status < RESPONSE_STATUS.length ? RESPONSE_STATUS[status] : "(UNKNOWN)";
        sb.append("    OCSP Response Status: ").append(name).append(" (0x").append(Integer.toHexString(status)).append(")\n");
        if (status != OCSPResp.SUCCESSFUL) {
            return sb.toString();
        }
        BasicOCSPResp basic;
        try {
            Object body = resp.getResponseObject();
            if (!(body instanceof BasicOCSPResp b)) {
                return sb.append("    Response Type: (unsupported)\n").toString();
            }
            basic = b;
        } catch (OCSPException e) {
            return sb.append("    unreadable basic response (").append(e.getMessage()).append(")\n").toString();
        }
        sb.append("    Response Type: Basic OCSP Response\n");
        sb.append("    Version: ").append(basic.getVersion()).append(" (0x").append(Integer.toHexString(basic.getVersion() - 1))
                .append(")\n");
        sb.append("    Responder Id: ").append(responderId(basic.getResponderId().toASN1Primitive())).append('\n');
        sb.append("    Produced At: ").append(time(basic.getProducedAt())).append('\n');
        sb.append("    Responses:\n");
        for (SingleResp single : basic.getResponses()) {
            CertificateID id = single.getCertID();
            HashAlgorithm hash = HashAlgorithm.forOid(id.getHashAlgOID());
            sb.append("    Certificate ID:\n");
            sb.append("      Hash Algorithm: ").append(hash == null ? id.getHashAlgOID().getId()
                    : hash.name().toLowerCase(Locale.ROOT)).append('\n');
            sb.append("      Issuer Name Hash: ").append(upperHex(id.getIssuerNameHash())).append('\n');
            sb.append("      Issuer Key Hash: ").append(upperHex(id.getIssuerKeyHash())).append('\n');
            sb.append("      Serial Number: ").append(serial(id.getSerialNumber())).append('\n');
            CertificateStatus cs = single.getCertStatus();
            if (cs == CertificateStatus.GOOD) {
                sb.append("    Cert Status: good\n");
            } else if (cs instanceof RevokedStatus r) {
                sb.append("    Cert Status: revoked\n");
                sb.append("    Revocation Time: ").append(time(r.getRevocationTime())).append('\n');
                if (r.hasRevocationReason()) {
                    int reason = r.getRevocationReason();
                    String rn = reason >= 0 && reason < REASONS.length ? REASONS[reason] : "(UNKNOWN)";
                    sb.append("    Revocation Reason: ").append(rn).append(" (0x").append(Integer.toHexString(reason))
                            .append(")\n");
                }
            } else if (cs instanceof UnknownStatus) {
                sb.append("    Cert Status: unknown\n");
            }
            sb.append("    This Update: ").append(time(single.getThisUpdate())).append('\n');
            if (single.getNextUpdate() != null) {
                sb.append("    Next Update: ").append(time(single.getNextUpdate())).append('\n');
            }
        }
        return sb.toString();
    }

    /** OpenSSL's time format, e.g. {@code Jan  1 00:00:00 2024 GMT}. */
    public static String time(Instant instant) {
        return OPENSSL_TIME.format(instant);
    }

    private static String time(Date date) {
        return time(date.toInstant());
    }

    /** OpenSSL's serial form: uppercase hex, an even number of digits. */
    public static String serial(BigInteger serial) {
        String hex = serial.abs().toString(16).toUpperCase(Locale.ROOT);
        if (hex.length() % 2 == 1) {
            hex = "0" + hex;
        }
        return (serial.signum() < 0 ? "-" : "") + hex;
    }

    private static String upperHex(byte[] bytes) {
        return HexFormat.of().withUpperCase().formatHex(bytes);
    }

    private static String responderId(ResponderID rid) {
        if (rid.getName() != null) {
            return oneLine(rid.getName());
        }
        return upperHex(rid.getKeyHash());
    }

    /** Like OpenSSL's XN_FLAG_ONELINE: {@code C = FR, O = Org, CN = Name}, in encoded order. */
    static String oneLine(X500Name name) {
        StringBuilder sb = new StringBuilder();
        for (RDN rdn : name.getRDNs()) {
            for (AttributeTypeAndValue atv : rdn.getTypesAndValues()) {
                if (sb.length() > 0) {
                    sb.append(", ");
                }
                String type = SHORT_NAMES.getOrDefault(atv.getType(), atv.getType().getId());
                sb.append(type).append(" = ").append(IETFUtils.valueToString(atv.getValue()));
            }
        }
        return sb.toString();
    }
}
