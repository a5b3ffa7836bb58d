package io.stapled.testkit.pki;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x509.X509ObjectIdentifiers;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Issues X.509 certificates with BouncyCastle, for throwaway PKIs: the {@code stapled demo} and the
 * tests. Not a CA for production use: no revocation lists, no policy.
 */
public final class CertificateBuilder {
    /** id-pe-tlsfeature (RFC 7633); value SEQUENCE { INTEGER 5 } means Must-Staple. */
    private static final ASN1ObjectIdentifier TLS_FEATURE = new ASN1ObjectIdentifier("1.3.6.1.5.5.7.1.24");
    private static final AtomicLong SERIALS = new AtomicLong(System.nanoTime() & 0xFFFFFFFFL);

    private final String subject;
    private IssuedCertificate issuer;
    private KeyPair keyPair;
    private boolean ca;
    private final List<String> dnsNames = new ArrayList<>();
    private final List<String> ipAddresses = new ArrayList<>();
    private String ocspUrl;
    private boolean mustStaple;
    private boolean ocspSigning;
    private boolean serverAuth = true;
    private boolean clientAuth;
    private Instant notBefore = Instant.now().minus(Duration.ofHours(1));
    private Instant notAfter = Instant.now().plus(Duration.ofDays(90));
    private BigInteger serial;

    private CertificateBuilder(String subject) {
        this.subject = subject;
    }

    /** A certificate with this distinguished name, e.g. {@code "CN=Test Root"}. */
    public static CertificateBuilder subject(String distinguishedName) {
        return new CertificateBuilder(distinguishedName);
    }

    /** Signed by this certificate's key; without it the certificate is self-signed. */
    public CertificateBuilder issuer(IssuedCertificate issuer) {
        this.issuer = issuer;
        return this;
    }

    /** Defaults to a fresh P-256 key. */
    public CertificateBuilder keyPair(KeyPair keyPair) {
        this.keyPair = keyPair;
        return this;
    }

    public CertificateBuilder ca() {
        this.ca = true;
        return this;
    }

    public CertificateBuilder dnsNames(String... names) {
        dnsNames.addAll(List.of(names));
        return this;
    }

    /** IP address subject alternative names, e.g. {@code 127.0.0.1}. */
    public CertificateBuilder ipAddresses(String... addresses) {
        ipAddresses.addAll(List.of(addresses));
        return this;
    }

    /** Adds an AIA extension pointing at this OCSP responder. */
    public CertificateBuilder ocspUrl(String url) {
        this.ocspUrl = url;
        return this;
    }

    /** Adds the TLS Feature extension asking for status_request (RFC 7633). */
    public CertificateBuilder mustStaple() {
        this.mustStaple = true;
        return this;
    }

    /** Marks a delegated OCSP responder certificate: OCSPSigning EKU, no serverAuth. */
    public CertificateBuilder ocspSigning() {
        this.ocspSigning = true;
        this.serverAuth = false;
        return this;
    }

    /** A TLS client certificate: clientAuth EKU, no serverAuth. */
    public CertificateBuilder clientAuth() {
        this.clientAuth = true;
        this.serverAuth = false;
        return this;
    }

    /** A leaf with neither serverAuth nor OCSPSigning (e.g. a responder that lacks the EKU). */
    public CertificateBuilder noExtendedKeyUsage() {
        this.ocspSigning = false;
        this.serverAuth = false;
        return this;
    }

    public CertificateBuilder validity(Instant notBefore, Instant notAfter) {
        this.notBefore = notBefore;
        this.notAfter = notAfter;
        return this;
    }

    public CertificateBuilder serial(BigInteger serial) {
        this.serial = serial;
        return this;
    }

    public IssuedCertificate build() {
        KeyPair keys = keyPair != null ? keyPair : KeyPairs.ecP256();
        KeyPair signer = issuer != null ? issuer.keyPair() : keys;
        X500Name subjectName = new X500Name(subject);
        X500Name issuerName = issuer != null
                ? new X500Name(issuer.certificate().getSubjectX500Principal().getName())
                : subjectName;
        BigInteger sn = serial != null ? serial
                : BigInteger.valueOf(SERIALS.incrementAndGet()).shiftLeft(32)
                        .or(BigInteger.valueOf(new SecureRandom().nextInt() & 0x7FFFFFFF));
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuerName, sn,
                    Date.from(notBefore), Date.from(notAfter), subjectName, keys.getPublic());
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
            b.addExtension(Extension.authorityKeyIdentifier, false,
                    ext.createAuthorityKeyIdentifier(signer.getPublic()));
            if (ca) {
                b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
                b.addExtension(Extension.keyUsage, true,
                        new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
            } else {
                b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
                boolean rsa = "RSA".equals(keys.getPublic().getAlgorithm());
                int usage = KeyUsage.digitalSignature | (rsa ? KeyUsage.keyEncipherment : 0);
                b.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
                addExtendedKeyUsage(b);
            }
            if (!dnsNames.isEmpty() || !ipAddresses.isEmpty()) {
                GeneralName[] names = java.util.stream.Stream.concat(
                        dnsNames.stream().map(n -> new GeneralName(GeneralName.dNSName, n)),
                        ipAddresses.stream().map(n -> new GeneralName(GeneralName.iPAddress, n)))
                        .toArray(GeneralName[]::new);
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            }
            if (ocspUrl != null) {
                b.addExtension(Extension.authorityInfoAccess, false, new AuthorityInformationAccess(
                        new AccessDescription(X509ObjectIdentifiers.ocspAccessMethod,
                                new GeneralName(GeneralName.uniformResourceIdentifier, ocspUrl))));
            }
            if (mustStaple) {
                ASN1EncodableVector features = new ASN1EncodableVector();
                features.add(new ASN1Integer(5));
                b.addExtension(TLS_FEATURE, false, new DERSequence(features));
            }
            String alg = "RSA".equals(signer.getPrivate().getAlgorithm()) ? "SHA256withRSA" : "SHA256withECDSA";
            X509Certificate cert = new JcaX509CertificateConverter()
                    .getCertificate(b.build(new JcaContentSignerBuilder(alg).build(signer.getPrivate())));
            return new IssuedCertificate(cert, keys, issuer);
        } catch (CertIOException | OperatorCreationException | CertificateException
                 | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot issue " + subject, e);
        }
    }

    private void addExtendedKeyUsage(X509v3CertificateBuilder b) throws CertIOException {
        List<KeyPurposeId> purposes = new ArrayList<>();
        if (serverAuth) {
            purposes.add(KeyPurposeId.id_kp_serverAuth);
        }
        if (ocspSigning) {
            purposes.add(KeyPurposeId.id_kp_OCSPSigning);
        }
        if (clientAuth) {
            purposes.add(KeyPurposeId.id_kp_clientAuth);
        }
        if (!purposes.isEmpty()) {
            b.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(purposes.toArray(KeyPurposeId[]::new)));
        }
    }
}
