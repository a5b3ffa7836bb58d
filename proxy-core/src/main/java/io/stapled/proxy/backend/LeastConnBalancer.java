package io.stapled.proxy.backend;

import java.util.List;

/** The available server with the fewest active connections relative to its weight. */
final class LeastConnBalancer implements LoadBalancer {

    @Override
    public BackendServer pick(List<BackendServer> servers, BalanceInput input) {
        BackendServer best = null;
        double bestLoad = Double.MAX_VALUE;
        for (BackendServer s : servers) {
            if (!s.isAvailable()) {
                continue;
            }
            double load = (s.activeConnections() + 1) / (double) s.weight();
            if (load < bestLoad) {
                best = s;
                bestLoad = load;
            }
        }
        return best;
    }
}
