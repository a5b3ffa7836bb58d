package io.stapled.proxy.backend;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.stapled.config.BackendConfig;
import io.stapled.tls.BackendTlsContext;

/**
 * A backend's servers and the policy that picks one. Health checks and the runtime API change the
 * servers' state; {@link #select} reads it without locking. The server list itself is an immutable
 * snapshot behind a volatile reference: {@link #add} and {@link #remove} (runtime API, never an
 * event loop) publish a new list, and a pick in progress finishes on the list it started with.
 */
public final class BackendPool implements AutoCloseable {

    /** Told when the runtime API adds or deletes a server, on the thread that did it. */
    public interface ServerListener {
        void added(BackendPool pool, BackendServer server);

        void removed(BackendPool pool, BackendServer server);
    }

    private final BackendConfig config;
    private volatile List<BackendServer> servers;
    private final LoadBalancer balancer;
    private final List<ServerListener> listeners = new CopyOnWriteArrayList<>();
    private HealthChecker healthChecker;
    private final AddressRefresher addresses;

    public BackendPool(BackendConfig config) {
        this(config, HostResolver.SYSTEM);
    }

    /**
     * A pool whose server host names {@code resolver} looks up: once now (on the calling thread, at
     * start-up), then every {@code resolve_interval} once {@link #start started}.
     */
    public BackendPool(BackendConfig config, HostResolver resolver) {
        this.config = config;
        List<BackendServer> list = new ArrayList<>();
        try {
            for (BackendConfig.ServerConfig s : config.servers()) {
                list.add(new BackendServer(s, list.size() + 1, tlsFor(s)));
            }
        } catch (RuntimeException e) {
            list.forEach(BackendPool::closeTls);
            throw e;
        }
        this.servers = List.copyOf(list);
        this.balancer = switch (config.balance()) {
            case ROUNDROBIN -> new RoundRobinBalancer();
            case LEASTCONN -> new LeastConnBalancer();
            case SOURCE -> new SourceHashBalancer();
            case RANDOM -> new RandomBalancer();
            case URI -> new UriHashBalancer();
            case HDR -> new HeaderHashBalancer(config.balanceHeader());
        };
        this.addresses = new AddressRefresher(this, resolver);
        addresses.resolveAll();
    }

    public String name() {
        return config.name();
    }

    public BackendConfig config() {
        return config;
    }

    /** The servers now, in the order they were added (configured ones first); an immutable snapshot. */
    public List<BackendServer> servers() {
        return servers;
    }

    public void addListener(ServerListener listener) {
        listeners.add(listener);
    }

    /**
     * Adds a server (HAProxy's {@code add server}) in admin state {@code state}, with the lowest id no
     * other server has, as HAProxy does. When {@code checked}, the backend's health check watches it;
     * that needs a backend with one, {@link #start started}. Throws IllegalArgumentException when the
     * name is taken or the backend has no check, IllegalStateException when checks are not started.
     */
    public synchronized BackendServer add(BackendConfig.ServerConfig server, BackendServer.AdminState state,
            boolean checked) {
        List<BackendServer> now = servers;
        if (server(server.name()) != null) {
            throw new IllegalArgumentException("a server named " + server.name() + " already exists");
        }
        if (checked && config.healthCheck() == null) {
            throw new IllegalArgumentException("backend " + name() + " has no health_check");
        }
        if (checked && healthChecker == null) {
            throw new IllegalStateException("backend " + name() + ": health checks are not started");
        }
        int id = 1;
        while (hasId(now, id)) {
            id++;
        }
        BackendServer added = new BackendServer(server, id, tlsFor(server));
        added.setAdminState(state);
        List<BackendServer> next = new ArrayList<>(now);
        next.add(added);
        servers = List.copyOf(next);
        if (checked) {
            healthChecker.add(added);
        }
        listeners.forEach(l -> l.added(this, added));
        return added;
    }

