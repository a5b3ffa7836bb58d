package io.stapled.tls;

import static io.stapled.text.OneLine.oneLine;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import io.stapled.ocsp.RegularFiles;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * The certificates and private keys found in one PEM text (a file, or a runtime API payload), in order.
 * Reads every block type HAProxy accepts in a {@code crt} file: certificates, PKCS#8 keys, PKCS#1 RSA keys
 * and SEC1 EC keys; {@code EC PARAMETERS} blocks are skipped. Encrypted keys are refused (there is no
 * passphrase to ask).
 *
 * @param source what the text was read from, as error messages name it
 */
public record PemContent(String source, List<X509Certificate> certificates, List<PrivateKey> keys) {
    /** A certificate with its chain and key is a few KiB; a file this large is not one. */
    static final int MAX_FILE_BYTES = 1 << 20;

    public PemContent {
        certificates = List.copyOf(certificates);
        keys = List.copyOf(keys);
    }

    public int keyCount() {
        return keys.size();
    }

    /** The file's private key, or null when it holds none. */
    public PrivateKey key() {
        return keys.isEmpty() ? null : keys.get(0);
    }

    static PemContent read(Path file) {
        return parse(readText(file), file.toString(), file.getFileName().toString());
    }

    /**
     * Reads PEM text that did not come from a file.
     *
     * @param name what error messages call the text, e.g. {@code "payload"}
     * @throws TlsSetupException with a one-line message starting with {@code name} when a block is
     *         unreadable, encrypted or of an unexpected type
     */
    public static PemContent parse(String pem, String name) {
        return parse(pem, name, name);
    }

    private static PemContent parse(String text, String name, String decryptHint) {
        List<X509Certificate> certs = new ArrayList<>();
        List<PrivateKey> keys = new ArrayList<>();
        JcaX509CertificateConverter certConverter = new JcaX509CertificateConverter();
        JcaPEMKeyConverter keyConverter = new JcaPEMKeyConverter();
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            Object o;
            while ((o = parser.readObject()) != null) {
                if (o instanceof X509CertificateHolder holder) {
                    certs.add(certConverter.getCertificate(holder));
                } else if (o instanceof PEMKeyPair pair) {
                    keys.add(keyConverter.getPrivateKey(pair.getPrivateKeyInfo()));
                } else if (o instanceof PrivateKeyInfo info) {
                    keys.add(keyConverter.getPrivateKey(info));
                } else if (o instanceof PKCS8EncryptedPrivateKeyInfo || o instanceof PEMEncryptedKeyPair) {
                    throw new TlsSetupException(name + ": the private key is encrypted; stapled needs an "
                            + "unencrypted key (decrypt it with `openssl pkey -in " + decryptHint + "`)");
                } else if (!(o instanceof ASN1ObjectIdentifier)) {
                    throw new TlsSetupException(name + ": unexpected PEM block "
                            + o.getClass().getSimpleName() + " (expected certificates and a private key)");
                }
            }
        } catch (TlsSetupException e) {
            throw e;
        } catch (IOException | CertificateException | RuntimeException e) {
            throw new TlsSetupException(name + ": not a valid PEM file: " + oneLine(e), e);
        }
        return new PemContent(name, certs, keys);
    }

    private static String readText(Path file) {
        try {
            return new String(RegularFiles.read(file, MAX_FILE_BYTES), StandardCharsets.ISO_8859_1);
        } catch (RegularFiles.NotRegularException | RegularFiles.TooLargeException e) {
            throw new TlsSetupException(file + ": " + e.getMessage(), e);
        } catch (NoSuchFileException e) {
            throw new TlsSetupException(file + ": no such file", e);
        } catch (AccessDeniedException e) {
            throw new TlsSetupException(file + ": cannot read file: permission denied", e);
        } catch (IOException e) {
            throw new TlsSetupException(file + ": cannot read file: " + oneLine(e), e);
        }
    }
}
