package io.stapled.ocsp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.stapled.ocsp.RefreshOutcome.Result;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.responder.OcspResponderServer;
import io.stapled.testkit.responder.OcspResponderServer.Behaviour;
import io.stapled.testkit.TestPki;

/** Every responder behaviour, fetched over real HTTP: what is stapled afterwards, and that a good staple is kept. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ResponderBehaviourTest {
    /**
     * The client's read timeout, and the responder's hang for {@link Behaviour#TIMEOUT}, three times longer.
     * Every exchange here must finish within the read timeout: it was 400 ms, which a good exchange
     * overran at a load average of 25 (delegatedResponderWithOcspSigningEkuIsStapled failed "timed out").
     * 2 s keeps the timeout row telling a read timeout from an answer after the hang.
     */
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration HANG = Duration.ofSeconds(6);
    private static TestPki pki;
    private static OcspResponderServer responder;

    @BeforeAll
    static void startResponder() throws Exception {
        pki = new TestPki("Behaviour");
        responder = OcspResponderServer.builder(pki.ca).hang(HANG).start();
        warmUp();
    }

    /**
     * The JVM's first OCSP exchange (HTTP client, BouncyCastle signing and parsing, class loading) can
     * take longer than the tests' read timeout on a loaded machine; pay for it here, once.
     */
    private static void warmUp() throws Exception {
        try (OcspManager m = OcspManager.builder().settings(OcspSettings.builder().persist(false).watchFiles(false)
                .readTimeout(Duration.ofSeconds(10)).requestsPerSecond(1000).build()).build()) {
            IssuedCertificate leaf = pki.leaf(responder.url());
            ManagedCertificate c = m.manage(Subjects.of(leaf));
            for (Behaviour b : new Behaviour[] {Behaviour.GOOD, Behaviour.DELEGATED}) {
                responder.behaviour(TestPki.serial(leaf), b);
                m.refreshNow(c.id()).get(20, TimeUnit.SECONDS);
            }
        }
    }

    @AfterAll
    static void stopResponder() {
        responder.close();
    }

    private static OcspManager manager() {
        return manager(HashAlgorithm.SHA1);
    }

    private static OcspManager manager(HashAlgorithm hash) {
        return OcspManager.builder().settings(OcspSettings.builder().persist(false).watchFiles(false)
                .readTimeout(READ_TIMEOUT).connectTimeout(Duration.ofSeconds(5))
                .requestsPerSecond(1000).hash(hash).build()).build();
    }

    @Test
    void certificateManagedWithSha256RefusesASha1AnswerAndKeepsItsStaple() throws Exception {
        // The rule follows the configured hash, whichever it is: the request's hash is the one expected.
        IssuedCertificate leaf = pki.leaf(responder.url());
        try (OcspManager m = manager(HashAlgorithm.SHA256)) {
            ManagedCertificate c = m.manage(Subjects.of(leaf));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));
            Staple good = c.staple();
            assertNotNull(good, c.lastError());
            responder.behaviour(TestPki.serial(leaf), Behaviour.OTHER_HASH);
            RefreshOutcome o = m.refreshNow(c.id()).get(5, TimeUnit.SECONDS);
            assertEquals(Result.REFUSED, o.result(), o.detail());
            assertTrue(o.detail().startsWith("response CertID hash algorithm SHA-1, expected SHA-256"), o.detail());
            assertSame(good, c.staple());
        }
    }

    @Test
    void goodIsStapled() throws Exception {
        IssuedCertificate leaf = pki.leaf(responder.url());
        try (OcspManager m = manager()) {
            ManagedCertificate c = m.manage(Subjects.of(leaf));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));
            Staple s = c.staple();
            assertNotNull(s);
            assertEquals(Staple.Origin.FETCHED, s.origin());
            assertEquals(Staple.CertStatus.GOOD, s.status());
            assertArrayEquals(s.der(), c.slot().derIfValid(System.currentTimeMillis()));
            assertEquals(UpdateResult.OK, c.lastResult());
            assertEquals("Update successful", c.lastResultText());
            assertEquals(1, c.successes());
            assertNotNull(c.nextRefresh());
        }
    }

    @Test
    void delegatedResponderWithOcspSigningEkuIsStapled() throws Exception {
        IssuedCertificate leaf = pki.leaf(responder.url());
        responder.behaviour(TestPki.serial(leaf), Behaviour.DELEGATED);
        try (OcspManager m = manager()) {
            ManagedCertificate c = m.manage(Subjects.of(leaf));
            m.start();
            RefreshOutcome o = m.refreshNow(c.id()).get(5, TimeUnit.SECONDS);
            assertEquals(Result.UPDATED, o.result(), o.detail());
            assertNotNull(c.slot().derIfValid(System.currentTimeMillis()));
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "REVOKED, REVOKED, REVOKED",
        "UNKNOWN, UNKNOWN, UNKNOWN",
        "TRY_LATER, REFUSED, tryLater",
        "MALFORMED, REFUSED, not a DER OCSP response",
        "HTTP_500, FAILED, HTTP 500",
        "TIMEOUT, FAILED, timed out",
        "FORGED, REFUSED, signature",
        "WRONG_CERT, REFUSED, another certificate",
        "OTHER_HASH, REFUSED, 'response CertID hash algorithm SHA-256, expected SHA-1'",
        "EXPIRED, REFUSED, expired",
        "NOT_YET_VALID, REFUSED, in the future",
        "NO_NEXT_UPDATE, REFUSED, no nextUpdate",
        "DELEGATED_NO_EKU, REFUSED, OCSPSigning",
    })
    void badAnswerStaplesNothingAndKeepsTheGoodStaple(Behaviour behaviour, Result expected, String reason)
            throws Exception {
        IssuedCertificate fresh = pki.leaf(responder.url());
        IssuedCertificate held = pki.leaf(responder.url());
        responder.behaviour(TestPki.serial(fresh), behaviour);
        try (OcspManager m = manager()) {
            ManagedCertificate freshCert = m.manage(Subjects.of(fresh));
            ManagedCertificate heldCert = m.manage(Subjects.of(held));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));

            // a certificate that never had a staple gets none
            assertNull(freshCert.staple(), "stapled despite " + behaviour);
            assertNull(freshCert.slot().derIfValid(System.currentTimeMillis()));
            assertEquals(1, freshCert.failures());
            assertEquals(behaviour == Behaviour.HTTP_500 || behaviour == Behaviour.TIMEOUT
                    ? UpdateResult.HTTP_ERROR : UpdateResult.CHECK_FAILURE, freshCert.lastResult());
            assertTrue(freshCert.lastError().contains(reason), freshCert.lastError());
            assertNotNull(freshCert.nextRefresh(), "a retry must be scheduled");

            // a certificate holding a good staple keeps it
            Staple good = heldCert.staple();
            assertNotNull(good);
            responder.behaviour(TestPki.serial(held), behaviour);
            long t0 = System.nanoTime();
            RefreshOutcome o = m.refreshNow(heldCert.id()).get(10, TimeUnit.SECONDS);
            assertEquals(expected, o.result(), o.detail());
            assertTrue(o.detail().contains(reason), o.detail());
            assertSame(good, heldCert.staple(), "good staple replaced after " + behaviour);
            assertArrayEquals(good.der(), heldCert.slot().derIfValid(System.currentTimeMillis()));
            assertEquals(1, heldCert.consecutiveFailures());
            assertTrue(heldCert.nextRefresh().isBefore(good.nextUpdate()), "retry must come before expiry");
            if (behaviour == Behaviour.REVOKED || behaviour == Behaviour.UNKNOWN) {
                assertEquals(1, heldCert.badStatuses());
            }
            if (behaviour == Behaviour.TIMEOUT) {
                // bounded by the read timeout, not the responder's hang
                long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertTrue(took < HANG.toMillis() - 1000, "took " + took + " ms");
            }
        }
    }
}
