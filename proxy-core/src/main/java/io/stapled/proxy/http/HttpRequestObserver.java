package io.stapled.proxy.http;

/**
 * Told of every finished HTTP request of one frontend/backend pair, on the event loop that served it.
 * Implementations must be quick and must not block. Get one from
 * {@code StapledMetrics.httpObserver(frontend, backend)} per frontend and call it where the access log is
 * written.
 */
@FunctionalInterface
public interface HttpRequestObserver {
    /** Does nothing: for frontends without metrics and for tests. */
    HttpRequestObserver NOOP = (status, durationNanos) -> { };

    /**
     * @param status        the status sent to the client (0 or out of range when none was sent)
     * @param durationNanos from the first byte of the request to the last byte of the response
     */
    void requestCompleted(int status, long durationNanos);
}
