package io.stapled.proxy.backend;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import io.stapled.config.BackendConfig.ServerConfig;

/**
 * One server of a backend and its live state. State changes (health, admin) are single volatile
 * writes; the counters are atomics, so any event loop may read and update them without a lock.
 */
public final class BackendServer {
    /** Administrative state, as HAProxy's {@code set server ... state}. */
    public enum AdminState { READY, DRAIN, MAINT }

    /**
     * Why a keep-alive connection to the server was closed instead of reused: the server sent bytes
     * that belong to no response, which the next request on that connection would read as its own.
     */
    public enum Discard {
        /** Bytes after a response that has no body (to HEAD, or 204/304): a body nobody framed. */
        BODY_ON_BODYLESS("body_on_bodyless"),
        /** Bytes after the {@code Content-Length} of the response. */
        OVER_CONTENT_LENGTH("over_content_length"),
        /** Bytes after the final chunk (and trailers) of a chunked response. */
        AFTER_LAST_CHUNK("after_last_chunk"),
        /** Bytes while the connection was idle in the pool, between exchanges. */
        WHILE_IDLE("while_idle");

        private final String label;

        Discard(String label) {
            this.label = label;
        }

        /** The {@code reason} label of the metric. */
        public String label() {
            return label;
        }
    }

    private final int id;
    private final String name;
    private final int initialWeight;
    private volatile InetSocketAddress address;
    private volatile boolean removed;
    private volatile int weight;
    private volatile boolean healthy = true;
    private volatile AdminState adminState = AdminState.READY;
    private final AtomicInteger activeConnections = new AtomicInteger();
    private final AtomicLong totalConnections = new AtomicLong();
    private final AtomicLong failedConnects = new AtomicLong();
    private final AtomicLongArray discarded = new AtomicLongArray(Discard.values().length);
    private final AtomicBoolean discardReported = new AtomicBoolean();
    private volatile HealthView health = HealthView.UNCHECKED;

    /** A server with HAProxy's id {@code id} (1 and up, unique in its backend: {@code srv_id}, {@code sid}). */
    public BackendServer(ServerConfig config, int id) {
        this.id = id;
        this.name = config.name();
        this.address = config.address().toSocketAddress();
        this.initialWeight = config.weight();
        this.weight = config.weight();
    }

    /** The server's id in its backend; ids of deleted servers are given to later added ones. */
    public int id() {
        return id;
    }

    public String name() {
        return name;
    }

    /** Where new connections go; {@link #setAddress} changes it, connections already open stay where they are. */
    public InetSocketAddress address() {
        return address;
    }

    /** Changes where new connections and health checks go (the runtime API's {@code set server ... addr}). */
    public void setAddress(InetSocketAddress address) {
        this.address = address;
    }

    /** The weight the server was configured or added with ({@code srv_iweight}, {@code get weight}'s "initial"). */
    public int initialWeight() {
        return initialWeight;
    }

    /** True once the server was deleted from its backend: idle connections to it are not kept. */
    public boolean isRemoved() {
        return removed;
    }

    void markRemoved() {
        this.removed = true;
    }

    public int weight() {
        return weight;
    }

    public void setWeight(int weight) {
        this.weight = weight;
    }

    /** Up for new traffic: healthy, ready and with a weight above zero. */
    public boolean isAvailable() {
        return healthy && adminState == AdminState.READY && weight > 0;
    }

    public boolean isHealthy() {
        return healthy;
    }

    public void setHealthy(boolean healthy) {
        this.healthy = healthy;
    }

    public AdminState adminState() {
        return adminState;
    }

    public void setAdminState(AdminState state) {
        this.adminState = state;
    }

    /** The last active health check, or null when the server is not checked or not yet checked. */
    public CheckResult lastCheck() {
        return health.last;
    }

    /** True once a {@link HealthChecker} watches this server. */
    public boolean isChecked() {
        return health != HealthView.UNCHECKED;
    }

    /**
     * HAProxy's {@code show stat} status column: {@code UP}, {@code DOWN}, {@code MAINT}, {@code DRAIN},
     * {@code no check}, or a transition such as {@code UP 1/3} (one failed check of the three that
     * mark it down) or {@code DOWN 1/2} (one good check of the two that bring it back).
     */
    public String statusText() {
        if (adminState == AdminState.MAINT) {
            return "MAINT";
        }
        if (adminState == AdminState.DRAIN) {
            return "DRAIN";
        }
        HealthView h = health;
        if (h == HealthView.UNCHECKED) {
            return healthy ? "no check" : "DOWN";
        }
        String base = healthy ? "UP" : "DOWN";
        return h.progress > 0 ? base + " " + h.progress + "/" + h.needed : base;
    }

    /** Connection attempts to this server that failed (HAProxy's {@code econ}). */
    public long failedConnects() {
        return failedConnects.get();
    }

    /** Call when a connect to this server failed or timed out. */
    public void connectFailed() {
        failedConnects.incrementAndGet();
    }

    /** Keep-alive connections to this server closed for {@code reason} instead of reused. */
    public long discardedConnections(Discard reason) {
        return discarded.get(reason.ordinal());
    }

    /**
     * Call when a connection to this server was closed instead of reused; true the first time for
     * this server, so that the event is logged once and only counted afterwards.
     */
    public boolean connectionDiscarded(Discard reason) {
        discarded.incrementAndGet(reason.ordinal());
        return !discardReported.get() && discardReported.compareAndSet(false, true);
    }

    /** Written by the health checker only: the last result and how far a transition has got. */
    void recordCheck(CheckResult last, int progress, int needed) {
        this.health = new HealthView(last, progress, needed);
    }

    private record HealthView(CheckResult last, int progress, int needed) {
        static final HealthView UNCHECKED = new HealthView(null, 0, 0);
    }

    public int activeConnections() {
        return activeConnections.get();
    }

    public long totalConnections() {
        return totalConnections.get();
    }

    /** Call when a connection to this server is handed to a client; pair with {@link #connectionClosed()}. */
    public void connectionOpened() {
        activeConnections.incrementAndGet();
        totalConnections.incrementAndGet();
    }

    public void connectionClosed() {
        activeConnections.decrementAndGet();
    }

    @Override
    public String toString() {
        return name + "(" + address.getHostString() + ":" + address.getPort() + ")";
    }
}
