package io.stapled.ocsp;

import java.io.IOException;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.List;

import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.cert.ocsp.UnknownStatus;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;

/**
 * Checks an OCSP response for one certificate, whatever its source (fetched, file, runtime API):
 * successful status; signed by the issuer, or by a responder certificate the issuer signed that carries
 * the OCSPSigning EKU and is valid now; a single response for exactly this CertID (hash algorithm
 * included); thisUpdate not beyond the clock skew in the future. A GOOD answer additionally needs a
 * nextUpdate in the future. Stateless and thread-safe.
 */
public final class OcspVerifier {
    private static final String[] RESPONSE_STATUS = {
        "successful", "malformedRequest", "internalError", "tryLater", "4 (unused)", "sigRequired", "unauthorized"};

    private final Duration clockSkew;

    public OcspVerifier(Duration clockSkew) {
        this.clockSkew = clockSkew;
    }

    /** Parses DER bytes into the basic response, or says in one line why that is impossible. */
    static BasicOCSPResp parseBasic(byte[] der) throws OcspVerificationException {
        if (der == null || der.length == 0) {
            throw new OcspVerificationException(OcspVerificationException.Problem.MALFORMED, "empty OCSP response");
        }
        OCSPResp resp;
        try {
            resp = new OCSPResp(der);
        } catch (IOException | RuntimeException e) {
            throw new OcspVerificationException(OcspVerificationException.Problem.MALFORMED, "not a DER OCSP response (" + e.getMessage() + ")");
        }
        int status = resp.getStatus();
        if (status != OCSPResp.SUCCESSFUL) {
            String name = status >= 0 && status < RESPONSE_STATUS.length ? RESPONSE_STATUS[status] : "status " + status;
            throw new OcspVerificationException(OcspVerificationException.Problem.RESPONSE_STATUS, "responder answered " + name);
        }
        try {
            Object body = resp.getResponseObject();
            if (!(body instanceof BasicOCSPResp basic)) {
                throw new OcspVerificationException(OcspVerificationException.Problem.MALFORMED, "response is not a basic OCSP response");
            }
            return basic;
        } catch (OCSPException | RuntimeException e) {
            throw new OcspVerificationException(OcspVerificationException.Problem.MALFORMED, "unreadable basic OCSP response (" + e.getMessage() + ")");
        }
    }

