package io.stapled.proxy.backend;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import io.stapled.config.BackendConfig;

/**
 * A backend's servers and the policy that picks one. Health checks and the runtime API change the
 * servers' state; {@link #select} reads it without locking.
 */
public final class BackendPool {
    private final BackendConfig config;
    private final List<BackendServer> servers;
    private final LoadBalancer balancer;

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
}
