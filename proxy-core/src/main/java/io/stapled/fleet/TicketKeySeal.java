package io.stapled.fleet;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import io.stapled.config.ConfigOrigin;
import io.stapled.ocsp.RegularFiles;

/**
 * Seals a fleet's session-ticket key set for the store with AES-256-GCM under the fleet key, so that
 * whoever reads Redis cannot decrypt the fleet's tickets. The sealed form is
 * {@code nonce(12) || ciphertext+tag}, with the store key's name as associated data (a set copied
 * under another frontend's key does not open).
 */
final class TicketKeySeal {
    static final int KEY_BYTES = 32;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();

    private TicketKeySeal(byte[] key) {
        this.key = new SecretKeySpec(key, "AES");
    }

    /** Reads the fleet key file: 32 bytes in base64 ({@code openssl rand -base64 32}). */
    static TicketKeySeal fromFile(Path file, ConfigOrigin origin) {
        byte[] raw;
        try {
            raw = RegularFiles.read(file, 1024);
        } catch (IOException e) {
            throw origin.error("cannot read the fleet key " + file + ": " + e.getMessage());
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(new String(raw, StandardCharsets.US_ASCII).strip());
        } catch (IllegalArgumentException e) {
            throw origin.error(file + " is not base64 (make one with: openssl rand -base64 32 > " + file.getFileName() + ")");
        }
        if (key.length != KEY_BYTES) {
            throw origin.error(file + " holds " + key.length + " bytes, a fleet key is " + KEY_BYTES
                    + " (openssl rand -base64 32)");
        }
        return new TicketKeySeal(key);
    }

    byte[] seal(byte[] plain, byte[] associated) {
        try {
            byte[] nonce = new byte[NONCE_BYTES];
            random.nextBytes(nonce);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(associated);
            byte[] sealed = c.doFinal(plain);
            return ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        }
    }

    /** The plain text, or null when it was not sealed under this fleet key for {@code associated}. */
    byte[] open(byte[] sealed, byte[] associated) {
        if (sealed.length < NONCE_BYTES + TAG_BITS / 8) {
            return null;
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE_BYTES));
            c.updateAAD(associated);
            return c.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
        } catch (GeneralSecurityException e) {
            return null;
        }
    }
}
