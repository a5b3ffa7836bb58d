package io.stapled.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/** Private keys in each PEM flavour HAProxy users have on disk. */
final class PemFiles {
    private static final java.security.Provider BC = new org.bouncycastle.jce.provider.BouncyCastleProvider();
    private PemFiles() { }

    static String pkcs8(PrivateKey key) {
        return write(w -> w.writeObject(new JcaPKCS8Generator(key, null)));
    }

    /** SEC1 "EC PRIVATE KEY" with the named curve, as {@code openssl ecparam -genkey} writes it. */
    static String sec1(PrivateKey key) {
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
        ECPrivateKey inner = ECPrivateKey.getInstance(info.getPrivateKey().getOctets());
        try {
            byte[] der = new ECPrivateKey(256, inner.getKey(), info.getPrivateKeyAlgorithm().getParameters())
                    .getEncoded();
            return write(w -> w.writeObject(new PemObject("EC PRIVATE KEY", der)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** PKCS#1 "RSA PRIVATE KEY" (BouncyCastle's default for RSA keys). */
    static String traditional(PrivateKey key) {
        return write(w -> w.writeObject(key));
    }

    static String encryptedPkcs8(PrivateKey key) {
        return write(w -> {
            try {
                w.writeObject(new JcaPKCS8Generator(key, new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
                        .setProvider(BC).setPassword("secret".toCharArray()).build()));
            } catch (org.bouncycastle.operator.OperatorCreationException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    static String encryptedTraditional(PrivateKey key) {
        return write(w -> w.writeObject(key, new JcePEMEncryptorBuilder("AES-128-CBC").setProvider(BC).build("secret".toCharArray())));
    }

    static Path writeFile(Path file, String... parts) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            return Files.writeString(file, String.join("", parts));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private interface PemWrite {
        void write(JcaPEMWriter w) throws IOException;
    }

    private static String write(PemWrite body) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            body.write(w);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }
}
