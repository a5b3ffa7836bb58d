package io.stapled.proxy.backend;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.stapled.config.BackendConfig.ServerConfig;

/**
 * One server of a backend and its live state. State changes (health, admin) are single volatile
 * writes; the counters are atomics, so any event loop may read and update them without a lock.
 */
public final class BackendServer {
    /** Administrative state, as HAProxy's {@code set server ... state}. */
    public enum AdminState { READY, DRAIN, MAINT }

    private final String name;
    private final InetSocketAddress address;
    private volatile int weight;
    private volatile boolean healthy = true;
    private volatile AdminState adminState = AdminState.READY;
    private final AtomicInteger activeConnections = new AtomicInteger();
    private final AtomicLong totalConnections = new AtomicLong();

    public BackendServer(ServerConfig config) {
        this.name = config.name();
        this.address = config.address().toSocketAddress();
        this.weight = config.weight();
    }

    public String name() {
        return name;
    }

    public InetSocketAddress address() {
        return address;
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
