package io.stapled.proxy.backend;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Weighted round robin: a shared counter walks the sum of available weights, so a server of weight
 * 3 gets three turns in every cycle. Lock-free; exact spread under concurrency is not a goal.
 */
final class RoundRobinBalancer implements LoadBalancer {
    private final AtomicLong counter = new AtomicLong();

    @Override
    public BackendServer pick(List<BackendServer> servers, InetAddress client) {
        long total = 0;
        for (BackendServer s : servers) {
            if (s.isAvailable()) {
                total += s.weight();
            }
        }
        if (total == 0) {
            return null;
        }
        long ticket = Math.floorMod(counter.getAndIncrement(), total);
        for (BackendServer s : servers) {
            if (s.isAvailable()) {
                ticket -= s.weight();
                if (ticket < 0) {
                    return s;
                }
            }
        }
        return null; // weights changed under us; the caller may retry
    }
}
