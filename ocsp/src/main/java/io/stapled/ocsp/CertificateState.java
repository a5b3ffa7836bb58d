package io.stapled.ocsp;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the engine changes about one managed certificate, reachable only inside the engine package
 * ({@link ManagedCertificate#state()}); {@link ManagedCertificate} is the read-only view of it. Every
 * field is safe to read from any thread; read-modify-write sequences that span the staple and this
 * state (fetch start and end, install, removal) run under the {@link ManagedCertificate}'s monitor.
 */
final class CertificateState {
    private final AtomicLong successes = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong badStatuses = new AtomicLong();
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private volatile Instant lastUpdate;
    private volatile UpdateResult lastResult = UpdateResult.UNKNOWN;
    private volatile String lastError;
    private volatile Instant nextRefresh;

    private CompletableFuture<RefreshOutcome> inFlight; // guarded by the certificate's monitor
    private final StapleFileWatch fileWatch;
    private volatile String lastLoggedProblem;
    private volatile String lastPersistError;
    /** Serialises {@code .ocsp} writes, apart from the monitor so disk I/O never holds up the scheduler. */
    private final Object persistLock = new Object();
    private volatile boolean alarmRaised;
    private volatile boolean removed;
    private final CompletableFuture<Void> initialRound = new CompletableFuture<>();

    CertificateState(Path ocspFile) {
        this.fileWatch = ocspFile == null ? null : new StapleFileWatch(ocspFile);
    }

    long successes() {
        return successes.get();
    }

    long failures() {
        return failures.get();
    }

    long badStatuses() {
        return badStatuses.get();
    }

    int consecutiveFailures() {
        return consecutiveFailures.get();
    }

    Instant lastUpdate() {
        return lastUpdate;
    }

    UpdateResult lastResult() {
        return lastResult;
    }

    String lastError() {
        return lastError;
    }

    Instant nextRefresh() {
        return nextRefresh;
    }

    void nextRefresh(Instant at) {
        nextRefresh = at;
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

    /** The fetch running now, or null. Caller holds the certificate's monitor. */
    CompletableFuture<RefreshOutcome> fetching() {
        return inFlight;
    }

    /** Caller holds the certificate's monitor and has seen {@link #fetching()} null. */
    void startFetch(CompletableFuture<RefreshOutcome> f) {
        inFlight = Objects.requireNonNull(f);
    }

    /** Ends {@code f} if it is still the running fetch. Caller holds the certificate's monitor. */
    void endFetch(CompletableFuture<RefreshOutcome> f) {
        if (inFlight == f) {
            inFlight = null;
        }
    }

    /** The {@code .ocsp} watch, or null when the certificate has no file. */
    StapleFileWatch fileWatch() {
        return fileWatch;
    }

    /** True if {@code problem} differs from the last one logged (and remembers it): log once per change. */
    boolean newProblem(String problem) {
        if (problem.equals(lastLoggedProblem)) {
            return false;
        }
        lastLoggedProblem = problem;
        return true;
    }

    void clearProblem() {
        lastLoggedProblem = null;
    }

    /** True if this write error differs from the last one (and remembers it): warn once per problem. */
    Object persistLock() {
        return persistLock;
    }

    boolean persistFailed(String why) {
        if (why.equals(lastPersistError)) {
            return false;
        }
        lastPersistError = why;
        return true;
    }

    /** True if the last write had failed (and forgets it). */
    boolean persistRecovered() {
        if (lastPersistError == null) {
            return false;
        }
        lastPersistError = null;
        return true;
    }

    /** Records the Must-Staple alarm state; true if it changed. */
    boolean alarm(boolean raised) {
        if (raised == alarmRaised) {
            return false;
        }
        alarmRaised = raised;
        return true;
    }

    boolean removed() {
        return removed;
    }

    void markRemoved() {
        removed = true;
    }

    CompletableFuture<Void> initialRound() {
        return initialRound;
    }

    void initialRoundDone() {
        initialRound.complete(null);
    }
}