    /**
     * Removes {@code server} from the backend (HAProxy's {@code del server}): no new connection picks it
     * and its health check stops. The caller checks it is in maintenance and unused; a connect that
     * picked it just before finishes on it. False when it is not (or no longer) in the backend.
     */
    public synchronized boolean remove(BackendServer server) {
        List<BackendServer> now = servers;
        if (!now.contains(server)) {
            return false;
        }
        List<BackendServer> next = new ArrayList<>(now);
        next.remove(server);
        servers = List.copyOf(next);
        server.markRemoved();
        if (healthChecker != null) {
            healthChecker.remove(server);
        }
        listeners.forEach(l -> l.removed(this, server));
        return true;
    }

    /**
     * Starts ({@code on}) or stops the health checks of {@code server} (HAProxy's {@code enable/disable
     * health}); false when the server is not health checked at all.
     */
    public synchronized boolean setHealthChecks(BackendServer server, boolean on) {
        if (healthChecker == null) {
            return false;
        }
        return on ? healthChecker.enable(server) : healthChecker.disable(server);
    }

    private BackendTlsContext tlsFor(BackendConfig.ServerConfig server) {
        return server.tls() == null ? null
                : BackendTlsContext.build(server.tls(), "backend " + config.name() + " server " + server.name());
    }

    private static void closeTls(BackendServer server) {
        if (server.tls() != null) {
            server.tls().close();
        }
    }

    private static boolean hasId(List<BackendServer> list, int id) {
        for (BackendServer s : list) {
            if (s.id() == id) {
                return true;
            }
        }
        return false;
    }

    /** The server whose stickiness cookie value is {@code value}, or null. */
    public BackendServer serverByCookie(String value) {
        for (BackendServer s : servers()) {
            if (s.cookie().equals(value)) {
                return s;
            }
        }
        return null;
    }

    public BackendServer server(String name) {
        for (BackendServer s : servers()) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }

    /** A server for a new TCP connection from {@code client}, or null when none is available. */
    public BackendServer select(InetAddress client) {
        return selectFor(() -> client);
    }

    /** A server for a new request or connection, or null when none is available (503). */
    public BackendServer selectFor(BalanceInput input) {
        return balancer.pick(servers(), input);
    }

    /**
     * As {@link #selectFor}, among the servers below their {@code max_connections} only (HAProxy takes
     * another server when the one the balancer picked is full); null when every available one is full.
     * Off the hot path: only when the first pick was full, and it copies the server list.
     */
    public BackendServer selectWithRoom(BalanceInput input) {
        List<BackendServer> now = servers();
        List<BackendServer> withRoom = new ArrayList<>(now.size());
        for (BackendServer s : now) {
            if (s.queue() == null || s.queue().hasRoom()) {
                withRoom.add(s);
            }
        }
        return balancer.pick(withRoom, input);
    }

    /**
     * A server other than {@code failed} for a retry after a failed connect (HAProxy's redispatch),
     * or null when no other server is available. Off the hot path: it copies the server list.
     */
    public BackendServer selectExcluding(InetAddress client, BackendServer failed) {
        List<BackendServer> now = servers();
        List<BackendServer> others = new ArrayList<>(now.size());
        for (BackendServer s : now) {
            if (s != failed) {
                others.add(s);
            }
        }
        return balancer.pick(others, () -> client);
    }

    /**
     * Starts the active health checks, if the backend has any, on {@code group} with sockets of
     * {@code channelClass} (the transport the frontends use). Call once; {@link #close()} stops them.
     */
    public synchronized void start(EventLoopGroup group, Class<? extends SocketChannel> channelClass) {
        if (healthChecker != null) {
            throw new IllegalStateException("backend " + name() + " is already started");
        }
        addresses.start(config.resolveInterval());
        if (config.healthCheck() != null) {
            healthChecker = new HealthChecker(this, config.healthCheck(), group, channelClass);
            healthChecker.start();
        }
    }

    /**
     * Stops the health checks; the servers keep their last state. Their TLS contexts are freed: call it
     * once no connection to them is made any more (at shutdown, after the event loops).
     */
    @Override
    public synchronized void close() {
        addresses.close();
        if (healthChecker != null) {
            healthChecker.close();
        }
        servers.forEach(BackendPool::closeTls);
    }
}
