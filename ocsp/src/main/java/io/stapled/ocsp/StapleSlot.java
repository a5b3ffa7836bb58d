package io.stapled.ocsp;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The current staple of one certificate: one volatile reference that the handshake path reads
 * without a lock, and that the OCSP engine replaces with a new immutable {@link Staple}.
 */
public final class StapleSlot {
    private volatile Staple staple;
    private final List<Consumer<Staple>> listeners = new CopyOnWriteArrayList<>();

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

    /** Replaces the staple (null drops it) and tells the listeners. */
    public void set(Staple next) {
        staple = next;
        for (Consumer<Staple> l : listeners) {
            l.accept(next);
        }
    }

    public void addListener(Consumer<Staple> listener) {
        listeners.add(listener);
    }
}
