package io.stapled.proxy.http;

import java.util.concurrent.atomic.LongAdder;

import io.stapled.proxy.backend.BackendServer;
import io.stapled.proxy.conn.RateCounter;

/**
 * The request counters of one frontend for the runtime API's {@code show stat}: requests, and
 * responses by status class, for the frontend and for the server that answered. Adders only: the
 * event loops that finish requests never wait on each other.
 */
public final class RequestCounters implements HttpRequestObserver {
    private final LongAdder requests = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final RateCounter rate = new RateCounter();
    private final LongAdder[] responses = new LongAdder[6];

    public RequestCounters() {
        for (int i = 0; i < responses.length; i++) {
            responses[i] = new LongAdder();
        }
    }

    @Override
    public void requestCompleted(CompletedRequest request) {
        int status = request.status();
        if (request.request() != null) {
            requests.increment();
            rate.increment();
        }
        if (status > 0) {
            responses[statusClass(status)].increment();
        }
        if (request.refused()) {
            refused.increment();
        }
        BackendServer server = request.server();
        if (server != null && request.request() != null && !request.refused()) {
            server.responded(status);
        }
    }

    /** 1 to 5 for 1xx to 5xx, 0 for anything else (HAProxy's {@code hrsp_other}). */
    static int statusClass(int status) {
        return status >= 100 && status <= 599 ? status / 100 : 0;
    }

    /** Requests whose head was read. */
    public long requests() {
        return requests.sum();
    }

    /** Requests the proxy refused itself: invalid or too slow (HAProxy's {@code ereq}). */
    public long refused() {
        return refused.sum();
    }

    /** Requests per second. */
    public RateCounter rate() {
        return rate;
    }

    /** Responses sent, by class: index 1 to 5 for 1xx to 5xx, 0 for other. */
    public long[] responses() {
        long[] r = new long[responses.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = responses[i].sum();
        }
        return r;
    }
}
