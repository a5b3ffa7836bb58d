package io.stapled.proxy.backend;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Power of two choices (HAProxy's {@code balance random}, whose default draws two): two servers drawn
 * at random in proportion to their weights, and the one with fewer active connections per weight is
 * taken (the first drawn on a tie, so idle servers share by weight). Needs no shared counter.
 */
final class RandomBalancer implements LoadBalancer {

    @Override
    public BackendServer pick(List<BackendServer> servers, BalanceInput input) {
        long total = WeightedPick.availableWeight(servers);
        if (total == 0) {
            return null;
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        BackendServer first = WeightedPick.owner(servers, random.nextLong(total));
        BackendServer second = WeightedPick.owner(servers, random.nextLong(total));
        if (first == null || second == null) {
            return first != null ? first : second; // weights changed under us
        }
        // active / weight compared by cross-multiplying, as HAProxy does: idle servers tie, whatever their
        // weights, so the draws alone share them by weight (with +1 a heavier idle server would win twice).
        return (long) second.activeConnections() * first.weight() < (long) first.activeConnections() * second.weight()
                ? second : first;
    }
}
