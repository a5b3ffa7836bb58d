package io.stapled.proxy.backend;

/**
 * The last health check of a server.
 *
 * @param status         HAProxy-style check status word
 * @param description    human text, e.g. {@code connection refused} or {@code HTTP status 503}
 * @param durationMillis time from the start of the check to its outcome
 * @param atMillis       wall-clock time of the outcome (epoch millis)
 */
public record CheckResult(CheckStatus status, String description, long durationMillis, long atMillis) {

    public boolean isSuccess() {
        return status.isSuccess();
    }
}
