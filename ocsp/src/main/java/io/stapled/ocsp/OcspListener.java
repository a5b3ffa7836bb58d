package io.stapled.ocsp;

import java.time.Duration;

/**
 * Told of staple state changes, for metrics and the runtime API. Called on the engine's threads;
 * implementations must be quick and must not block.
 */
public interface OcspListener {
    /** A staple was installed, replaced, or dropped ({@code now} null). */
    default void stapleChanged(ManagedCertificate c, Staple old, Staple now) { }

    /** A fetch failed (HTTP, timeout, verification, revoked, unknown). */
    default void fetchFailed(ManagedCertificate c, String reason) { }

    /** A fetch returned a verified good response. */
    default void fetchSucceeded(ManagedCertificate c, Duration took) { }

    /** A response from a file or the runtime API failed verification; the old staple is kept. */
    default void responseRefused(ManagedCertificate c, Staple.Origin origin, String reason) { }

    /** A verified response said REVOKED or UNKNOWN; never stapled. */
    default void badStatus(ManagedCertificate c, VerifiedResponse response) { }

    /** A staple reached its nextUpdate and was dropped. */
    default void stapleExpired(ManagedCertificate c, Staple expired) { }

    /** A Must-Staple certificate lost ({@code raised}) or regained a valid staple. */
    default void mustStapleAlarm(ManagedCertificate c, boolean raised) { }
}
