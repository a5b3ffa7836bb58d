package io.stapled.admin;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.stapled.config.CertificateSource;
import io.stapled.ocsp.StapleSlots;
import io.stapled.tls.CertificateAssembly;
import io.stapled.tls.CertificateLayout;
import io.stapled.tls.CrtListEntry;
import io.stapled.tls.CrtListParser;
import io.stapled.tls.LoadedCertificate;
import io.stapled.tls.ServingCertificate;
import io.stapled.tls.TlsFrontend;
import io.stapled.tls.TlsOverrides;
import io.stapled.tls.TlsSetupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link CertificateAdmin} over the frontends' certificates. A certificate file may serve several
 * frontends: {@link #replace} assembles the new certificate for each from the transaction's PEM
 * ({@link LoadedCertificate#replacedBy}, the same rules as a file at start-up) and prepares its
 * context (with that frontend's TLS settings); if all succeed, the OCSP engine follows the new
 * certificates and the caller installs their staple, and only then does each frontend swap it in
 * ({@link TlsFrontend#replace}): handshakes from then on get the new one, stapled, open connections
 * keep theirs, and the old context is released by the frontend (the connections still using it hold
 * their own reference).
 *
 * <p>Called from the runtime API's single worker thread only.
 */
public final class TlsCertificateAdmin implements CertificateAdmin {
    private static final Logger log = LoggerFactory.getLogger(TlsCertificateAdmin.class);

    /** Told when a served certificate is about to be replaced, so the OCSP engine can follow it. */
    @FunctionalInterface
    public interface SwapListener {
        /**
         * {@code next} is about to take {@code old}'s place in {@code frontend}: nothing can fail any more,
         * and no handshake has got {@code next} yet. Its staple slot is the OCSP engine's for the new leaf.
         */
        void swapping(TlsFrontend frontend, LoadedCertificate old, LoadedCertificate next);
    }

    /**
     * A crt-list and the frontends that serve it.
     *
     * @param source    the list as configured (its file, its OCSP options)
     * @param frontends every frontend whose certificates include it
     */
    public record CrtListUse(CertificateSource.CrtList source, List<TlsFrontend> frontends) {
        public CrtListUse {
            frontends = List.copyOf(frontends);
        }
    }

    /** A crt-list's lines as served now; worker-confined. */
    private record ListState(CrtListUse use, List<CrtListEntry> lines, int[] lastLine) { }

    private final List<TlsFrontend> frontends;
    private final StapleSlots slots;
    private final SwapListener listener;
    private final Map<String, CertificateMaterial> unused = new LinkedHashMap<>();
    private final Map<String, ListState> lists = new LinkedHashMap<>();
    private final Map<String, String> binds;

    /** Replaced certificates get slots no engine fills. */
    public TlsCertificateAdmin(List<TlsFrontend> frontends, SwapListener listener) {
        this(frontends, StapleSlots.UNMANAGED, listener);
    }

    /** @param slots the OCSP engine, which hands each new certificate its managed slot */
    public TlsCertificateAdmin(List<TlsFrontend> frontends, StapleSlots slots, SwapListener listener) {
        this(frontends, slots, listener, List.of(), Map.of());
    }

    /**
     * @param crtLists the crt-lists served, whose lines {@code add/del ssl crt-list} change; each is read
     *                 again here for its lines (they were read moments ago to load the certificates)
     * @param binds    each frontend's listening address by frontend name, for {@code show ssl sni}
     */
    public TlsCertificateAdmin(List<TlsFrontend> frontends, StapleSlots slots, SwapListener listener,
                               List<CrtListUse> crtLists, Map<String, String> binds) {
        this.frontends = List.copyOf(frontends);
        this.slots = slots;
        this.listener = listener == null ? (f, o, n) -> { } : listener;
        this.binds = Map.copyOf(binds);
        for (CrtListUse use : crtLists) {
            String name = use.source().file().toString();
            List<CrtListEntry> lines;
            try {
                lines = CrtListParser.parse(use.source().file(), use.source().crtBase());
            } catch (TlsSetupException e) {
                log.warn("runtime API: crt-list {} cannot be read again, shown without lines: {}", name, e.getMessage());
                lines = List.of();
            }
            int last = lines.stream().mapToInt(CrtListEntry::line).max().orElse(0);
            lists.merge(name, new ListState(use, new ArrayList<>(lines), new int[] {last}), (a, b) -> {
                List<TlsFrontend> both = new ArrayList<>(a.use().frontends());
                both.addAll(b.use().frontends());
                return new ListState(new CrtListUse(a.use().source(), both), a.lines(), a.lastLine());
            });
        }
    }

    @Override
    public List<CrtList> crtLists() {
        List<CrtList> out = new ArrayList<>();
        lists.forEach((name, st) -> out.add(new CrtList(name, st.lines(),
                st.use().frontends().stream().map(TlsFrontend::name).toList(), st.lastLine()[0],
                st.use().source().crtBase())));
        return out;
    }

    @Override
    public List<ServedFrontend> served() {
        List<ServedFrontend> out = new ArrayList<>();
        for (TlsFrontend f : frontends) {
            var snapshot = f.store().current();
            out.add(new ServedFrontend(f.name(), binds.getOrDefault(f.name(), ""),
                    snapshot.certificates().stream().map(ServingCertificate::certificate).toList(),
                    snapshot.defaultCertificate().certificate(), snapshot.strictSni()));
        }
        return out;
    }

    @Override
    public void addCrtListLine(String list, CrtListEntry line, Runnable beforeServe)
            throws CertificateUpdateException {
        ListState st = lists.get(list);
        if (st == null) {
            throw new CertificateUpdateException("crt-list '" + list + "' does not exist");
        }
        String file = line.crt().toString();
        CertificateMaterial m = null;
        for (StoredCertificate c : certificates()) {
            if (c.file().equals(file)) {
                m = c.material();
            }
        }
        if (m == null || m.leaf() == null || m.key() == null) {
            throw new CertificateUpdateException("certificate '" + file + "' is empty");
        }
        CertificateAssembly.Placement placement = new CertificateAssembly.Placement(line.crt(), line.sni(),
                line.excluded(), line.ocspUnder(st.use().source().ocsp()), line.alpn(), line.tls(), layout());
        List<TlsFrontend> targets = st.use().frontends();
        List<ServingCertificate> prepared = new ArrayList<>();
        List<ServingCertificate> bound = new ArrayList<>();
        try {
            for (TlsFrontend f : targets) {
                prepared.add(f.prepare(CertificateAssembly.assemble(placement, m.chain(), m.key(),
                        CertificateAssembly.IssuerPart.of(file + ".issuer", m.issuer()))));
            }
            // managed by the OCSP engine (fetched at once when it has no staple) only once nothing else can fail
            for (ServingCertificate p : prepared) {
                bound.add(p.with(p.certificate().stapledBy(slots)));
            }
        } catch (RuntimeException e) {
            for (int i = 0; i < prepared.size(); i++) {
                targets.get(i).retire(prepared.get(i));
            }
            throw refused(file, e);
        }
        unused.remove(file);
        beforeServe.run();
        for (int i = 0; i < targets.size(); i++) {
            targets.get(i).add(bound.get(i));
        }
        st.lines().add(line);
        st.lastLine()[0] = Math.max(st.lastLine()[0], line.line());
        log.info("runtime API: certificate {} added to crt-list {} at line {} (frontends {})", file, list,
                line.line(), targets.stream().map(TlsFrontend::name).toList());
    }

    @Override
    public void removeCrtListLine(String list, CrtListEntry line) throws CertificateUpdateException {
        ListState st = lists.get(list);
        if (st == null || !st.lines().contains(line)) {
            throw new CertificateUpdateException("crt-list '" + list + "' has no such line");
        }
        List<TlsFrontend> targets = new ArrayList<>();
        List<ServingCertificate> gone = new ArrayList<>();
        for (TlsFrontend f : st.use().frontends()) {
            var snapshot = f.store().current();
            for (ServingCertificate s : snapshot.certificates()) {
                if (line.servedBy(s.certificate())) {
                    if (s == snapshot.defaultCertificate() && !snapshot.strictSni()) {
                        throw new CertificateUpdateException("certificate '" + line.crt()
                                + "' is the default certificate of frontend " + f.name());
                    }
                    if (snapshot.certificates().size() == 1) {
                        throw new CertificateUpdateException("certificate '" + line.crt()
                                + "' is the last certificate of frontend " + f.name());
                    }
                    targets.add(f);
                    gone.add(s);
                    break;
                }
            }
        }
        for (int i = 0; i < targets.size(); i++) {
            targets.get(i).remove(gone.get(i));
        }
        st.lines().remove(line);
        String file = line.crt().toString();
        boolean stillServed = false;
        for (TlsFrontend f : frontends) {
            for (ServingCertificate s : f.store().current().certificates()) {
                stillServed |= s.certificate().source().toString().equals(file);
            }
        }
        if (!stillServed && !gone.isEmpty()) {
            LoadedCertificate c = gone.get(0).certificate();
            unused.put(file, new CertificateMaterial(c.chain(), c.privateKey(), c.issuer(), null));
            slots.released(c.ocspSubject()); // an unused certificate is not fetched for

        }
        log.info("runtime API: line {} ({}) removed from crt-list {} (frontends {})", line.line(), file, list,
                targets.stream().map(TlsFrontend::name).toList());
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

    /** The layout of the certificates served (one, the process's): where their siblings are. */
    private CertificateLayout layout() {
        for (TlsFrontend f : frontends) {
            for (ServingCertificate s : f.store().current().certificates()) {
                return s.certificate().layout();
            }
        }
        return CertificateLayout.DEFAULT;
    }

    @Override
    public boolean deletesCrtExtension() {
        return layout().deleteExtension();
    }

    @Override
    public int replace(String file, CertificateMaterial material, Runnable beforeSwap)
            throws CertificateUpdateException {
        if (material.leaf() == null || material.key() == null) {
            throw new CertificateUpdateException(file + ": a certificate and its private key are needed");
        }
        if (unused.containsKey(file)) {
            // nothing is swapped and the OCSP engine does not manage it: its .ocsp part is kept with it
            // and installed when a crt-list line serves it (addCrtListLine)
            unused.put(file, checked(file, material));
            return 0;
        }
        // Prepare every context first: if one fails nothing has been swapped.
        List<Swap> swaps = new ArrayList<>();
        try {
            for (TlsFrontend f : frontends) {
                for (ServingCertificate old : f.store().current().certificates()) {
                    if (old.certificate().source().toString().equals(file)) {
                        LoadedCertificate next = old.certificate().replacedBy(material.chain(), material.key(),
                                material.issuer());
                        swaps.add(new Swap(f, old, f.prepare(next)));
                    }
                }
            }
        } catch (RuntimeException e) {
            for (Swap s : swaps) {
                s.frontend.retire(s.next);
            }
            throw refused(file, e);
        }
        if (swaps.isEmpty()) {
            throw new CertificateUpdateException(file + " is not served by any frontend");
        }
        // Bound to its managed staple only now that nothing can fail: a failed prepare leaves the OCSP
        // engine on the old certificate. Every frontend gets the same slot. Then the staple, then the
        // swap: the new certificate is never served without it.
        List<Swap> bound = new ArrayList<>(swaps.size());
        for (Swap s : swaps) {
            ServingCertificate next = s.next.with(s.next.certificate().stapledBy(slots));
            bound.add(new Swap(s.frontend, s.old, next));
            listener.swapping(s.frontend, s.old.certificate(), next.certificate());
        }
        beforeSwap.run();
        for (Swap s : bound) {
            s.frontend.replace(s.old, s.next);
            log.info("frontend {}: certificate {} replaced (serial {} -> {})", s.frontend.name(), file,
                    s.old.certificate().leaf().getSerialNumber().toString(16),
                    s.next.certificate().leaf().getSerialNumber().toString(16));
        }
        return swaps.size();
    }

    private record Swap(TlsFrontend frontend, ServingCertificate old, ServingCertificate next) { }

    /** The material of an unused file, checked as a served one is and with its chain in order. */
    private CertificateMaterial checked(String file, CertificateMaterial material)
            throws CertificateUpdateException {
        CertificateLayout layout = layout();
        try {
            LoadedCertificate c = CertificateAssembly.assemble(new CertificateAssembly.Placement(Path.of(file),
                    List.of(), List.of(), CertificateSource.OcspOptions.DEFAULT, List.of(), TlsOverrides.NONE, layout),
                    material.chain(),
                    material.key(), CertificateAssembly.IssuerPart.of(layout.siblingName(file, ".issuer"),
                            material.issuer()));
            return new CertificateMaterial(c.chain(), c.privateKey(), material.issuer(), material.ocsp());
        } catch (RuntimeException e) {
            throw refused(file, e);
        }
    }

    private static CertificateUpdateException refused(String file, RuntimeException e) {
        if (e instanceof CertificateAssembly.KeyMismatchException) {
            return CertificateUpdateException.keyMismatch(file, e);
        }
        // TLS set-up errors already name the file
        return new CertificateUpdateException(e instanceof TlsSetupException ? e.getMessage()
                : file + ": " + e.getMessage(), e);
    }

    @Override
    public void add(String file, CertificateMaterial material) throws CertificateUpdateException {
        for (StoredCertificate c : certificates()) {
            if (c.file().equals(file)) {
                throw new CertificateUpdateException("Certificate '" + file + "' already exists");
            }
        }
        Objects.requireNonNull(material);
        // An entry filled without its key yet is kept as it is; it is checked once it has one.
        unused.put(file, material.key() == null || material.leaf() == null ? material : checked(file, material));
    }

    @Override
    public void remove(String file) throws CertificateUpdateException {
        if (unused.remove(file) == null) {
            throw new CertificateUpdateException("certificate '" + file + "' is not an unused certificate");
        }
    }
}
