package io.stapled.ocsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Random;

import org.junit.jupiter.api.Test;

class RefreshPolicyTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private final RefreshPolicy policy = new RefreshPolicy(Duration.ofMinutes(5), Duration.ofDays(1),
            Duration.ofSeconds(10), Duration.ofMinutes(30));

    private static Staple staple(Instant thisUpdate, Instant nextUpdate) {
        return new Staple(new byte[] {1}, Staple.CertStatus.GOOD, thisUpdate, nextUpdate, thisUpdate,
                Staple.Origin.FETCHED, thisUpdate);
    }

    @Test
    void refreshLandsNearTheMidpointWithinJitter() {
        Staple s = staple(T0, T0.plus(Duration.ofHours(24)));
        Instant mid = T0.plus(Duration.ofHours(12));
        Duration jitter = Duration.ofMillis((long) (Duration.ofHours(24).toMillis() * RefreshPolicy.JITTER_FRACTION));
        Random r = new Random(42);
        Instant earliest = Instant.MAX;
        Instant latest = Instant.MIN;
        for (int i = 0; i < 500; i++) {
            Instant at = policy.nextRefresh(s, T0, r);
            assertFalse(at.isBefore(mid.minus(jitter)), at + " before midpoint - jitter");
            assertFalse(at.isAfter(mid.plus(jitter)), at + " after midpoint + jitter");
            earliest = earliest.isBefore(at) ? earliest : at;
            latest = latest.isAfter(at) ? latest : at;
        }
        // the jitter is real: picks spread over most of the window either side
        assertTrue(Duration.between(earliest, latest).compareTo(jitter) > 0, "jitter spread too small");
        assertEquals(mid, policy.midpoint(s));
    }

    @Test
    void neverSoonerThanMinRefresh() {
        // midpoint already passed (e.g. an old .ocsp file): wait at least minRefresh
        Staple s = staple(T0, T0.plus(Duration.ofHours(24)));
        Instant now = T0.plus(Duration.ofHours(20));
        assertEquals(now.plus(Duration.ofMinutes(5)), policy.nextRefresh(s, now, new Random(1)));
    }

    @Test
    void neverLaterThanMaxRefresh() {
        Staple s = staple(T0, T0.plus(Duration.ofDays(7)));
        assertEquals(T0.plus(Duration.ofDays(1)), policy.nextRefresh(s, T0, new Random(1)));
    }

    @Test
    void expiryWinsOverMinRefreshForVeryShortResponses() {
        Staple s = staple(T0, T0.plus(Duration.ofMinutes(2)));
        Instant at = policy.nextRefresh(s, T0, new Random(1));
        assertTrue(at.isBefore(s.nextUpdate()), at + " is not before expiry");
        assertEquals(T0.plus(Duration.ofMinutes(1)), at);
    }

    @Test
    void backoffGrowsWithJitterAndIsCapped() {
        Random r = new Random(7);
        long previousMax = 0;
        for (int attempt = 1; attempt <= 12; attempt++) {
            long base = Math.min(10_000L << (attempt - 1), Duration.ofMinutes(30).toMillis());
            for (int i = 0; i < 50; i++) {
                long d = policy.backoff(attempt, r).toMillis();
                assertTrue(d >= base / 2 && d <= base, "attempt " + attempt + ": " + d + " outside [" + base / 2 + "," + base + "]");
            }
            assertTrue(base >= previousMax);
            previousMax = base;
        }
        assertTrue(policy.backoff(100, r).compareTo(Duration.ofMinutes(30)) <= 0);
    }

    @Test
    void retryStaysBeforeExpiryOfTheHeldStaple() {
        Random r = new Random(3);
        Instant expiry = T0.plus(Duration.ofMinutes(3));
        for (int attempt = 1; attempt <= 20; attempt++) {
            Instant at = policy.nextRetry(attempt, T0, expiry, r);
            assertTrue(at.isBefore(expiry), "attempt " + attempt + " retries at " + at + ", after expiry " + expiry);
            assertTrue(at.isAfter(T0));
        }
        // without a staple the backoff is not clipped
        Instant free = policy.nextRetry(10, T0, null, r);
        assertTrue(free.isAfter(T0.plus(Duration.ofMinutes(14))), free.toString());
    }
}
