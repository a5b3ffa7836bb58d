package io.stapled.proxy.http;

import io.stapled.proxy.backend.BackendPool;

/**
 * One backend as a frontend's exchanges use it: its servers, the frontend's keep-alive connections to
 * them, who is told of each request it served (the access log and metrics for this frontend/backend
 * pair), and its server timeout.
 */
record Upstream(BackendPool pool, BackendConnections connections, HttpRequestObserver observer,
                long serverTimeoutNanos) {

    String name() {
        return pool.name();
    }
}
