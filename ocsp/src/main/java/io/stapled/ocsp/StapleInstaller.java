package io.stapled.ocsp;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.stapled.ocsp.RefreshOutcome.Result;

/**
 * The one way a response becomes a staple, whatever its source: verify, install if good and not
 * older than the held one, persist a fetched or pushed one, schedule the next refresh, record failures, and
 * log one line per change of state. Called from the fetch threads, the scheduler and runtime-API
 * callers; per-certificate state changes happen under the certificate's monitor.
 */
final class StapleInstaller {
    private static final Logger log = LoggerFactory.getLogger(OcspManager.class);

    private final OcspSettings settings;
    private final Clock clock;
    private final Random random;
    private final RefreshPolicy policy;
    private final OcspVerifier verifier;
    private final List<OcspListener> listeners;

    StapleInstaller(OcspSettings settings, Clock clock, Random random, List<OcspListener> listeners) {
        this.settings = settings;
        this.clock = clock;
        this.random = random;
        this.policy = RefreshPolicy.of(settings);
        this.verifier = new OcspVerifier(settings.clockSkew());
        this.listeners = listeners;
    }

    void dropIfExpired(ManagedCertificate mc, Instant now) {
        Staple expired;
        synchronized (mc) {
            expired = mc.staple();
            if (expired == null || expired.isValidAt(now)) {
                return;
            }
            mc.slot().set(null);
        }
        log.warn("OCSP: staple of {} expired at {} and was dropped; serving without a staple", mc.id(),
                expired.nextUpdate());
        notifyListeners(l -> l.stapleExpired(mc, expired));
        notifyListeners(l -> l.stapleChanged(mc, expired, null));
    }

    void checkMustStaple(ManagedCertificate mc) {
        boolean alarm = mc.mustStapleAlarm();
        if (!mc.state().alarm(alarm)) {
            return;
        }
        if (alarm) {
            Staple s = mc.staple();
            log.error("OCSP: Must-Staple certificate {} has {}", mc.id(),
                    s == null ? "no valid staple" : "a staple expiring at " + s.nextUpdate());
        } else {
            log.info("OCSP: Must-Staple certificate {} has a valid staple again", mc.id());
        }
        notifyListeners(l -> l.mustStapleAlarm(mc, alarm));
    }

    /** Records a failed fetch, logs it if it is a new problem, schedules a retry with backoff. */
    RefreshOutcome failed(ManagedCertificate mc, Result result, UpdateResult update, String why,
                                  String problem, boolean badStatus) {
        Instant now = clock.instant();
        mc.state().recordFailure(now, update, why, badStatus);
        Staple held = mc.staple();
        Instant expiry = held != null && held.isValidAt(now) ? held.nextUpdate() : null;
        Instant retry = policy.nextRetry(mc.consecutiveFailures(), now, expiry, random);
        if (!mc.state().removed()) {
            mc.state().nextRefresh(retry);
        }
        // One line per change of problem; the same problem again (dates in the text may differ) is DEBUG.
        if (mc.state().newProblem(problem)) {
            String keeps = held != null && held.isValidAt(now) ? "keeping the staple valid until " + held.nextUpdate()
                    : "no staple held";
            if (badStatus) {
                log.error("OCSP: {}: {}; {}; retry at {}", mc.id(), why, keeps, retry);
            } else {
                log.warn("OCSP: fetch for {} failed: {}; {}; retry at {}", mc.id(), why, keeps, retry);
            }
        } else {
            log.debug("OCSP: fetch for {} failed again: {}", mc.id(), why);
        }
        notifyListeners(l -> l.fetchFailed(mc, why));
        return new RefreshOutcome(result, mc.id(), why, held);
    }

    RefreshOutcome verifyAndInstall(ManagedCertificate mc, CertIdentity identity, byte[] der,
                                            Staple.Origin origin, byte[] nonce) {
        Instant now = clock.instant();
        VerifiedResponse v;
        try {
            v = verifier.verify(der, identity, mc.subject().issuer(), now, nonce);
        } catch (OcspVerificationException e) {
            return refused(mc, origin, Result.REFUSED, UpdateResult.CHECK_FAILURE, e.getMessage(),
                    "verify:" + e.problem(), false);
        }
        if (v.status() != Staple.CertStatus.GOOD) {
            String why = v.status() == Staple.CertStatus.REVOKED
                    ? "responder says the certificate is REVOKED since " + v.revocationTime()
                        + (v.revocationReason() != null ? " (" + v.revocationReason() + ")" : "")
                    : "responder says the certificate status is UNKNOWN";
            notifyListeners(l -> l.badStatus(mc, v));
            Result r = v.status() == Staple.CertStatus.REVOKED ? Result.REVOKED : Result.UNKNOWN;
            return refused(mc, origin, r, UpdateResult.CHECK_FAILURE, why, "status:" + r, true);
        }
        Staple old;
        Staple next;
        synchronized (mc) {
            if (mc.state().removed()) {
                return new RefreshOutcome(Result.REFUSED, mc.id(), "certificate no longer managed", null);
            }
            old = mc.staple();
            boolean oldValid = old != null && old.isValidAt(now);
            if (oldValid && Arrays.equals(old.der(), der)) {
                next = null;
            } else if (origin == Staple.Origin.FLEET && oldValid && !v.thisUpdate().isAfter(old.thisUpdate())) {
                // The store lags behind this member (its own fetch, or a file): nothing to refuse or log.
                return new RefreshOutcome(Result.UNCHANGED, mc.id(), "the fleet's staple is not newer", old);
            } else if (oldValid && v.thisUpdate().isBefore(old.thisUpdate())) {
                String why = "response thisUpdate " + v.thisUpdate() + " is older than the held staple's "
                        + old.thisUpdate();
                return refused(mc, origin, Result.REFUSED, UpdateResult.INSERT_ERROR, why, "older", false);
            } else {
                next = v.toStaple(origin, now);
                mc.slot().set(next);
            }
            if (origin == Staple.Origin.FETCHED) {
                mc.state().recordSuccess(now);
            }
            Staple current = next != null ? next : old;
            if (mc.notFetchable() == null && !mc.state().removed()) {
                mc.state().nextRefresh(policy.nextRefresh(current, now, random));
            }
        }
        mc.state().clearProblem();
        if (next == null) {
            log.debug("OCSP: {} response for {} unchanged", originName(origin), mc.id());
            return new RefreshOutcome(Result.UNCHANGED, mc.id(), "same response as the held staple", old);
        }
        log.info("OCSP: installed {} staple for {}: thisUpdate {}, nextUpdate {}, next refresh {}",
                originName(origin), mc.id(), next.thisUpdate(), next.nextUpdate(), mc.nextRefresh());
        if (origin != Staple.Origin.FILE) {
            persist(mc, next); // a fetched or pushed staple; one read from the file is there already
        }
        notifyListeners(l -> l.stapleChanged(mc, old, next));
        if (origin == Staple.Origin.FLEET) {
            mc.state().initialRoundDone(); // a first round deferred to another fleet member ends here
        }
        checkMustStaple(mc);
        return new RefreshOutcome(Result.UPDATED, mc.id(), "installed " + originName(origin) + " staple valid until "
                + next.nextUpdate(), next);
    }

