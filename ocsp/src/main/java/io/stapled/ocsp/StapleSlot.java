package io.stapled.ocsp;

/**
 * The current staple of one certificate: one volatile reference that the handshake path reads
 * without a lock, and that the OCSP engine replaces with a new immutable {@link Staple}. Owned by the
 * engine's {@link ManagedCertificate} and handed to the TLS side through {@link StapleSlots}; every
 * frontend serving the same certificate reads the same slot.
 */
public final class StapleSlot {
    private volatile Staple staple;

    /**
     * The bytes to staple now, or null if there is none or it has expired. The expiry check here
     * is the last guard: the scheduler also drops a staple at its nextUpdate.
     */
    public byte[] derIfValid(long nowMillis) {
        Staple s = staple;
        if (s == null || nowMillis >= s.nextUpdate().toEpochMilli()) {
            return null;
        }
        return s.der();
    }

    /** The current staple, or null; may be past its nextUpdate if not yet dropped. */
    public Staple current() {
        return staple;
    }

    /** Replaces the staple (null drops it). */
    public void set(Staple next) {
        staple = next;
    }
}
