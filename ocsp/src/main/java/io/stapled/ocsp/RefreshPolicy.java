package io.stapled.ocsp;

import java.time.Duration;
import java.time.Instant;
import java.util.Random;

/**
 * When to fetch next. Pure: the same inputs (and the same Random) give the same answer, so the
 * scheduler's timing is tested without waiting.
 *
 * <p>After a good staple: around the midpoint of thisUpdate..nextUpdate, jittered by up to a tenth of
 * the window either way (so certificates sharing a responder spread out), then clamped to
 * [now + minRefresh, now + maxRefresh]. If that would land at or after nextUpdate (a response valid for
 * less than minRefresh), expiry wins: halfway between now and nextUpdate.
 *
 * <p>After a failure: retryInitial doubled per consecutive failure, capped at retryMax, with "equal
 * jitter" (a uniform pick in [delay/2, delay]); and if a staple is still held, always before its
 * nextUpdate (halfway to it when the backoff would overshoot).
 */
public final class RefreshPolicy {
    /** Refresh jitter as a fraction of the validity window, either side of the midpoint. */
    public static final double JITTER_FRACTION = 0.1;

    private final Duration minRefresh;
    private final Duration maxRefresh;
    private final Duration retryInitial;
    private final Duration retryMax;

    public RefreshPolicy(Duration minRefresh, Duration maxRefresh, Duration retryInitial, Duration retryMax) {
        this.minRefresh = minRefresh;
        this.maxRefresh = maxRefresh;
        this.retryInitial = retryInitial;
        this.retryMax = retryMax;
    }

    public static RefreshPolicy of(OcspSettings s) {
        return new RefreshPolicy(s.minRefresh(), s.maxRefresh(), s.retryInitial(), s.retryMax());
    }

    /** The unjittered refresh point: the midpoint of the validity window. */
    public Instant midpoint(Staple staple) {
        Duration window = validity(staple);
        return staple.thisUpdate().plus(window.dividedBy(2));
    }

    /** When to refresh a freshly installed staple. */
    public Instant nextRefresh(Staple staple, Instant now, Random random) {
        Duration window = validity(staple);
        long jitterMax = (long) (window.toMillis() * JITTER_FRACTION);
        long jitter = jitterMax == 0 ? 0 : random.nextLong(-jitterMax, jitterMax + 1);
        Instant at = midpoint(staple).plusMillis(jitter);
        Instant earliest = now.plus(minRefresh);
        Instant latest = now.plus(maxRefresh);
        if (at.isBefore(earliest)) {
            at = earliest;
        }
        if (at.isAfter(latest)) {
            at = latest;
        }
        if (!at.isBefore(staple.nextUpdate())) {
            at = halfwayTo(now, staple.nextUpdate());
        }
        return at;
    }

    /** The jittered delay before retry number {@code attempt} (1 = first retry). */
    public Duration backoff(int attempt, Random random) {
        Duration base = retryInitial;
        for (int i = 1; i < Math.min(attempt, 40) && base.compareTo(retryMax) < 0; i++) {
            base = base.multipliedBy(2);
        }
        if (base.compareTo(retryMax) > 0) {
            base = retryMax;
        }
        long half = base.toMillis() / 2;
        long jitter = half == 0 ? 0 : random.nextLong(0, half + 1);
        return Duration.ofMillis(base.toMillis() - half + jitter);
    }

    /**
     * When to retry after {@code attempt} consecutive failures. {@code expiry} is the nextUpdate of the
     * staple still held, or null; a retry is always scheduled before it.
     */
    public Instant nextRetry(int attempt, Instant now, Instant expiry, Random random) {
        Instant at = now.plus(backoff(attempt, random));
        if (expiry != null && expiry.isAfter(now) && !at.isBefore(expiry)) {
            at = halfwayTo(now, expiry);
        }
        return at;
    }

    private static Instant halfwayTo(Instant now, Instant end) {
        Duration left = Duration.between(now, end);
        return left.isNegative() ? now : now.plus(left.dividedBy(2));
    }

    private static Duration validity(Staple staple) {
        Duration window = Duration.between(staple.thisUpdate(), staple.nextUpdate());
        return window.isNegative() ? Duration.ZERO : window;
    }
}
