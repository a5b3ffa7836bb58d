package io.stapled.proxy.http;

import io.stapled.proxy.backend.BackendPool;

/**
 * One backend as a frontend's exchanges use it: its servers, the frontend's keep-alive connections to
 * them, who is told of each request it served (the access log and metrics for this frontend/backend
 * pair), its server timeout, and its cookie stickiness (null without).
 */
record Upstream(BackendPool pool, BackendConnections connections, HttpRequestObserver observer,
                long serverTimeoutNanos, StickyCookie cookie) {

    Upstream(BackendPool pool, BackendConnections connections, HttpRequestObserver observer,
             long serverTimeoutNanos) {
        this(pool, connections, observer, serverTimeoutNanos,
                pool.config().cookie() == null ? null : new StickyCookie(pool.config().cookie()));
    }

    String name() {
        return pool.name();
    }
}
