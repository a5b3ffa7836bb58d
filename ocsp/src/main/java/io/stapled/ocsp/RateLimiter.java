package io.stapled.ocsp;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Spaces requests to one responder at least 1/requestsPerSecond apart. {@link #reserve} hands out the
 * next free slot; the caller waits until then (on the scheduler, not by sleeping a thread).
 */
public final class RateLimiter {
    private final Duration spacing;
    private final ConcurrentMap<String, Instant> nextFree = new ConcurrentHashMap<>();

    public RateLimiter(double requestsPerSecond) {
        this.spacing = Duration.ofNanos((long) (1_000_000_000L / requestsPerSecond));
    }

    public Duration spacing() {
        return spacing;
    }

    /** Reserves the earliest slot at or after {@code now} for {@code responderKey}; returns that instant. */
    public Instant reserve(String responderKey, Instant now) {
        Instant[] slot = new Instant[1];
        nextFree.compute(responderKey, (k, free) -> {
            Instant at = free == null || free.isBefore(now) ? now : free;
            slot[0] = at;
            return at.plus(spacing);
        });
        return slot[0];
    }
}
