package io.stapled.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Client certificates asked for by a frontend (or one crt-list line): HAProxy's {@code verify},
 * {@code ca-file} and {@code crl-file}.
 *
 * @param mode              none: not asked for; optional: asked for, a connection without one or with
 *                          one that does not verify proceeds unverified; required: the handshake fails
 *                          without a certificate that verifies
 * @param caFile            PEM file of the CAs a client certificate must chain to; null with mode none
 * @param crlFile           PEM or DER CRLs checked for the client certificate (its issuer must have one
 *                          there), or null for no revocation check; re-read when the file changes
 * @param crlReloadInterval how often the CRL file's modification time is looked at
 * @param ocsp              revocation by the certificate's OCSP responder: off; soft (an answer of
 *                          revoked refuses, no answer yet or an unreachable responder lets in); hard
 *                          (only a good answer lets in)
 */
public record ClientAuthConfig(Mode mode, Path caFile, Path crlFile, Duration crlReloadInterval, OcspMode ocsp) {
    public static final Duration DEFAULT_CRL_RELOAD_INTERVAL = Duration.ofSeconds(10);
    public static final ClientAuthConfig NONE = new ClientAuthConfig(Mode.NONE, null, null,
            DEFAULT_CRL_RELOAD_INTERVAL, OcspMode.OFF);

    public enum Mode { NONE, OPTIONAL, REQUIRED }

    public enum OcspMode { OFF, SOFT, HARD }

    public ClientAuthConfig {
        ocsp = ocsp == null ? OcspMode.OFF : ocsp;
    }

    /** Without OCSP. */
    public ClientAuthConfig(Mode mode, Path caFile, Path crlFile, Duration crlReloadInterval) {
        this(mode, caFile, crlFile, crlReloadInterval, OcspMode.OFF);
    }

    public boolean enabled() {
        return mode != Mode.NONE;
    }
}
