package io.stapled.admin;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import io.stapled.ocsp.AcceptOutcome;
import io.stapled.ocsp.ManagedCertificate;
import io.stapled.ocsp.OcspManager;
import io.stapled.ocsp.RefreshOutcome;
import io.stapled.ocsp.OcspSubject;
import io.stapled.ocsp.Staple;
import io.stapled.ocsp.StapleSlot;
import io.stapled.tls.LoadedCertificate;

/** {@link OcspAdmin} over the real {@link OcspManager}. */
public final class OcspManagerAdmin implements OcspAdmin {
    /** HAProxy's reply when a pushed response names no loaded certificate. */
    static final String NO_MATCH = "OCSP single response: Certificate ID does not match any certificate or issuer";

    private final OcspManager manager;

    public OcspManagerAdmin(OcspManager manager) {
        this.manager = Objects.requireNonNull(manager, "manager");
    }

    @Override
    public List<OcspEntry> entries() {
        List<OcspEntry> out = new ArrayList<>();
        for (ManagedCertificate mc : manager.certificates()) {
            out.add(entry(mc));
        }
        out.sort(java.util.Comparator.comparing(OcspEntry::path));
        return out;
    }

    static OcspEntry entry(ManagedCertificate mc) {
        String path = mc.subject().certFile() != null ? mc.subject().certFile().toString() : mc.id();
        int status = switch (mc.lastResult()) {
            case OK -> 1;
            case HTTP_ERROR -> 2;
            case CHECK_FAILURE -> 4;
            case INSERT_ERROR -> 5;
            default -> 0;
        };
        return new OcspEntry(mc.id(), path, mc.certIdHex(), mc.issuerNameHashHex(), mc.issuerKeyHashHex(),
                mc.serialHex(), mc.responder(), mc.mustStaple(), mc.staple(), mc.nextRefresh(), mc.lastUpdate(),
                mc.successes(), mc.failures(), status, mc.lastError());
    }

    /**
     * A {@link TlsCertificateAdmin.SwapListener} that keeps the OCSP engine on the served certificate:
     * when {@code commit ssl cert} is about to replace a certificate, the old one is unmanaged and the
     * new one managed under the same id with the new certificate's staple slot (it fetches at once if it
     * has a responder), so that the transaction's {@code .ocsp} can be installed before the swap. A file
     * served by several frontends is managed once; the other frontends' slots follow that one.
     *
     * @param idOf the OCSP id the assembly gave a certificate (e.g. its file path)
     */
    public TlsCertificateAdmin.SwapListener swapFollower(java.util.function.Function<LoadedCertificate, String> idOf) {
        return (frontend, old, next) -> {
            String id = idOf.apply(old);
            ManagedCertificate current = manager.certificate(id);
            if (current != null && current.subject().leaf().equals(next.leaf())) {
                StapleSlot shared = current.slot();
                if (shared != next.stapleSlot()) {
                    next.stapleSlot().set(shared.current());
                    shared.addListener(next.stapleSlot()::set);
                }
                return;
            }
            OcspSubject before = current == null ? null : current.subject();
            if (current != null) {
                manager.unmanage(id);
            }
            boolean enabled = before != null ? before.enabled() : next.ocsp() == null || next.ocsp().enabled();
            java.net.URI override = before != null ? before.responderOverride()
                    : next.ocsp() == null ? null : next.ocsp().responder();
            manager.manage(new OcspSubject(id, next.leaf(), next.issuer(), next.source(), override, enabled,
                    next.stapleSlot()));
        };
    }

    @Override
    public PushOutcome push(byte[] der) {
        AcceptOutcome out = manager.accept(der, Staple.Origin.RUNTIME_API);
        if (out.accepted()) {
            return PushOutcome.accepted(out.certificateId());
        }
        if (out.certificateId() == null && out.detail() != null && out.detail().startsWith("response matches no")) {
            return PushOutcome.refused(NO_MATCH);
        }
        String detail = out.detail() == null ? out.result().name() : out.detail();
        if (out.certificateId() == null) {
            return PushOutcome.refused(detail);
        }
        String kind = out.result() == RefreshOutcome.Result.REFUSED ? ""
                : " (" + out.result().name().toLowerCase(java.util.Locale.ROOT) + ")";
        return new PushOutcome(false, out.certificateId(),
                "OCSP response for " + out.certificateId() + " refused" + kind + ": " + detail);
    }

    @Override
    public CompletionStage<RefreshReport> refresh(String id) {
        CompletableFuture<RefreshOutcome> f;
        try {
            f = manager.refreshNow(id);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(new RefreshReport(false, e.getMessage()));
        }
        return f.handle((out, err) -> {
            if (err != null) {
                Throwable c = err.getCause() != null ? err.getCause() : err;
                return new RefreshReport(false, c.getMessage() == null ? c.toString() : c.getMessage());
            }
            if (out.installed()) {
                return new RefreshReport(true, out.detail());
            }
            return new RefreshReport(false, out.result().name().toLowerCase(java.util.Locale.ROOT)
                    + (out.detail() == null ? "" : ": " + out.detail()));
        });
    }
}
