package io.stapled.proxy.backend;

import java.util.List;

/**
 * The weighted walk the ticket-based balancers share: a ticket in {@code [0, total weight)} of the
 * available servers names one of them, a server of weight 3 owning three consecutive tickets.
 */
final class WeightedPick {
    private WeightedPick() {
    }

    /** The sum of the weights of the available servers; 0 when none is available. */
    static long availableWeight(List<BackendServer> servers) {
        long total = 0;
        for (BackendServer s : servers) {
            if (s.isAvailable()) {
                total += s.weight();
            }
        }
        return total;
    }

    /** The available server owning {@code ticket}, or null when availability or weights changed since. */
    static BackendServer owner(List<BackendServer> servers, long ticket) {
        long left = ticket;
        for (BackendServer s : servers) {
            if (s.isAvailable()) {
                left -= s.weight();
                if (left < 0) {
                    return s;
                }
            }
        }
        return null;
    }

    /**
     * The available server a hash maps to, weighted (HAProxy's {@code hash-type map-based}): the same hash
     * keeps its server while the available servers and their weights do not change. Null when none is available.
     */
    static BackendServer byHash(List<BackendServer> servers, int hash) {
        long total = availableWeight(servers);
        if (total == 0) {
            return null;
        }
        return owner(servers, Math.floorMod(mix(hash), total));
    }

    /** Spreads the low bits, which {@link String#hashCode} of similar keys leave close together. */
    private static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        return h;
    }
}