    /**
     * Verifies {@code der} for {@code id} (whose issuer is {@code issuer}) at {@code now}.
     *
     * @param expectedNonce the nonce sent, or null; a response that echoes a different one is refused
     */
    public VerifiedResponse verify(byte[] der, CertIdentity id, X509Certificate issuer, Instant now,
                                   byte[] expectedNonce) throws OcspVerificationException {
        BasicOCSPResp basic = parseBasic(der);
        verifySignature(basic, issuer, now);
        SingleResp single = findSingle(basic, id, issuer);
        if (expectedNonce != null) {
            Extension nonce = basic.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce);
            if (nonce != null && !Arrays.equals(nonce.getExtnValue().getOctets(), expectedNonce)) {
                throw new OcspVerificationException(OcspVerificationException.Problem.NONCE, "response nonce does not match the request's");
            }
        }
        Instant thisUpdate = single.getThisUpdate().toInstant();
        if (thisUpdate.isAfter(now.plus(clockSkew))) {
            // No "now" in the text: the same bad response must give the same line, so it is logged once.
            throw new OcspVerificationException(OcspVerificationException.Problem.NOT_YET_VALID, "thisUpdate " + thisUpdate + " is in the future (more than "
                    + clockSkew + " ahead of this clock)");
        }
        Instant nextUpdate = single.getNextUpdate() == null ? null : single.getNextUpdate().toInstant();
        Instant producedAt = basic.getProducedAt() == null ? thisUpdate : basic.getProducedAt().toInstant();
        CertificateStatus status = single.getCertStatus();
        if (status instanceof RevokedStatus revoked) {
            String reason = revoked.hasRevocationReason()
                    ? CRLReason.lookup(revoked.getRevocationReason()).toString() : null;
            return new VerifiedResponse(der, Staple.CertStatus.REVOKED, thisUpdate, nextUpdate, producedAt,
                    revoked.getRevocationTime().toInstant(), reason);
        }
        if (status instanceof UnknownStatus) {
            return new VerifiedResponse(der, Staple.CertStatus.UNKNOWN, thisUpdate, nextUpdate, producedAt, null, null);
        }
        if (status != CertificateStatus.GOOD) {
            throw new OcspVerificationException(OcspVerificationException.Problem.MALFORMED, "unrecognised certificate status " + status);
        }
        if (nextUpdate == null) {
            throw new OcspVerificationException(OcspVerificationException.Problem.NO_NEXT_UPDATE, "response has no nextUpdate; refused for stapling");
        }
        if (!nextUpdate.isAfter(now)) {
            throw new OcspVerificationException(OcspVerificationException.Problem.EXPIRED, "response expired: nextUpdate " + nextUpdate + " has passed");
        }
        if (nextUpdate.isBefore(thisUpdate)) {
            throw new OcspVerificationException(OcspVerificationException.Problem.MALFORMED, "nextUpdate " + nextUpdate + " is before thisUpdate " + thisUpdate);
        }
        return new VerifiedResponse(der, Staple.CertStatus.GOOD, thisUpdate, nextUpdate, producedAt, null, null);
    }

    /**
     * The single response for exactly {@code id}, hash algorithm included: clients (OpenSSL, curl,
     * browsers) look a staple up by the CertID they compute themselves in the hash the certificate is
     * managed with, so a response naming the same certificate under another hash is useless to them and
     * refused here, for every source. The refusal says which part differs.
     */
    private static SingleResp findSingle(BasicOCSPResp basic, CertIdentity id, X509Certificate issuer)
            throws OcspVerificationException {
        SingleResp[] singles = basic.getResponses();
        if (singles.length == 0) {
            throw new OcspVerificationException(OcspVerificationException.Problem.WRONG_CERTIFICATE, "response holds no single response");
        }
        for (SingleResp s : singles) {
            if (id.matches(s.getCertID())) {
                return s;
            }
        }
        throw new OcspVerificationException(OcspVerificationException.Problem.WRONG_CERTIFICATE,
                mismatch(singles, id, issuer));
    }

    /** Why no single response fits: this certificate under another hash if one says so, else the first. */
    private static String mismatch(SingleResp[] singles, CertIdentity id, X509Certificate issuer) {
        for (SingleResp s : singles) {
            HashAlgorithm alg = HashAlgorithm.forOid(s.getCertID().getHashAlgOID());
            if (alg != null && alg != id.hash() && id.inHash(alg, issuer).matches(s.getCertID())) {
                return "response CertID hash algorithm " + alg.displayName() + ", expected " + id.hash().displayName()
                        + " (the certificate is right, but clients look for the " + id.hash().displayName() + " CertID)";
            }
        }
        CertificateID got = singles[0].getCertID();
        if (HashAlgorithm.forOid(got.getHashAlgOID()) == null) {
            return "response CertID hash algorithm " + got.getHashAlgOID() + " is unsupported, expected "
                    + id.hash().displayName();
        }
        if (got.getSerialNumber().equals(id.serial())) {
            return "response is for serial " + id.serial().toString(16) + " of another issuer (issuer hashes differ)";
        }
        return "response is for another certificate (serial " + got.getSerialNumber().toString(16) + "), not serial "
                + id.serial().toString(16);
    }

    private void verifySignature(BasicOCSPResp basic, X509Certificate issuer, Instant now)
            throws OcspVerificationException {
        if (signedBy(basic, issuer.getPublicKey())) {
            return;
        }
        String why = "signature is neither the issuer's nor a delegated responder's";
        X509CertificateHolder[] certs = basic.getCerts();
        for (X509CertificateHolder holder : certs) {
            X509Certificate responder;
            try {
                responder = new JcaX509CertificateConverter().getCertificate(holder);
            } catch (CertificateException e) {
                continue;
            }
            if (!responder.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())
                    || !issuedBy(responder, issuer.getPublicKey())) {
                continue;
            }
            if (!signedBy(basic, responder.getPublicKey())) {
                continue;
            }
            // Signed by a certificate the issuer made: now it must be allowed to speak for the issuer.
            if (!hasOcspSigning(responder)) {
                throw new OcspVerificationException(OcspVerificationException.Problem.SIGNATURE, "delegated responder " + responder.getSubjectX500Principal()
                        + " lacks the OCSPSigning extended key usage");
            }
            Date at = Date.from(now);
            if (at.before(responder.getNotBefore()) || at.after(responder.getNotAfter())) {
                throw new OcspVerificationException(OcspVerificationException.Problem.SIGNATURE, "delegated responder certificate "
                        + responder.getSubjectX500Principal() + " is not valid now");
            }
            return;
        }
        throw new OcspVerificationException(OcspVerificationException.Problem.SIGNATURE, why);
    }

    private static boolean hasOcspSigning(X509Certificate c) {
        try {
            List<String> eku = c.getExtendedKeyUsage();
            return eku != null && eku.contains(KeyPurposeId.id_kp_OCSPSigning.getId());
        } catch (CertificateException e) {
            return false;
        }
    }

    private static boolean issuedBy(X509Certificate c, PublicKey issuerKey) {
        try {
            c.verify(issuerKey);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private static boolean signedBy(BasicOCSPResp basic, PublicKey key) {
        try {
            ContentVerifierProvider p = new JcaContentVerifierProviderBuilder().build(key);
            return basic.isSignatureValid(p);
        } catch (OperatorCreationException | OCSPException | RuntimeException e) {
            return false;
        }
    }
}
