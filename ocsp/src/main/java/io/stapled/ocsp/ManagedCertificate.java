package io.stapled.ocsp;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import org.bouncycastle.cert.ocsp.CertificateID;

/**
 * One certificate under OCSP management, as the runtime API, metrics and the TLS side see it: read-only
 * facts, counters and the {@link StapleSlot} the engine owns for it. What the engine changes lives in a
 * {@link CertificateState} only the engine package reaches; everything here is safe to read from any
 * thread.
 */
public final class ManagedCertificate {
    /** Why a certificate is never fetched, or null if it is. */
    public enum NotFetchable { DISABLED, NO_ISSUER, NO_RESPONDER }

    private final OcspSubject subject;
    private final StapleSlot slot = new StapleSlot();
    private final URI responder;
    private final boolean enabled;
    private final boolean mustStaple;
    private final CertIdentity certId;
    private final CertIdentity sha1Id;
    private final CertIdentity sha256Id;
    private final Path ocspFile;
    private final NotFetchable notFetchable;
    private final Clock clock;
    private final CertificateState state;

    ManagedCertificate(OcspSubject subject, OcspSettings settings, Clock clock) {
        this.subject = subject;
        this.clock = clock;
        this.mustStaple = CertificateFacts.mustStaple(subject.leaf());
        this.responder = subject.responder(settings);
        this.enabled = subject.enabledUnder(settings);
        this.notFetchable = subject.notFetchable(settings);
        if (subject.issuer() != null) {
            this.sha1Id = CertIdentity.of(subject.leaf(), subject.issuer(), HashAlgorithm.SHA1);
            this.sha256Id = CertIdentity.of(subject.leaf(), subject.issuer(), HashAlgorithm.SHA256);
            this.certId = settings.hash() == HashAlgorithm.SHA1 ? sha1Id : sha256Id;
        } else {
            this.sha1Id = null;
            this.sha256Id = null;
            this.certId = null;
        }
        this.ocspFile = subject.ocspFile();
        this.state = new CertificateState(ocspFile);
    }

    /** The engine's mutable state of this certificate. */
    CertificateState state() {
        return state;
    }

    public String id() {
        return subject.id();
    }

    public OcspSubject subject() {
        return subject;
    }

    /** Where this certificate's staple is published for the handshake path (see {@link OcspManager#slotFor}). */
    public StapleSlot slot() {
        return slot;
    }

    /** The current staple (possibly past its nextUpdate until the scheduler drops it), or null. */
    public Staple staple() {
        return slot.current();
    }

    /** The responder this certificate is fetched from, or null if it has none. */
    public URI responder() {
        return responder;
    }

    public boolean mustStaple() {
        return mustStaple;
    }

    /** Managed at all: enabled for this certificate and in the settings. */
    public boolean enabled() {
        return enabled;
    }

    /** Null if the engine fetches this certificate, else why it does not. */
    public NotFetchable notFetchable() {
        return notFetchable;
    }

    /** The {@code .ocsp} sibling, or null when the subject has no certificate file. */
    public Path ocspFile() {
        return ocspFile;
    }

    /** The CertID in the configured hash, or null without an issuer. */
    public CertIdentity certIdentity() {
        return certId;
    }

    /** Lowercase hex of the DER CertID, as HAProxy prints the "Certificate ID key"; null without an issuer. */
    public String certIdHex() {
        return certId == null ? null : certId.derHex();
    }

    public String issuerNameHashHex() {
        return certId == null ? null : certId.issuerNameHashHex();
    }

    public String issuerKeyHashHex() {
        return certId == null ? null : certId.issuerKeyHashHex();
    }

    /** The leaf's serial in lowercase hex (DER integer content bytes). */
    public String serialHex() {
        return java.util.HexFormat.of().formatHex(subject.leaf().getSerialNumber().toByteArray());
    }

    public long successes() {
        return state.successes();
    }

    public long failures() {
        return state.failures();
    }

    /** Verified REVOKED or UNKNOWN answers seen (also counted in failures). */
    public long badStatuses() {
        return state.badStatuses();
    }

    public int consecutiveFailures() {
        return state.consecutiveFailures();
    }

    /** When the last fetch (successful or not) finished, or null before the first. */
    public Instant lastUpdate() {
        return state.lastUpdate();
    }

    public UpdateResult lastResult() {
        return state.lastResult();
    }

    public String lastResultText() {
        return state.lastResult().text();
    }

    /** The last failure's one-line reason, or null if the last fetch succeeded. */
    public String lastError() {
        return state.lastError();
    }

    /** When the next fetch is due, or null if none is scheduled (not fetchable, or a fetch is running). */
    public Instant nextRefresh() {
        return state.nextRefresh();
    }

    /**
     * A Must-Staple certificate whose staple is missing, expired, or in the last quarter of its validity
     * (refreshes have been failing). Always false for other certificates.
     */
    public boolean mustStapleAlarm() {
        return mustStaple && enabled && !stapleHealthy(clock.instant());
    }

    boolean stapleHealthy(Instant now) {
        Staple s = staple();
        if (s == null || !s.isValidAt(now)) {
            return false;
        }
        Duration window = Duration.between(s.thisUpdate(), s.nextUpdate());
        return Duration.between(now, s.nextUpdate()).compareTo(window.dividedBy(4)) > 0;
    }

    /** The identity of this certificate in the hash of {@code other}, if it names this certificate. */
    CertIdentity matching(CertificateID other) {
        if (sha1Id != null && sha1Id.matches(other)) {
            return sha1Id;
        }
        if (sha256Id != null && sha256Id.matches(other)) {
            return sha256Id;
        }
        return null;
    }

    @Override
    public String toString() {
        return "ManagedCertificate[" + id() + "]";
    }
}
