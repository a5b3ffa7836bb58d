package io.stapled.proxy.backend;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.stapled.config.BackendConfig;

/**
 * A backend's servers and the policy that picks one. Health checks and the runtime API change the
 * servers' state; {@link #select} reads it without locking.
 */
public final class BackendPool implements AutoCloseable {
    private final BackendConfig config;
    private final List<BackendServer> servers;
    private final LoadBalancer balancer;
    private HealthChecker healthChecker;

    public BackendPool(BackendConfig config) {
        this.config = config;
        List<BackendServer> list = new ArrayList<>();
        for (BackendConfig.ServerConfig s : config.servers()) {
            list.add(new BackendServer(s));
        }
        this.servers = List.copyOf(list);
        this.balancer = switch (config.balance()) {
            case ROUNDROBIN -> new RoundRobinBalancer();
            case LEASTCONN -> new LeastConnBalancer();
            case SOURCE -> new SourceHashBalancer();
        };
    }

    public String name() {
        return config.name();
    }

    public BackendConfig config() {
        return config;
    }

    public List<BackendServer> servers() {
        return servers;
    }

    public BackendServer server(String name) {
        for (BackendServer s : servers) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }

    /** A server for a new connection from {@code client}, or null when none is available (503). */
    public BackendServer select(InetAddress client) {
        return balancer.pick(servers, client);
    }

    /**
     * A server other than {@code failed} for a retry after a failed connect (HAProxy's redispatch),
     * or null when no other server is available. Off the hot path: it copies the server list.
     */
    public BackendServer selectExcluding(InetAddress client, BackendServer failed) {
        List<BackendServer> others = new ArrayList<>(servers.size());
        for (BackendServer s : servers) {
            if (s != failed) {
                others.add(s);
            }
        }
        return balancer.pick(others, client);
    }

    /**
     * Starts the active health checks, if the backend has any, on {@code group} with sockets of
     * {@code channelClass} (the transport the frontends use). Call once; {@link #close()} stops them.
     */
    public synchronized void start(EventLoopGroup group, Class<? extends SocketChannel> channelClass) {
        if (healthChecker != null) {
            throw new IllegalStateException("backend " + name() + " is already started");
        }
        if (config.healthCheck() != null) {
            healthChecker = new HealthChecker(this, config.healthCheck(), group, channelClass);
            healthChecker.start();
        }
    }

    /** Stops the health checks; the servers keep their last state. */
    @Override
    public synchronized void close() {
        if (healthChecker != null) {
            healthChecker.close();
        }
    }
}
