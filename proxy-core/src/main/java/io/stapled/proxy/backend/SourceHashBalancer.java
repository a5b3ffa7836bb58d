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
    public BackendServer pick(List<BackendServer> servers, BalanceInput input) {
        InetAddress client = input.source();
        return WeightedPick.byHash(servers, client == null ? 0 : Arrays.hashCode(client.getAddress()));
    }
}
