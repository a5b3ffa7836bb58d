package io.stapled.admin;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import io.stapled.ocsp.AcceptOutcome;
import io.stapled.ocsp.ManagedCertificate;
import io.stapled.ocsp.OcspManager;
import io.stapled.ocsp.RefreshOutcome;
import io.stapled.ocsp.Staple;

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
        int status = mc.lastResult().code();
        // ocsp-update off: nothing is planned, so HAProxy's "show ssl ocsp-updates" leaves it out
        Instant next = mc.subject().autoUpdate() ? mc.nextRefresh() : null;
        return new OcspEntry(mc.id(), path, mc.certIdHex(), mc.issuerNameHashHex(), mc.issuerKeyHashHex(),
                mc.serialHex(), mc.responder(), mc.mustStaple(), mc.staple(), next, mc.lastUpdate(),
                mc.successes(), mc.failures(), status, mc.lastError());
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
