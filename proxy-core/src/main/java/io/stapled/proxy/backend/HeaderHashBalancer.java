package io.stapled.proxy.backend;

import java.util.List;

/**
 * The same value of one request header goes to the same server while the available servers are
 * unchanged (HAProxy's {@code balance hdr(NAME)}); a request without the header, or a TCP connection,
 * is balanced round robin, as HAProxy does.
 */
final class HeaderHashBalancer implements LoadBalancer {
    private final String header;
    private final LoadBalancer withoutHeader = new RoundRobinBalancer();

    HeaderHashBalancer(String header) {
        this.header = header;
    }

    @Override
    public BackendServer pick(List<BackendServer> servers, BalanceInput input) {
        String value = input.header(header);
        if (value == null || value.isEmpty()) {
            return withoutHeader.pick(servers, input);
        }
        return WeightedPick.byHash(servers, value.hashCode());
    }
}
