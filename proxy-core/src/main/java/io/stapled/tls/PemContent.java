package io.stapled.tls;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECPrivateKeySpec;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import org.bouncycastle.asn1.ASN1Null;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * The certificates and private keys found in one PEM file, in file order. Reads every block type
 * HAProxy accepts in a {@code crt} file: certificates, PKCS#8 keys, PKCS#1 RSA keys and SEC1 EC keys;
 * {@code EC PARAMETERS} blocks are skipped. Encrypted keys are refused (there is no passphrase to ask).
 */
record PemContent(Path file, List<X509Certificate> certificates, List<PrivateKey> keys,
                  List<BigInteger> curvelessEcKeys) {

    PemContent {
        certificates = List.copyOf(certificates);
        keys = List.copyOf(keys);
        curvelessEcKeys = List.copyOf(curvelessEcKeys);
    }

    /** Keys found, counting SEC1 EC keys that name no curve (resolved later against the certificate). */
    int keyCount() {
        return keys.size() + curvelessEcKeys.size();
    }

    /**
     * The key of this file for {@code cert}: a complete key as read, or a curveless SEC1 EC key
     * completed with the curve of the certificate's public key. Null when the file holds no key.
     */
    PrivateKey keyFor(X509Certificate cert) {
        if (!keys.isEmpty()) {
            return keys.get(0);
        }
        if (curvelessEcKeys.isEmpty() || !(cert.getPublicKey() instanceof ECPublicKey pub)) {
            return null;
        }
        try {
            return KeyFactory.getInstance("EC").generatePrivate(
                    new ECPrivateKeySpec(curvelessEcKeys.get(0), pub.getParams()));
        } catch (GeneralSecurityException e) {
            return null;
        }
    }

    static PemContent read(Path file) {
        String text = readText(file);
        List<X509Certificate> certs = new ArrayList<>();
        List<PrivateKey> keys = new ArrayList<>();
        List<BigInteger> curveless = new ArrayList<>();
        JcaX509CertificateConverter certConverter = new JcaX509CertificateConverter();
        JcaPEMKeyConverter keyConverter = new JcaPEMKeyConverter();
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            Object o;
            while ((o = parser.readObject()) != null) {
                if (o instanceof X509CertificateHolder holder) {
                    certs.add(certConverter.getCertificate(holder));
                } else if (o instanceof PEMKeyPair pair) {
                    PrivateKeyInfo info = pair.getPrivateKeyInfo();
                    if (isCurvelessEc(info)) {
                        // SEC1 without the optional curve: some writers (Java-encoded keys) omit it.
                        curveless.add(org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(info.parsePrivateKey()).getKey());
                    } else {
                        keys.add(keyConverter.getPrivateKey(info));
                    }
                } else if (o instanceof PrivateKeyInfo info) {
                    keys.add(keyConverter.getPrivateKey(info));
                } else if (o instanceof PKCS8EncryptedPrivateKeyInfo || o instanceof PEMEncryptedKeyPair) {
                    throw new TlsSetupException(file + ": the private key is encrypted; stapled needs an "
                            + "unencrypted key (decrypt it with `openssl pkey -in " + file.getFileName() + "`)");
                } else if (!(o instanceof ASN1ObjectIdentifier)) {
                    throw new TlsSetupException(file + ": unexpected PEM block "
                            + o.getClass().getSimpleName() + " (expected certificates and a private key)");
                }
            }
        } catch (TlsSetupException e) {
            throw e;
        } catch (IOException | CertificateException | RuntimeException e) {
            throw new TlsSetupException(file + ": not a valid PEM file: " + oneLine(e), e);
        }
        return new PemContent(file, certs, keys, curveless);
    }

    private static boolean isCurvelessEc(PrivateKeyInfo info) {
        AlgorithmIdentifier alg = info.getPrivateKeyAlgorithm();
        return X9ObjectIdentifiers.id_ecPublicKey.equals(alg.getAlgorithm())
                && (alg.getParameters() == null || alg.getParameters() instanceof ASN1Null);
    }

    private static String readText(Path file) {
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw new TlsSetupException(file + ": no such file", e);
        } catch (AccessDeniedException e) {
            throw new TlsSetupException(file + ": cannot read file: permission denied", e);
        } catch (IOException e) {
            throw new TlsSetupException(file + ": cannot read file: " + oneLine(e), e);
        }
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (m == null) {
            m = e.getClass().getSimpleName();
        }
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
