package io.stapled.ocsp;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.stapled.ocsp.RefreshOutcome.Result;

/**
 * The OCSP engine: loads {@code .ocsp} files, fetches and verifies responses, installs good ones in
 * each certificate's {@link StapleSlot}, persists them, refreshes them ahead of expiry, drops expired
 * ones, and picks up files changed by others. One daemon scheduler thread ticks every
 * {@code pollInterval}; blocking HTTP runs on a few daemon fetch threads. All time is read from the
 * injected {@link Clock}.
 *
 * <p>In fleet mode a {@link SharedStaples} is consulted before each scheduled fetch and told of each
 * fetched staple ({@code fromFleet}); what it returns is verified here like any other response.
 *
 * <p>Why one class of ~590 lines: managing, routing a pushed response, the tick and a refresh's
 * fetch-verify-install-persist all change the same certificates' {@link CertificateState} under the
 * same per-certificate lock and rules (one running fetch per certificate, an older response never
 * replaces a newer one), on the one scheduler thread; what could be pulled out already is: verifying
 * ({@link OcspVerifier}), fetching ({@link OcspHttpClient}), refresh timing ({@link RefreshPolicy}),
 * rate limits ({@link RateLimiter}), installing ({@link StapleInstaller}), file watching
 * ({@link StapleFileWatch}) and persistence ({@link StapleFiles}). About a fifth of it is the
 * {@link Builder}.
 */
