package io.stapled.admin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.stapled.ocsp.StapleSlots;
import io.stapled.tls.CertificatePair;
import io.stapled.tls.CertificateSnapshot;
import io.stapled.tls.LoadedCertificate;
import io.stapled.tls.ServingCertificate;
import io.stapled.tls.TlsFrontend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link CertificateAdmin} over the frontends' {@link io.stapled.tls.CertificateStore}s. A certificate
 * file may serve several frontends: {@link #replace} prepares a context for each (with that frontend's
 * TLS settings), then swaps each frontend's snapshot for one where the new certificate takes the old
 * one's place; handshakes from then on get the new one, open connections keep theirs, and the old
 * context is released by the frontend (the connections still using it hold their own reference).
 *
 * <p>Called from the runtime API's single worker thread only.
 */
public final class TlsCertificateAdmin implements CertificateAdmin {
    private static final Logger log = LoggerFactory.getLogger(TlsCertificateAdmin.class);

    /** Told when a served certificate has been replaced. */
    @FunctionalInterface
    public interface SwapListener {
        /** {@code next} has taken {@code old}'s place in {@code frontend}. */
        void swapped(TlsFrontend frontend, LoadedCertificate old, LoadedCertificate next);
    }

    private final List<TlsFrontend> frontends;
    private final StapleSlots slots;
    private final SwapListener listener;
    private final Map<String, CertificateMaterial> unused = new LinkedHashMap<>();

    /** Replaced certificates get slots no engine fills. */
    public TlsCertificateAdmin(List<TlsFrontend> frontends, SwapListener listener) {
        this(frontends, StapleSlots.UNMANAGED, listener);
    }

    /** @param slots the OCSP engine, which hands each new certificate its managed slot */
    public TlsCertificateAdmin(List<TlsFrontend> frontends, StapleSlots slots, SwapListener listener) {
        this.frontends = List.copyOf(frontends);
        this.slots = slots;
        this.listener = listener == null ? (f, o, n) -> { } : listener;
    }

    @Override
    public List<StoredCertificate> certificates() {
        Map<String, StoredCertificate> out = new LinkedHashMap<>();
        for (TlsFrontend f : frontends) {
            for (ServingCertificate s : f.store().current().certificates()) {
                LoadedCertificate c = s.certificate();
                out.putIfAbsent(c.source().toString(), new StoredCertificate(c.source().toString(),
                        new CertificateMaterial(c.chain(), c.privateKey(), c.issuer(), null), true));
            }
        }
        unused.forEach((file, m) -> out.putIfAbsent(file, new StoredCertificate(file, m, false)));
        return List.copyOf(out.values());
    }

    @Override
    public int replace(String file, CertificateMaterial material) throws CertificateUpdateException {
        if (material.leaf() == null || material.key() == null) {
            throw new CertificateUpdateException(file + ": a certificate and its private key are needed");
        }
        if (unused.containsKey(file)) {
            unused.put(file, material);
            return 0;
        }
        // Prepare every context first: if one fails nothing has been swapped.
        List<Swap> swaps = new ArrayList<>();
        try {
            for (TlsFrontend f : frontends) {
                for (ServingCertificate old : f.store().current().certificates()) {
                    if (old.certificate().source().toString().equals(file)) {
                        LoadedCertificate next = old.certificate().replacedBy(material.chain(), material.key(), material.issuer());
                        swaps.add(new Swap(f, old, f.prepare(next)));
                    }
                }
            }
        } catch (RuntimeException e) {
            for (Swap s : swaps) {
                s.frontend.retire(s.next);
            }
            throw new CertificateUpdateException(file + ": " + e.getMessage(), e);
        }
        if (swaps.isEmpty()) {
            throw new CertificateUpdateException(file + " is not served by any frontend");
        }
        for (Swap s : swaps) {
            // Bound to its managed staple only now that nothing can fail: a failed prepare leaves the
            // OCSP engine on the old certificate. Every frontend gets the same slot.
            ServingCertificate next = new ServingCertificate(s.next.certificate().stapledBy(slots), s.next.sslContext());
            CertificateSnapshot current = s.frontend.store().current();
            s.frontend.store().replace(rebuild(current, s.old, next));
            listener.swapped(s.frontend, s.old.certificate(), next.certificate());
            s.frontend.retire(s.old);
            log.info("frontend {}: certificate {} replaced (serial {} -> {})", s.frontend.name(), file,
                    s.old.certificate().leaf().getSerialNumber().toString(16),
                    next.certificate().leaf().getSerialNumber().toString(16));
        }
        return swaps.size();
    }

    private record Swap(TlsFrontend frontend, ServingCertificate old, ServingCertificate next) { }

    /** The snapshot with {@code next} in {@code old}'s place, the default kept (or moved to {@code next}). */
    private static CertificateSnapshot rebuild(CertificateSnapshot current, ServingCertificate old,
                                               ServingCertificate next) {
        CertificateSnapshot.Builder b = CertificateSnapshot.builder();
        ServingCertificate def = defaultOf(current);
        for (ServingCertificate s : current.certificates()) {
            b.add(s == old ? next : s);
        }
        b.defaultCertificate(def == old ? next : def);
        return b.build();
    }

    private static ServingCertificate defaultOf(CertificateSnapshot snapshot) {
        CertificatePair p = snapshot.defaultPair();
        if (p.ecdsa() == null || p.rsa() == null) {
            return p.ecdsa() != null ? p.ecdsa() : p.rsa();
        }
        for (ServingCertificate s : snapshot.certificates()) {
            if (s == p.ecdsa() || s == p.rsa()) {
                return s;
            }
        }
        return p.ecdsa();
    }

    @Override
    public void add(String file, CertificateMaterial material) throws CertificateUpdateException {
        for (StoredCertificate c : certificates()) {
            if (c.file().equals(file)) {
                throw new CertificateUpdateException("Certificate '" + file + "' already exists");
            }
        }
        unused.put(file, Objects.requireNonNull(material));
    }

    @Override
    public void remove(String file) throws CertificateUpdateException {
        if (unused.remove(file) == null) {
            throw new CertificateUpdateException("certificate '" + file + "' is not an unused certificate");
        }
    }
}
