package io.stapled.ocsp;

/**
 * Where the TLS side gets the {@link StapleSlot} it serves a certificate's staple from. The OCSP engine
 * ({@link OcspManager#slotFor}) hands out the slot of the certificate it manages; {@link #UNMANAGED} is
 * for tools and tests that manage no staples (or set them by hand).
 */
@FunctionalInterface
public interface StapleSlots {
    /** Each call a new, empty slot that no engine fills. */
    StapleSlots UNMANAGED = subject -> new StapleSlot();

    StapleSlot slotFor(OcspSubject subject);

    /**
     * The TLS side no longer serves {@code subject}'s certificate anywhere (a runtime {@code del ssl
     * crt-list}): an engine stops managing it, so it is no longer fetched; its slot keeps serving the
     * handshakes already under way. A later {@link #slotFor} manages it again.
     */
    default void released(OcspSubject subject) { }
}