public final class OcspManager implements StapleSlots, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(OcspManager.class);
    private static final int FETCH_THREADS = 4;

    private final OcspSettings settings;
    private final Clock clock;
    private final Random random;
    private final List<OcspListener> listeners;
    private final RefreshPolicy policy;
    private final StapleInstaller installer;
    private final OcspHttpClient http;
    private final RateLimiter rateLimiter;
    private final SharedStaples shared;
    private final Map<String, ManagedCertificate> certs = new ConcurrentHashMap<>();
    private final ScheduledExecutorService scheduler;
    private final ThreadPoolExecutor fetchPool;
    private volatile boolean started;
    private volatile boolean closed;

    private OcspManager(Builder b) {
        this.settings = b.settings;
        this.clock = b.clock;
        this.random = b.random;
        this.listeners = new CopyOnWriteArrayList<>(b.listeners);
        this.policy = RefreshPolicy.of(settings);
        this.installer = new StapleInstaller(settings, clock, random, listeners);
        this.http = OcspHttpClient.of(settings);
        this.rateLimiter = new RateLimiter(settings.requestsPerSecond());
        this.shared = b.shared;
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, daemon("stapled-ocsp-scheduler"));
        s.setRemoveOnCancelPolicy(true);
        this.scheduler = s;
        this.fetchPool = new ThreadPoolExecutor(FETCH_THREADS, FETCH_THREADS, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), daemon("stapled-ocsp-fetch"));
        this.fetchPool.allowCoreThreadTimeOut(true);
    }

    public static Builder builder() {
        return new Builder();
    }

    public OcspSettings settings() {
        return settings;
    }

    /**
     * Takes a certificate under management; idempotent per id (the first subject wins, so to replace a
     * renewed certificate under the same id, {@link #unmanage} it first, or bind it with
     * {@link #slotFor}, which does both). After {@link #start()} it starts at once.
     */
    public ManagedCertificate manage(OcspSubject subject) {
        Objects.requireNonNull(subject, "subject");
        boolean[] created = new boolean[1];
        ManagedCertificate mc = certs.computeIfAbsent(subject.id(), id -> {
            created[0] = true;
            return new ManagedCertificate(subject, settings, clock);
        });
        if (created[0] && started && !closed) {
            scheduler.execute(() -> startCertificate(mc));
        }
        return mc;
    }

    /**
     * The hand-over to the TLS side, and the one place a served certificate is bound to its managed
     * staple: the slot of the certificate managed under {@code subject}'s id when it is the same leaf (a
     * file served by several frontends, or committed again unchanged, shares one slot and one
     * {@code .ocsp} file); otherwise (a new id, or a new leaf under a managed id after
     * {@code commit ssl cert}) the old one is unmanaged (its slot keeps serving the old certificate's
     * handshakes until they stop) and {@code subject} is managed with a new slot, started at once when
     * the engine runs. Serialised so two frontends binding the same new certificate get one slot.
     *
     * @throws IllegalArgumentException when the same leaf is bound again with the other update mode
     */
    @Override
    public synchronized StapleSlot slotFor(OcspSubject subject) {
        ManagedCertificate current = certs.get(subject.id());
        if (current != null && current.subject().leaf().equals(subject.leaf())) {
            if (current.subject().autoUpdate() != subject.autoUpdate()) {
                // HAProxy 3.x refuses this too: one certificate, one staple, so one update mode
                throw new IllegalArgumentException("different parameter 'ocsp-update' (" + onOff(subject.autoUpdate())
                        + " here, " + onOff(current.subject().autoUpdate()) + " where it was loaded first)");
            }
            return current.slot();
        }
        if (current != null) {
            unmanage(subject.id());
        }
        return manage(subject).slot();
    }

    /** Unmanages {@code subject}'s id if it is still the same leaf (a newer commit is left alone). */
    @Override
    public synchronized void released(OcspSubject subject) {
        ManagedCertificate current = certs.get(subject.id());
        if (current != null && current.subject().leaf().equals(subject.leaf())) {
            unmanage(subject.id());
        }
    }

    private static String onOff(boolean autoUpdate) {
        return autoUpdate ? "on" : "off";
    }

    /** Adds a listener after building (events from then on); for parts made after the engine, e.g. metrics. */
    public void addListener(OcspListener listener) {
        listeners.add(Objects.requireNonNull(listener));
    }

    /** Loads {@code .ocsp} files, fetches what is missing or past its refresh point, starts the ticks. */
    public void start() {
        if (closed) {
            throw new IllegalStateException("OcspManager is closed");
        }
        if (started) {
            return;
        }
        started = true;
        shared.start(this);
        for (ManagedCertificate mc : certs.values()) {
            startCertificate(mc);
        }
        long poll = settings.pollInterval().toMillis();
        scheduler.scheduleWithFixedDelay(this::tickSafely, poll, poll, TimeUnit.MILLISECONDS);
    }

    /**
     * Waits until every certificate has finished its first round (stapled from a file, fetched, or
     * failed once), up to {@code max}. True if all did in time.
     */
    public boolean awaitInitialRound(Duration max) {
        CompletableFuture<?>[] all = certs.values().stream().map(c -> c.state().initialRound()).toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(all).get(Math.max(0, max.toMillis()), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            return true; // rounds never complete exceptionally; treat as done
        }
    }

    /** Fetches now (used by {@code update ssl ocsp-response}); joins a fetch already running. */
    public CompletableFuture<RefreshOutcome> refreshNow(String id) {
        ManagedCertificate mc = certs.get(id);
        if (mc == null) {
            throw new IllegalArgumentException("no managed certificate '" + id + "'");
        }
        return refresh(mc, true);
    }

    /**
     * A response pushed over the runtime API: routed by the CertID inside to the managed certificate it
     * names, verified like any other (so a CertID in another hash than the managed one is refused),
     * installed if good and not older than the current one, and persisted like a fetched one.
     */
    public AcceptOutcome accept(byte[] der, Staple.Origin origin) {
        BasicOCSPResp basic;
        try {
            basic = OcspVerifier.parseBasic(der);
        } catch (OcspVerificationException e) {
            return new AcceptOutcome(Result.REFUSED, null, e.getMessage());
        }
        ManagedCertificate target = route(basic, true);
        if (target == null) {
            // Named under a hash other than the one it is managed with: route it anyway, so the verifier
            // refuses it for that certificate and says why, instead of "matches no certificate".
            target = route(basic, false);
        }
        if (target == null) {
            String serials = Arrays.stream(basic.getResponses())
                    .map(s -> s.getCertID().getSerialNumber().toString(16)).collect(Collectors.joining(", "));
            String why = "response matches no managed certificate (serial " + serials + ")";
            log.warn("OCSP {} response refused: {}", StapleInstaller.originName(origin), why);
            return new AcceptOutcome(Result.REFUSED, null, why);
        }
        if (!target.enabled()) {
            return new AcceptOutcome(Result.REFUSED, target.id(), "OCSP is disabled for " + target.id());
        }
        RefreshOutcome out = installer.verifyAndInstall(target, target.certIdentity(), der, origin, null);
        return new AcceptOutcome(out.result(), target.id(), out.detail());
    }

    /**
     * A response read from the fleet's shared store for {@code mc} (see {@link SharedStaples}): verified
     * like any other, installed only if it is newer than the held staple (an older or equal one is
     * {@code UNCHANGED}, quietly: the store lagging is no fault), persisted like a fetched one, and never
     * published back. A refusal (forged, another certificate's, expired) is logged, reported to
     * listeners as {@code responseRefused} with origin {@code FLEET}, and keeps the held staple.
     */
    public RefreshOutcome acceptShared(ManagedCertificate mc, byte[] der) {
        if (mc.certIdentity() == null || !mc.enabled()) {
            return new RefreshOutcome(Result.NOT_FETCHABLE, mc.id(), "not stapled", mc.staple());
        }
        return installer.verifyAndInstall(mc, mc.certIdentity(), der, Staple.Origin.FLEET, null);
    }

    /**
     * Verifies {@code der} for {@code mc} as an install would (signature, CertID, times), installing
     * nothing: whether a staple held in the fleet's store is genuine, before overwriting it.
     */
    public VerifiedResponse verifyFor(ManagedCertificate mc, byte[] der) throws OcspVerificationException {
        return new OcspVerifier(settings.clockSkew()).verify(der, mc.certIdentity(), mc.subject().issuer(),
                clock.instant(), null);
    }

    /** The managed certificate a single response names, in its managed hash only or in any hash. */
    private ManagedCertificate route(BasicOCSPResp basic, boolean managedHashOnly) {
        for (SingleResp single : basic.getResponses()) {
            for (ManagedCertificate mc : certs.values()) {
                CertIdentity m = mc.matching(single.getCertID());
                if (m != null && (!managedHashOnly || m.equals(mc.certIdentity()))) {
                    return mc;
                }
            }
        }
        return null;
    }

    public Collection<ManagedCertificate> certificates() {
        return List.copyOf(certs.values());
    }

    /** The managed certificate with this id, or null. */
    public ManagedCertificate certificate(String id) {
        return certs.get(id);
    }

    /** Stops managing a certificate removed at runtime; its slot is left as it is. */
    public void unmanage(String id) {
        ManagedCertificate mc = certs.remove(id);
        if (mc != null) {
            mc.state().markRemoved();
            mc.state().nextRefresh(null);
            mc.state().initialRoundDone();
        }
    }

    /** Enabled Must-Staple certificates without a healthy staple (see {@link ManagedCertificate#mustStapleAlarm()}). */
    public List<ManagedCertificate> mustStapleAlarms() {
        return certs.values().stream().filter(ManagedCertificate::mustStapleAlarm).collect(Collectors.toList());
    }

    /**
     * For start-up after {@link #awaitInitialRound}: when {@code mustStapleRequired} is set, throws if a
     * Must-Staple certificate has no valid staple, naming them.
     */
    public void requireMustStaple() {
        if (!settings.mustStapleRequired()) {
            return;
        }
        Instant now = clock.instant();
        List<String> missing = certs.values().stream()
                .filter(c -> c.mustStaple() && c.enabled() && c.slot().derIfValid(now.toEpochMilli()) == null)
                .map(ManagedCertificate::id).sorted().collect(Collectors.toList());
        if (!missing.isEmpty()) {
            throw new IllegalStateException("Must-Staple certificate(s) without a valid OCSP staple: "
                    + String.join(", ", missing));
        }
    }

    @Override
    public void close() {
        closed = true;
        scheduler.shutdownNow();
        fetchPool.shutdownNow();
        for (ManagedCertificate mc : certs.values()) {
            CompletableFuture<RefreshOutcome> pending;
            synchronized (mc) {
                pending = mc.state().fetching();
                if (pending != null) {
                    mc.state().endFetch(pending);
                }
                mc.state().nextRefresh(null);
            }
            if (pending != null) {
                pending.complete(new RefreshOutcome(Result.FAILED, mc.id(), "OCSP engine closed", mc.staple()));
            }
            mc.state().initialRoundDone();
        }
    }

    // ---- start-up ---------------------------------------------------------------------------------

    private void startCertificate(ManagedCertificate mc) {
        try {
            if (mc.notFetchable() == ManagedCertificate.NotFetchable.DISABLED) {
                mc.state().initialRoundDone();
                return;
            }
            if (mc.notFetchable() == ManagedCertificate.NotFetchable.NO_ISSUER) {
                log.info("OCSP: {} has no issuer certificate (chain or .issuer file); served without a staple", mc.id());
                mc.state().initialRoundDone();
                return;
            }
            if (mc.ocspFile() != null) {
                mc.state().fileWatch().markSeen();
                installer.loadFile(mc);
            }
            if (mc.notFetchable() == ManagedCertificate.NotFetchable.NO_RESPONDER) {
                log.info("OCSP: {} has no OCSP responder URL; served without a staple{}", mc.id(),
                        mc.staple() != null ? " unless its .ocsp file is kept fresh by someone else" : "");
                mc.state().initialRoundDone();
                return;
            }
            if (!mc.subject().autoUpdate()) {
                mc.state().initialRoundDone(); // ocsp-update off: the file staple (if any) is all it gets until asked
                return;
            }
            Instant now = clock.instant();
            Staple s = mc.staple();
            if (s != null && s.isValidAt(now) && now.isBefore(policy.midpoint(s))) {
                mc.state().initialRoundDone(); // the file staple is fresh; install() scheduled its refresh
                return;
            }
            refresh(mc, false); // its end ends the first round (see finish), unless deferred to the fleet
        } catch (RuntimeException e) {
            log.error("OCSP: cannot start {}: {}", mc.id(), e.toString());
            mc.state().initialRoundDone();
        }
    }

    // ---- the tick: expiry, watched files, due refreshes --------------------------------------------

    private void tickSafely() {
        try {
            tick();
        } catch (RuntimeException e) {
            log.error("OCSP scheduler tick failed", e);
        }
    }

    void tick() {
        Instant now = clock.instant();
        for (ManagedCertificate mc : certs.values()) {
            installer.dropIfExpired(mc, now);
            if (settings.watchFiles() && mc.ocspFile() != null && mc.notFetchable() != ManagedCertificate.NotFetchable.DISABLED
                    && mc.notFetchable() != ManagedCertificate.NotFetchable.NO_ISSUER
                    && mc.state().fileWatch().changed()) {
                installer.loadFile(mc);
            }
            Instant due = mc.nextRefresh();
            if (mc.notFetchable() == null && mc.subject().autoUpdate() && due != null && !now.isBefore(due)) {
                refresh(mc, false);
            }
            installer.checkMustStaple(mc);
        }
    }

    // ---- fetching ------------------------------------------------------------------------------------

    /** {@code forced}: asked for by an operator, so fetched whatever the fleet holds (and still shared). */
    private CompletableFuture<RefreshOutcome> refresh(ManagedCertificate mc, boolean forced) {
        if (mc.notFetchable() != null) {
            return CompletableFuture.completedFuture(new RefreshOutcome(Result.NOT_FETCHABLE, mc.id(),
                    "not fetchable: " + mc.notFetchable(), mc.staple()));
        }
        CompletableFuture<RefreshOutcome> f;
        Staple replacing = mc.staple(); // what this refresh is for: a newer one from the fleet satisfies it
        synchronized (mc) {
            CompletableFuture<RefreshOutcome> running = mc.state().fetching();
            if (running != null) {
                return running;
            }
            f = new CompletableFuture<>();
            mc.state().startFetch(f);
            mc.state().nextRefresh(null);
        }
        if (closed) {
            finish(mc, f, new RefreshOutcome(Result.FAILED, mc.id(), "OCSP engine closed", mc.staple()));
            return f;
        }
        Instant now = clock.instant();
        Instant slot = rateLimiter.reserve(responderKey(mc.responder()), now);
        long delay = Duration.between(now, slot).toMillis();
        Runnable submit = () -> {
            try {
                fetchPool.execute(() -> fetch(mc, f, forced, replacing));
            } catch (RuntimeException e) {
                finish(mc, f, new RefreshOutcome(Result.FAILED, mc.id(), "OCSP engine closed", mc.staple()));
            }
        };
        try {
            if (delay > 0) {
                scheduler.schedule(submit, delay, TimeUnit.MILLISECONDS);
            } else {
                submit.run();
            }
        } catch (RuntimeException e) {
            finish(mc, f, new RefreshOutcome(Result.FAILED, mc.id(), "OCSP engine closed", mc.staple()));
        }
        return f;
    }

    private static String responderKey(URI responder) {
        return responder.getScheme() + "://" + responder.getAuthority();
    }

    private void fetch(ManagedCertificate mc, CompletableFuture<RefreshOutcome> f, boolean forced, Staple replacing) {
        RefreshOutcome outcome;
        long startNanos = System.nanoTime();
        try {
            if (!forced && shared != SharedStaples.NONE) {
                RefreshOutcome fromFleet = fromFleet(mc, replacing);
                if (fromFleet != null) {
                    finish(mc, f, fromFleet);
                    return;
                }
            }
            OcspRequest request = OcspRequest.build(mc.certIdentity(), settings.useNonce(), random);
            byte[] body;
            try {
                body = http.exchange(mc.responder(), request.der());
            } catch (OcspFetchException e) {
                outcome = installer.failed(mc, Result.FAILED, UpdateResult.HTTP_ERROR, e.getMessage(), "http:" + e.kind(), false);
                fetched(mc, f, outcome);
                return;
            }
            outcome = installer.verifyAndInstall(mc, mc.certIdentity(), body, Staple.Origin.FETCHED, request.nonce());
            if (outcome.installed()) {
                Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
                installer.notifyListeners(l -> l.fetchSucceeded(mc, took));
                if (outcome.staple() != null) {
                    shared.fetched(mc, outcome.staple());
                }
            }
        } catch (RuntimeException e) {
            outcome = installer.failed(mc, Result.FAILED, UpdateResult.HTTP_ERROR, "fetch failed: " + e, "internal", false);
        }
        fetched(mc, f, outcome);
    }

    /**
     * Fleet mode, before fetching: a staple newer than the one being refreshed, in the store and not yet
     * due itself, ends the refresh (installed, a fetch avoided); otherwise this member fetches only if it
     * gets the lease. Null means fetch. A staple another member publishes meanwhile is installed by the
     * store's subscriber, which also reschedules the refresh.
     */
    private RefreshOutcome fromFleet(ManagedCertificate mc, Staple held) {
        RefreshOutcome taken = takeFromStore(mc, held);
        if (taken != null) {
            return taken;
        }
        if (shared.lease(mc) == SharedStaples.Lease.FETCH) {
            // The holder may have stored, published and released between the read above and the lease.
            taken = takeFromStore(mc, held);
            if (taken != null) {
                shared.release(mc);
            }
            return taken;
        }
        Instant retry = clock.instant().plus(shared.leaseWait());
        synchronized (mc) {
            // Unless the holder's staple arrived meanwhile (its install scheduled the next refresh).
            if (mc.staple() == held && !mc.state().removed()) {
                mc.state().nextRefresh(retry);
            }
        }
        log.debug("OCSP: {}: another fleet member holds the fetch lease; asking again at {}", mc.id(), retry);
        return new RefreshOutcome(Result.DEFERRED, mc.id(), "another fleet member is fetching", mc.staple());
    }

    private RefreshOutcome takeFromStore(ManagedCertificate mc, Staple held) {
        byte[] der = shared.read(mc);
        if (der == null) {
            return null;
        }
        RefreshOutcome out = acceptShared(mc, der);
        // Newer than the staple this refresh was for: installed now, or by the subscriber since.
        Staple now = mc.staple();
        Instant t = clock.instant();
        if (now != null && now != held && now.isValidAt(t) && t.isBefore(policy.midpoint(now))) {
            shared.fetchAvoided(mc);
            return out;
        }
        return null;
    }

    /** Ends a fetch that reached the responder (or failed trying), with HAProxy's update log line. */
    private void fetched(ManagedCertificate mc, CompletableFuture<RefreshOutcome> f, RefreshOutcome outcome) {
        if (!mc.state().removed()) {
            OcspUpdateLog.fetched(mc, clock.instant());
        }
        finish(mc, f, outcome);
    }

    private void finish(ManagedCertificate mc, CompletableFuture<RefreshOutcome> f, RefreshOutcome outcome) {
        synchronized (mc) {
            mc.state().endFetch(f);
            if (mc.state().removed() || closed) {
                mc.state().nextRefresh(null);
            }
        }
        f.complete(outcome);
        if (outcome.result() != Result.DEFERRED || mc.staple() != null) {
            // A first round deferred to the fleet ends with the staple published, or this member's own
            // attempt when the lease lapses (this, on a later refresh).
            mc.state().initialRoundDone();
        }
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Builds an {@link OcspManager}; settings default to {@link OcspSettings#defaults()}. */
    public static final class Builder {
        private OcspSettings settings = OcspSettings.defaults();
        private Clock clock = Clock.systemUTC();
        private Random random = new Random();
        private final List<OcspListener> listeners = new ArrayList<>();
        private SharedStaples shared = SharedStaples.NONE;

        private Builder() { }

        /** Fleet mode: the store refreshes are shared through (default {@link SharedStaples#NONE}). */
        public Builder shared(SharedStaples shared) {
            this.shared = Objects.requireNonNull(shared);
            return this;
        }

        public Builder settings(OcspSettings settings) {
            this.settings = Objects.requireNonNull(settings);
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock);
            return this;
        }

        /** Jitter and nonces; inject a seeded one for reproducible tests. */
        public Builder random(Random random) {
            this.random = Objects.requireNonNull(random);
            return this;
        }

        public Builder listener(OcspListener listener) {
            listeners.add(Objects.requireNonNull(listener));
            return this;
        }

        public OcspManager build() {
            return new OcspManager(this);
        }
    }
}
