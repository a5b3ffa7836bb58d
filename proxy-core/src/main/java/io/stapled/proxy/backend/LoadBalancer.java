package io.stapled.proxy.backend;

import java.util.List;

/** Picks a server for a new connection or request among those available. */
interface LoadBalancer {

    /** Returns null when no server is available. */
    BackendServer pick(List<BackendServer> servers, BalanceInput input);
}