    private RefreshOutcome refused(ManagedCertificate mc, Staple.Origin origin, Result result, UpdateResult update,
                                   String why, String problem, boolean badStatus) {
        if (origin == Staple.Origin.FETCHED) {
            return failed(mc, result, update, why, problem, badStatus);
        }
        String line = originName(origin) + " response refused: " + why;
        if (badStatus) {
            mc.state().recordFailure(clock.instant(), update, why, true);
            log.error("OCSP: {}: {}; keeping the current staple", mc.id(), line);
        } else {
            log.warn("OCSP: {}: {}; keeping the current staple", mc.id(), line);
        }
        notifyListeners(l -> l.responseRefused(mc, origin, why));
        return new RefreshOutcome(result, mc.id(), why, mc.staple());
    }

    void loadFile(ManagedCertificate mc) {
        Path file = mc.ocspFile();
        byte[] der;
        try {
            der = StapleFiles.read(file, settings.maxResponseSize());
        } catch (IOException e) {
            log.warn("OCSP: cannot read {}: {}", file, e.getMessage());
            return;
        }
        if (der == null) {
            return;
        }
        if (der.length == 0) {
            // HAProxy before 2.8 turns stapling on for a certificate only when it has a .ocsp file, so an
            // empty one is a convention there, not a bad response: no staple, nothing to refuse.
            log.debug("OCSP: {} is empty (no staple in it)", file);
            return;
        }
        RefreshOutcome out = verifyAndInstall(mc, mc.certIdentity(), der, Staple.Origin.FILE, null);
        if (out.result() == Result.REFUSED) {
            log.debug("OCSP: file {} not used: {}", file, out.detail());
        }
    }

    private void persist(ManagedCertificate mc, Staple staple) {
        if (!settings.persist() || mc.ocspFile() == null) {
            return;
        }
        synchronized (mc.state().persistLock()) {
            // Installs for one certificate can overlap (a push while a fetch lands) and write in either
            // order; the file must end up with the staple that won, so a write for one already replaced
            // is skipped (its successor writes, or came from the file).
            if (mc.staple() != staple) {
                return;
            }
            write(mc, staple.der());
        }
    }

    private void write(ManagedCertificate mc, byte[] der) {
        try {
            StapleFiles.writeAtomically(mc.ocspFile(), der);
            mc.state().fileWatch().markSeen();
            if (mc.state().persistRecovered()) {
                log.info("OCSP: {} is writable again", mc.ocspFile());
            }
        } catch (IOException | RuntimeException e) {
            // The staple is in memory and served; only the restart shortcut is lost. Warn once per problem.
            String why = describeWriteError(e);
            if (mc.state().persistFailed(why)) {
                log.warn("OCSP: cannot write {} (staple kept in memory only): {}", mc.ocspFile(), why);
            }
        }
    }

    /** Without the random temporary file name, so a repeated failure is recognised as the same one. */
    private static String describeWriteError(Exception e) {
        if (e instanceof java.nio.file.FileSystemException f) {
            return f.getClass().getSimpleName() + (f.getReason() != null ? ": " + f.getReason() : "");
        }
        return e.toString();
    }

    static String originName(Staple.Origin origin) {
        switch (origin) {
            case FETCHED: return "fetched";
            case FILE: return ".ocsp file";
            case FLEET: return "fleet";
            default: return "runtime-API";
        }
    }

    /** A listener that throws must not break the engine: log it and carry on. */
    void notifyListeners(java.util.function.Consumer<OcspListener> call) {
        for (OcspListener l : listeners) {
            try {
                call.accept(l);
            } catch (RuntimeException e) {
                log.warn("OCSP listener {} failed: {}", l.getClass().getName(), e.toString());
            }
        }
    }

}
