package io.stapled.proxy.backend;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Weighted round robin: a shared counter walks the sum of available weights, so a server of weight
 * 3 gets three turns in every cycle. Lock-free; exact spread under concurrency is not a goal.
 */
final class RoundRobinBalancer implements LoadBalancer {
    private final AtomicLong counter = new AtomicLong();

    @Override
    public BackendServer pick(List<BackendServer> servers, BalanceInput input) {
        long total = WeightedPick.availableWeight(servers);
        if (total == 0) {
            return null;
        }
        // null when weights changed under us; the caller may retry
        return WeightedPick.owner(servers, Math.floorMod(counter.getAndIncrement(), total));
    }
}
