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
        long total = 0;
        for (BackendServer s : servers) {
            if (s.isAvailable()) {
                total += s.weight();
            }
        }
        if (total == 0) {
            return null;
        }
        int hash = client == null ? 0 : mix(Arrays.hashCode(client.getAddress()));
        long ticket = Math.floorMod(hash, total);
        for (BackendServer s : servers) {
            if (s.isAvailable()) {
                ticket -= s.weight();
                if (ticket < 0) {
                    return s;
                }
            }
        }
        return null;
    }

    private static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        return h;
    }
}
