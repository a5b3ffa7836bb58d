package io.stapled.proxy.backend;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.util.NetUtil;
import io.stapled.config.BackendConfig;
import io.stapled.config.HostPort;

/**
 * Re-resolves the host names of a backend's configured servers every {@code resolve_interval} on a
 * thread of its own (a lookup blocks; never on an event loop). When the answer changes the server's
 * address follows ({@link BackendServer#setAddress}): new connections and checks go there, and idle
 * pooled connections to the old address are closed instead of reused. A failed lookup keeps the last
 * good address and is logged once until a lookup succeeds again. Only a change of the DNS answer moves
 * a server, so an address the runtime API set stays until the name resolves to something new.
 */
final class AddressRefresher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AddressRefresher.class);

    private final BackendPool pool;
    private final HostResolver resolver;
    private final boolean preferIpv6;
    /** What each server's name last resolved to; a server absent has not resolved yet. */
    private final Map<BackendServer, InetAddress> lastResolved = new ConcurrentHashMap<>();
    private final Map<BackendServer, Boolean> failing = new ConcurrentHashMap<>();
    private ScheduledExecutorService executor;

    AddressRefresher(BackendPool pool, HostResolver resolver) {
        this.pool = pool;
        this.resolver = resolver;
        this.preferIpv6 = pool.config().resolvePrefer() == BackendConfig.ResolvePrefer.IPV6;
    }

    /** True when {@code host} is a name to look up, not an address literal. */
    static boolean isName(String host) {
        return !NetUtil.isValidIpV4Address(host) && !NetUtil.isValidIpV6Address(host);
    }

    /** Resolves every server's name now, on the calling thread (at start-up). */
    void resolveAll() {
        for (BackendConfig.ServerConfig config : pool.config().servers()) {
            BackendServer server = pool.server(config.name());
            if (server != null && isName(config.address().host())) {
                resolve(server, config.address());
            }
        }
    }

    /** Starts re-resolving every {@code interval}; nothing to do when no server has a name. */
    synchronized void start(Duration interval) {
        boolean anyName = pool.config().servers().stream().anyMatch(s -> isName(s.address().host()));
        if (!anyName || interval.isZero() || executor != null) {
            return;
        }
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "stapled-resolve-" + pool.name());
            t.setDaemon(true);
            return t;
        });
        long millis = interval.toMillis();
        executor.scheduleWithFixedDelay(this::resolveAll, millis, millis, TimeUnit.MILLISECONDS);
    }

    private void resolve(BackendServer server, HostPort configured) {
        InetAddress chosen;
        try {
            InetAddress found = choose(resolver.resolve(configured.host()));
            chosen = InetAddress.getByAddress(configured.host(), found.getAddress()); // keeps the name for logs
        } catch (UnknownHostException | RuntimeException e) {
            if (failing.put(server, Boolean.TRUE) == null) {
                LOG.warn("backend {} server {}: cannot resolve {} ({}); keeping {}", pool.name(), server.name(),
                        configured.host(), e.toString(), server.address());
            }
            return;
        }
        if (failing.remove(server) != null) {
            LOG.info("backend {} server {}: {} resolves again", pool.name(), server.name(), configured.host());
        }
        InetAddress before = lastResolved.put(server, chosen);
        if (!chosen.equals(before) && !chosen.equals(server.address().getAddress())) {
            InetSocketAddress next = new InetSocketAddress(chosen, configured.port());
            LOG.info("backend {} server {}: {} now resolves to {} (was {})", pool.name(), server.name(),
                    configured.host(), chosen.getHostAddress(), server.address());
            server.setAddress(next);
        }
    }

    /** The first address of the preferred family, else the first of the other. */
    private InetAddress choose(InetAddress[] all) throws UnknownHostException {
        if (all == null || all.length == 0) {
            throw new UnknownHostException("no address");
        }
        for (InetAddress a : all) {
            if (preferIpv6 ? a instanceof Inet6Address : a instanceof Inet4Address) {
                return a;
            }
        }
        return all[0];
    }

    @Override
    public synchronized void close() {
        if (executor != null) {
            executor.shutdownNow();
            executor = null;
        }
    }
}
