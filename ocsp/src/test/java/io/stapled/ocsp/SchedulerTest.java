package io.stapled.ocsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.stapled.ocsp.RefreshOutcome.Result;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.responder.OcspResponderServer;
import io.stapled.testkit.responder.OcspResponderServer.Behaviour;
import io.stapled.testkit.Poll;
import io.stapled.testkit.MutableClock;
import io.stapled.testkit.TestPki;

/** The refresh scheduler driven by an injected clock; the responder shares that clock. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class SchedulerTest {
    private final TestPki pki = new TestPki("Scheduler");
    private MutableClock clock;
    private OcspResponderServer responder;

    @BeforeEach
    void setUp() {
        clock = new MutableClock(Instant.now());
        responder = OcspResponderServer.builder(pki.ca).clock(clock)
                .validity(Duration.ZERO, Duration.ofHours(4)).start();
    }

    @AfterEach
    void tearDown() {
        responder.close();
    }

    private OcspManager manager(OcspSettings.Builder settings, OcspListener listener) {
        OcspSettings s = settings.persist(false).watchFiles(false).pollInterval(Duration.ofMillis(20))
                .requestsPerSecond(1000).build();
        OcspManager.Builder b = OcspManager.builder().settings(s).clock(clock).random(new Random(11));
        if (listener != null) {
            b.listener(listener);
        }
        return b.build();
    }

    @Test
    void refreshIsScheduledNearTheMidpointAndRunsWhenTheClockGetsThere() throws Exception {
        IssuedCertificate leaf = pki.leaf(responder.url());
        try (OcspManager m = manager(OcspSettings.builder().minRefresh(Duration.ofMinutes(1)), null)) {
            ManagedCertificate c = m.manage(Subjects.of(leaf));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));
            Staple first = c.staple();
            assertNotNull(first);
            Instant mid = first.thisUpdate().plus(Duration.between(first.thisUpdate(), first.nextUpdate()).dividedBy(2));
            Duration jitter = Duration.ofHours(4).dividedBy(10);
            Instant next = c.nextRefresh();
            assertFalse(next.isBefore(mid.minus(jitter)), next + " vs midpoint " + mid);
            assertFalse(next.isAfter(mid.plus(jitter)), next + " vs midpoint " + mid);

            // nothing happens before the refresh point...
            // (the scheduler's own tick, run here: its decision is made before the assertions, with no sleep
            // that a loaded machine could outlast; starting a fetch clears nextRefresh at once)
            clock.set(next.minusSeconds(5));
            for (int i = 0; i < 3; i++) {
                m.tick();
            }
            assertEquals(next, c.nextRefresh(), "refreshed before its time");
            assertSame(first, c.staple());
            assertEquals(1, responder.requestCount());
            // ...and the scheduler fetches once the clock reaches it
            clock.set(next.plusSeconds(1));
            assertTrue(Poll.within(Duration.ofSeconds(5), () -> c.staple() != first), "no refresh at " + next);
            assertEquals(2, responder.requestCount());
            assertEquals(Staple.Origin.FETCHED, c.staple().origin());
            assertTrue(c.nextRefresh().isAfter(next));
        }
    }

    @Test
    void maxRefreshClampsTheSchedule() throws Exception {
        IssuedCertificate leaf = pki.leaf(responder.url());
        try (OcspManager m = manager(OcspSettings.builder().minRefresh(Duration.ofSeconds(10))
                .maxRefresh(Duration.ofMinutes(10)), null)) {
            ManagedCertificate c = m.manage(Subjects.of(leaf));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));
            assertEquals(clock.instant().plus(Duration.ofMinutes(10)), c.nextRefresh());
        }
    }

    @Test
    void minRefreshClampsTheSchedule() throws Exception {
        responder.validity(Duration.ofHours(-3), Duration.ofHours(1)); // midpoint an hour ago
        IssuedCertificate leaf = pki.leaf(responder.url());
        try (OcspManager m = manager(OcspSettings.builder().minRefresh(Duration.ofMinutes(7)), null)) {
            ManagedCertificate c = m.manage(Subjects.of(leaf));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));
            assertNotNull(c.staple());
            assertEquals(clock.instant().plus(Duration.ofMinutes(7)), c.nextRefresh());
        }
    }

    @Test
    void backoffGrowsAndStaysBeforeExpiryThenTheStapleIsDroppedAtNextUpdate() throws Exception {
        IssuedCertificate leaf = pki.leaf(responder.url());
        List<Staple> expired = new CopyOnWriteArrayList<>();
        OcspListener listener = new OcspListener() {
            @Override
            public void stapleExpired(ManagedCertificate c, Staple s) {
                expired.add(s);
            }
        };
        try (OcspManager m = manager(OcspSettings.builder().minRefresh(Duration.ofMinutes(1))
                .retryInitial(Duration.ofMinutes(10)).retryMax(Duration.ofHours(8)), listener)) {
            ManagedCertificate c = m.manage(Subjects.of(leaf));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));
            Staple good = c.staple();
            assertNotNull(good);

            responder.defaultBehaviour(Behaviour.HTTP_500);
            Duration previous = Duration.ZERO;
            for (int attempt = 1; attempt <= 3; attempt++) {
                RefreshOutcome o = m.refreshNow(c.id()).get(5, TimeUnit.SECONDS);
                assertEquals(Result.FAILED, o.result());
                assertEquals(attempt, c.consecutiveFailures());
                Duration delay = Duration.between(clock.instant(), c.nextRefresh());
                Duration base = Duration.ofMinutes(10).multipliedBy(1L << (attempt - 1));
                assertTrue(delay.compareTo(base.dividedBy(2)) >= 0 && delay.compareTo(base) <= 0,
                        "attempt " + attempt + " delay " + delay);
                assertTrue(delay.compareTo(previous.dividedBy(2)) > 0);
                previous = delay;
                assertTrue(c.nextRefresh().isBefore(good.nextUpdate()), "retry after expiry");
            }
            // a long backoff is clipped to land before the held staple expires
            clock.set(good.nextUpdate().minus(Duration.ofMinutes(20)));
            m.refreshNow(c.id()).get(5, TimeUnit.SECONDS);
            assertTrue(c.nextRefresh().isBefore(good.nextUpdate()), c.nextRefresh() + " after " + good.nextUpdate());
            assertEquals(good, c.staple(), "the good staple is kept while the responder fails");

            // the slot itself never hands out an expired staple, even before the scheduler drops it
            assertNull(c.slot().derIfValid(good.nextUpdate().toEpochMilli()));
            // at nextUpdate the staple is dropped
            clock.set(good.nextUpdate());
            // the listener hears of it just after the staple is dropped: wait for both, or this races
            assertTrue(Poll.within(Duration.ofSeconds(5), () -> c.staple() == null && !expired.isEmpty()),
                    "expired staple not dropped");
            assertNull(c.slot().derIfValid(clock.millis()));
            assertEquals(List.of(good), expired);
        }
    }

    /** {@code ocsp-update off}: no fetch at start nor when the refresh point passes, but refreshNow fetches. */
    @Test
    void withoutAutoUpdateOnlyRefreshNowFetches() throws Exception {
        IssuedCertificate leaf = pki.leaf(responder.url());
        OcspSubject s = Subjects.of(leaf);
        OcspSubject off = new OcspSubject(s.id(), s.leaf(), s.issuer(), null, null, true, false);
        try (OcspManager m = manager(OcspSettings.builder().minRefresh(Duration.ofMinutes(1)), null)) {
            ManagedCertificate c = m.manage(off);
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)), "start-up does not wait for it");
            assertEquals(0, responder.requestCount(), "no start-up fetch");
            assertNull(c.notFetchable(), "still fetchable on demand");
            assertEquals(Result.UPDATED, m.refreshNow(c.id()).get(5, TimeUnit.SECONDS).result());
            assertEquals(1, responder.requestCount());
            Instant next = c.nextRefresh();
            clock.set((next == null ? clock.instant().plus(Duration.ofHours(3)) : next).plusSeconds(1));
            for (int i = 0; i < 3; i++) {
                m.tick(); // run here: the decision is made before the assertion, without a sleep
            }
            assertNull(c.state().fetching(), "no scheduled refresh started");
            assertEquals(1, responder.requestCount());
        }
    }
}
