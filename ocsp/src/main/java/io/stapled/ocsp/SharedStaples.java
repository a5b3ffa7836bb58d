package io.stapled.ocsp;

import java.time.Duration;

/**
 * A store that a fleet of engines shares its staples through (fleet mode), consulted around each
 * scheduled refresh so that one member fetches a certificate's staple and the others take it from the
 * store. The engine never trusts it: every response read from it goes through {@link OcspVerifier}
 * like a pushed one ({@link OcspManager#acceptShared}), so a forged or foreign staple is refused and the
 * held one kept. {@link #NONE} (no fleet) makes every refresh an own fetch.
 *
 * <p>All methods are called on the engine's fetch threads, never on an event loop, and may block for a
 * store round trip; an implementation that cannot reach its store must answer as if there were no fleet
 * ({@code null}, {@link Lease#FETCH}) rather than throw, so the engine falls back to its own fetches.
 */
public interface SharedStaples {

    /** No fleet: every refresh fetches. */
    SharedStaples NONE = new SharedStaples() { };

    /** What a member does after asking for a certificate's fetch lease. */
    enum Lease {
        /** This member holds the lease (or the store is unreachable): fetch. */
        FETCH,
        /** Another member holds it: do not fetch, its staple will be published. */
        HELD_ELSEWHERE
    }

    /** Called once by {@link OcspManager#start()}, before the first certificate starts. */
    default void start(OcspManager engine) { }

    /** The staple the fleet holds for {@code mc} (DER, unverified), or null when none or unreachable. */
    default byte[] read(ManagedCertificate mc) {
        return null;
    }

    /** Tries to take {@code mc}'s fetch lease. */
    default Lease lease(ManagedCertificate mc) {
        return Lease.FETCH;
    }

    /** How long a member waits before asking again when another holds the lease. */
    default Duration leaseWait() {
        return Duration.ofSeconds(1);
    }

    /** A staple this member fetched was verified and installed: store it, publish it, release the lease. */
    default void fetched(ManagedCertificate mc, Staple staple) { }

    /** This member held {@code mc}'s lease but takes the store's newer staple instead of fetching. */
    default void release(ManagedCertificate mc) { }

    /** A refresh was satisfied from the store: a responder request avoided. */
    default void fetchAvoided(ManagedCertificate mc) { }
}
