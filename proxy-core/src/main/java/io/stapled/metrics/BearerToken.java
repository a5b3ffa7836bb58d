package io.stapled.metrics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

import io.stapled.config.ConfigOrigin;
import io.stapled.ocsp.RegularFiles;

/**
 * The admin listener's bearer token, read once at start-up. Only its SHA-256 digest is kept, and a
 * request's token is compared digest to digest with {@link MessageDigest#isEqual}: the time taken
 * says nothing about the token, not even its length.
 */
final class BearerToken {
    private static final int MAX_FILE_BYTES = 4096;
    private static final String SCHEME = "Bearer ";

    private final byte[] digest;

    private BearerToken(byte[] digest) {
        this.digest = digest;
    }

    /**
     * Reads the token (surrounding white space trimmed, as Kubernetes secrets often end in a newline).
     *
     * @throws io.stapled.config.ConfigException at {@code origin} when the file cannot be read or is empty
     */
    static BearerToken read(Path file, ConfigOrigin origin) {
        String token;
        try {
            token = new String(RegularFiles.read(file, MAX_FILE_BYTES), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw origin.error("cannot read the bearer token from " + file + ": " + e.getMessage());
        }
        if (token.isEmpty()) {
            throw origin.error("the bearer token file " + file + " is empty");
        }
        return new BearerToken(sha256(token));
    }

    /** Whether an {@code Authorization} header value carries this token (the scheme is case-insensitive). */
    boolean accepts(String authorization) {
        if (authorization == null || authorization.length() <= SCHEME.length()
                || !authorization.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            return false;
        }
        return MessageDigest.isEqual(digest, sha256(authorization.substring(SCHEME.length()).strip()));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
