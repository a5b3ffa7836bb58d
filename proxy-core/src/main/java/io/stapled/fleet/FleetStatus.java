package io.stapled.fleet;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this member knows about its fleet, for metrics, {@code /readyz} and {@code show fleet}: whether the
 * store answers (a change is logged once), the counters, and when each certificate last took a staple
 * from the store. Safe to read from any thread.
 */
public final class FleetStatus {
    private static final Logger log = LoggerFactory.getLogger(FleetStatus.class);

    private final String url;
    private final String nodeName;
    private volatile boolean connected;
    private volatile boolean everConnected;
    private volatile String lastProblem;
    private volatile Instant since = Instant.now();
    private final AtomicLong fetchesAvoided = new AtomicLong();
    private final AtomicLong fetchesOwn = new AtomicLong();
    private final AtomicLong storeReads = new AtomicLong();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong refusals = new AtomicLong();
    private final AtomicLong fallbacks = new AtomicLong();
    private final AtomicLong rejoins = new AtomicLong();
    private final Map<String, Instant> lastSync = new ConcurrentHashMap<>();

    FleetStatus(String url, String nodeName) {
        this.url = url;
        this.nodeName = nodeName;
    }

    public String url() {
        return url;
    }

    public String nodeName() {
        return nodeName;
    }

    /** True while the store answers; staples are then shared, otherwise this member fetches its own. */
    public boolean connected() {
        return connected;
    }

    /** Since when {@link #connected()} has had its value. */
    public Instant since() {
        return since;
    }

    /** Why the store was last unreachable, or null. */
    public String lastProblem() {
        return lastProblem;
    }

    void up() {
        if (connected) {
            return;
        }
        connected = true;
        since = Instant.now();
        if (everConnected) {
            rejoins.incrementAndGet();
            log.info("fleet: Redis at {} answers again; staples and leases are shared again", url);
        } else {
            log.info("fleet: joined through Redis at {} as {}", url, nodeName);
        }
        everConnected = true;
        lastProblem = null;
    }

    void down(String why) {
        if (!connected && lastProblem != null) {
            return;
        }
        boolean wasUp = connected;
        connected = false;
        since = Instant.now();
        lastProblem = why;
        fallbacks.incrementAndGet();
        log.warn("fleet: Redis at {} {}: {}; fetching staples on our own until it answers", url,
                wasUp ? "lost" : "unreachable", why);
    }

    void fetchAvoided() {
        fetchesAvoided.incrementAndGet();
    }

    void fetchedOwn() {
        fetchesOwn.incrementAndGet();
    }

    void storeRead() {
        storeReads.incrementAndGet();
    }

    void stored() {
        published.incrementAndGet();
    }

    void received(String certificateId, Instant at) {
        received.incrementAndGet();
        lastSync.put(certificateId, at);
    }

    void refused() {
        refusals.incrementAndGet();
    }

    /** Refreshes satisfied by a staple another member fetched: responder requests this member did not make. */
    public long fetchesAvoided() {
        return fetchesAvoided.get();
    }

    /** Fetches this member made, holding the lease or falling back. */
    public long fetchesOwn() {
        return fetchesOwn.get();
    }

    public long storeReads() {
        return storeReads.get();
    }

    /** Staples this member stored and published. */
    public long published() {
        return published.get();
    }

    /** Staples from the store installed here. */
    public long received() {
        return received.get();
    }

    /** Staples from the store that failed verification here (forged, another certificate's, expired). */
    public long refusals() {
        return refusals.get();
    }

    /** Times this member lost the store and fell back to its own fetches. */
    public long fallbacks() {
        return fallbacks.get();
    }

    /** Times it rejoined after a fallback. */
    public long rejoins() {
        return rejoins.get();
    }

    /** When each certificate (by id) last installed a staple from the store. */
    public Map<String, Instant> lastSync() {
        return Map.copyOf(lastSync);
    }
}
