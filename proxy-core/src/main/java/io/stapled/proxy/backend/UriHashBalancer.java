package io.stapled.proxy.backend;

import java.util.List;

/**
 * The same path goes to the same server while the available servers are unchanged (HAProxy's
 * {@code balance uri}, whose default hashes the part before the query): for caches behind the proxy.
 */
final class UriHashBalancer implements LoadBalancer {
    private final LoadBalancer withoutUri = new RoundRobinBalancer();

    @Override
    public BackendServer pick(List<BackendServer> servers, BalanceInput input) {
        String uri = input.uri();
        if (uri == null) {
            return withoutUri.pick(servers, input); // a TCP connection has no path
        }
        int query = uri.indexOf('?');
        return WeightedPick.byHash(servers, (query < 0 ? uri : uri.substring(0, query)).hashCode());
    }
}
