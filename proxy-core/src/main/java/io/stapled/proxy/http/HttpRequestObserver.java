package io.stapled.proxy.http;

/**
 * Told of every finished HTTP request of one frontend, on the event loop that served it: the access
 * log is one observer, the request metrics another. Implementations must be quick and must not block.
 */
@FunctionalInterface
public interface HttpRequestObserver {
    /** Does nothing: for frontends without metrics and for tests. */
    HttpRequestObserver NOOP = request -> { };

    void requestCompleted(CompletedRequest request);

    /** This observer, then {@code next}. */
    default HttpRequestObserver andThen(HttpRequestObserver next) {
        if (next == NOOP) {
            return this;
        }
        if (this == NOOP) {
            return next;
        }
        return request -> {
            requestCompleted(request);
            next.requestCompleted(request);
        };
    }
}
