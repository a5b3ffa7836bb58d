package io.stapled.ocsp;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.bouncycastle.cert.ocsp.CertificateID;

/**
 * One certificate under OCSP management: read-only facts and counters for the runtime API and metrics.
 * The engine updates the state; everything here is safe to read from any thread.
 */
public final class ManagedCertificate {
    /** Why a certificate is never fetched, or null if it is. */
    public enum NotFetchable { DISABLED, NO_ISSUER, NO_RESPONDER }

    private final OcspSubject subject;
    private final URI responder;
    private final boolean mustStaple;
    private final CertIdentity certId;
    private final CertIdentity sha1Id;
    private final CertIdentity sha256Id;
    private final Path ocspFile;
    private final NotFetchable notFetchable;
    private final Clock clock;

    private final AtomicLong successes = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong badStatuses = new AtomicLong();
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private volatile Instant lastUpdate;
    private volatile UpdateResult lastResult = UpdateResult.UNKNOWN;
    private volatile String lastError;
    private volatile Instant nextRefresh;

    // Engine-only state, guarded by "this" where it is read-modify-write.
    CompletableFuture<RefreshOutcome> inFlight;
    volatile StapleFiles.Stamp fileStamp = StapleFiles.Stamp.ABSENT;
    volatile StapleFiles.Stamp pendingStamp;
    volatile String lastLoggedProblem;
    volatile String lastPersistError;
    /** Serialises {@code .ocsp} writes, apart from the monitor so disk I/O never holds up the scheduler. */
    final Object persistLock = new Object();
    volatile boolean alarmRaised;
    volatile boolean removed;
    final CompletableFuture<Void> initialRound = new CompletableFuture<>();

    ManagedCertificate(OcspSubject subject, URI globalOverride, HashAlgorithm hash, Clock clock) {
        this.subject = subject;
        this.clock = clock;
        this.mustStaple = CertificateFacts.mustStaple(subject.leaf());
        this.responder = subject.responderOverride() != null ? subject.responderOverride()
                : globalOverride != null ? globalOverride : CertificateFacts.ocspUrl(subject.leaf());
        if (subject.issuer() != null) {
            this.sha1Id = CertIdentity.of(subject.leaf(), subject.issuer(), HashAlgorithm.SHA1);
            this.sha256Id = CertIdentity.of(subject.leaf(), subject.issuer(), HashAlgorithm.SHA256);
            this.certId = hash == HashAlgorithm.SHA1 ? sha1Id : sha256Id;
        } else {
            this.sha1Id = null;
            this.sha256Id = null;
            this.certId = null;
        }
        this.ocspFile = subject.certFile() == null ? null : StapleFiles.ocspFile(subject.certFile());
        this.notFetchable = !subject.enabled() ? NotFetchable.DISABLED
                : subject.issuer() == null ? NotFetchable.NO_ISSUER
                : responder == null ? NotFetchable.NO_RESPONDER : null;
    }

    public String id() {
        return subject.id();
    }

    public OcspSubject subject() {
        return subject;
    }

    public StapleSlot slot() {
        return subject.slot();
    }

    /** The current staple (possibly past its nextUpdate until the scheduler drops it), or null. */
    public Staple staple() {
        return subject.slot().current();
    }

    /** The responder this certificate is fetched from, or null if it has none. */
    public URI responder() {
        return responder;
    }

    public boolean mustStaple() {
        return mustStaple;
    }

    public boolean enabled() {
        return subject.enabled();
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
        return successes.get();
    }

    public long failures() {
        return failures.get();
    }

    /** Verified REVOKED or UNKNOWN answers seen (also counted in failures). */
    public long badStatuses() {
        return badStatuses.get();
    }

    public int consecutiveFailures() {
        return consecutiveFailures.get();
    }

    /** When the last fetch (successful or not) finished, or null before the first. */
    public Instant lastUpdate() {
        return lastUpdate;
    }

    public UpdateResult lastResult() {
        return lastResult;
    }

    public String lastResultText() {
        return lastResult.text();
    }

    /** The last failure's one-line reason, or null if the last fetch succeeded. */
    public String lastError() {
        return lastError;
    }

    /** When the next fetch is due, or null if none is scheduled (not fetchable, or a fetch is running). */
    public Instant nextRefresh() {
        return nextRefresh;
    }

    /**
     * A Must-Staple certificate whose staple is missing, expired, or in the last quarter of its validity
     * (refreshes have been failing). Always false for other certificates.
     */
    public boolean mustStapleAlarm() {
        return mustStaple && subject.enabled() && !stapleHealthy(clock.instant());
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

    void recordSuccess(Instant at) {
        successes.incrementAndGet();
        consecutiveFailures.set(0);
        lastUpdate = at;
        lastResult = UpdateResult.OK;
        lastError = null;
    }

    void recordFailure(Instant at, UpdateResult result, String error, boolean badStatus) {
        failures.incrementAndGet();
        if (badStatus) {
            badStatuses.incrementAndGet();
        }
        consecutiveFailures.incrementAndGet();
        lastUpdate = at;
        lastResult = result;
        lastError = error;
    }

    void nextRefresh(Instant at) {
        nextRefresh = at;
    }

    @Override
    public String toString() {
        return "ManagedCertificate[" + id() + "]";
    }
}
