package io.stapled.proxy.backend;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;

/**
 * The same client address goes to the same server while the set of available servers is unchanged
 * (HAProxy's {@code balance source}): a hash of the address over the weighted available servers.
 */
final class SourceHashBalancer implements LoadBalancer {

    @Override
    public BackendServer pick(List<BackendServer> servers, InetAddress client) {
        long total = WeightedPick.availableWeight(servers);
        if (total == 0) {
            return null;
        }
        int hash = client == null ? 0 : mix(Arrays.hashCode(client.getAddress()));
        return WeightedPick.owner(servers, Math.floorMod(hash, total));
    }

    private static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        return h;
    }
}
