package io.stapled.proxy.backend;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import io.stapled.config.BackendConfig;
import io.stapled.config.BackendConfig.SendProxy;
import io.stapled.config.BackendConfig.ServerConfig;
import io.stapled.tls.BackendTlsContext;

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
    private final BackendTlsContext tls;
    private final String name;
    private final int initialWeight;
    private final SendProxy sendProxy;
    private final BackendConfig.Protocol proto;
    private final ServerQueue queue;
    private final String cookie;
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
    // show stat's figures: written where the event happens, read by the runtime API
    private final AtomicInteger maxActiveConnections = new AtomicInteger();
    private volatile long lastSessionNanos;
    private volatile long lastChangeNanos = System.nanoTime();
    private volatile long downSinceNanos;
    private final AtomicLong downNanos = new AtomicLong();
    private final AtomicLong failedChecks = new AtomicLong();
    private final AtomicLong downTransitions = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLongArray responses = new AtomicLongArray(6);
    private final io.stapled.proxy.conn.RateCounter sessionRate = new io.stapled.proxy.conn.RateCounter();

    /** A server with HAProxy's id {@code id} (1 and up, unique in its backend: {@code srv_id}, {@code sid}). */
    public BackendServer(ServerConfig config, int id) {
        this(config, id, null);
    }

    /** As {@link #BackendServer(ServerConfig, int)}, reached over TLS with {@code tls} (null: plain TCP). */
    public BackendServer(ServerConfig config, int id, BackendTlsContext tls) {
        this.id = id;
        this.tls = tls;
        this.name = config.name();
        // A name is looked up by the pool (AddressRefresher), with its resolver and family preference.
        this.address = AddressRefresher.isName(config.address().host())
                ? InetSocketAddress.createUnresolved(config.address().host(), config.address().port())
                : config.address().toSocketAddress();
        this.initialWeight = config.weight();
        this.weight = config.weight();
        this.sendProxy = config.sendProxy();
        this.proto = config.proto();
        this.cookie = config.cookie();
        this.queue = config.maxConnections() > 0 ? new ServerQueue(config.maxConnections(), config.maxQueue()) : null;
    }

    /** The value of the backend's stickiness cookie that names this server ({@code cookie}, else its name). */
    public String cookie() {
        return cookie;
    }

    /** The server's {@code max_connections} and the requests waiting for it, or null when it has no limit. */
    public ServerQueue queue() {
        return queue;
    }

    /** The PROXY protocol header each connection to this server starts with ({@code send_proxy}), or null. */
    public SendProxy sendProxy() {
        return sendProxy;
    }

    /** The HTTP version an HTTP frontend speaks to the server (fixed for the server's life). */
    public BackendConfig.Protocol proto() {
        return proto;
    }

    /** The server's id in its backend; ids of deleted servers are given to later added ones. */
    public int id() {
        return id;
    }

    public String name() {
        return name;
    }

    /** The TLS context connections to this server use, or null when they are plain TCP. */
    public BackendTlsContext tls() {
        return tls;
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
        boolean was = this.healthy;
        this.healthy = healthy;
        if (was != healthy) {
            long now = System.nanoTime();
            if (healthy) {
                long since = downSinceNanos;
                if (since != 0) {
                    downNanos.addAndGet(now - since);
                }
                downSinceNanos = 0;
            } else {
                downTransitions.incrementAndGet();
                downSinceNanos = now;
            }
            lastChangeNanos = now;
        }
    }

    public AdminState adminState() {
        return adminState;
    }

    public void setAdminState(AdminState state) {
        if (adminState != state) {
            lastChangeNanos = System.nanoTime();
        }
        this.adminState = state;
    }

    /** {@link System#nanoTime()} of the last health or admin state change, or of creation. */
    public long lastChangeNanos() {
        return lastChangeNanos;
    }

    /** Time spent marked down (not healthy), up to {@code nowNanos}. */
    public long downtimeNanos(long nowNanos) {
        long since = downSinceNanos;
        return downNanos.get() + (since != 0 && !healthy ? Math.max(0, nowNanos - since) : 0);
    }

    /** Failed checks counted as HAProxy's {@code chkfail}: those while the server was not fully down. */
    public long failedChecks() {
        return failedChecks.get();
    }

    /** Times the server went from up to down. */
    public long downTransitions() {
        return downTransitions.get();
    }

    /**
     * Checks in a row towards the next transition: failed checks while up, good ones while down
     * (0 when unchecked).
     */
    public int checkProgress() {
        return health.progress;
    }

    /** Call when the server answered an HTTP request with {@code status} (0: no status). */
    public void responded(int status) {
        requests.incrementAndGet();
        responses.incrementAndGet(status >= 100 && status <= 599 ? status / 100 : 0);
    }

    /** HTTP requests the server answered. */
    public long requests() {
        return requests.get();
    }

    /** Responses of class {@code statusClass} (1 to 5 for 1xx to 5xx, 0 for any other). */
    public long responses(int statusClass) {
        return responses.get(statusClass);
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
        HealthView before = health;
        if (last != null && !last.isSuccess() && last.status() != CheckStatus.INI
                && (healthy || before.progress > 0)) {
            failedChecks.incrementAndGet();
        }
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
        int now = activeConnections.incrementAndGet();
        if (now > maxActiveConnections.get()) {
            maxActiveConnections.accumulateAndGet(now, Math::max);
        }
        totalConnections.incrementAndGet();
        sessionRate.increment();
        lastSessionNanos = System.nanoTime();
    }

    /** Connections handed to clients per second. */
    public io.stapled.proxy.conn.RateCounter sessionRate() {
        return sessionRate;
    }

    /** The most connections in use at once since start. */
    public int maxActiveConnections() {
        return maxActiveConnections.get();
    }

    /** {@link System#nanoTime()} when a connection was last handed to a client, 0 for never. */
    public long lastSessionNanos() {
        return lastSessionNanos;
    }

    public void connectionClosed() {
        activeConnections.decrementAndGet();
    }

    @Override
    public String toString() {
        return name + "(" + address.getHostString() + ":" + address.getPort() + ")";
    }
}
