package io.stapled.ocsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.responder.OcspResponderServer;
import io.stapled.testkit.responder.OcspResponderServer.Behaviour;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.Poll;

/** The engine owns each certificate's slot and is the one place a served certificate is bound to it. */
@Timeout(20)
class StapleOwnershipTest {
    private final TestPki pki = new TestPki("ownership");
    private OcspResponderServer responder;

    @BeforeEach
    void start() throws Exception {
        responder = OcspResponderServer.builder(pki.ca).start();
    }

    @AfterEach
    void stop() {
        responder.close();
    }

    private static OcspSettings.Builder settings() {
        return OcspSettings.builder().persist(false).watchFiles(false).pollInterval(Duration.ofMillis(20))
                .requestsPerSecond(1000);
    }

    private OcspSubject subject(String id, IssuedCertificate leaf) {
        return OcspSubject.of(id, leaf.certificate(), pki.ca.certificate(), null);
    }

    @Test
    void theSameCertificateBoundTwiceSharesOneSlotAndANewLeafGetsItsOwn() throws Exception {
        IssuedCertificate first = pki.leaf(responder.url());
        IssuedCertificate renewed = pki.leaf(responder.url());
        try (OcspManager m = OcspManager.builder().settings(settings().build()).build()) {
            StapleSlot a = m.slotFor(subject("site.pem", first));
            // a second frontend serving the same file: no copy, no mirror, the same slot
            assertSame(a, m.slotFor(subject("site.pem", first)));
            assertEquals(1, m.certificates().size());
            assertSame(a, m.certificate("site.pem").slot());
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));
            Staple old = a.current();
            assertNotNull(old);

            // commit ssl cert: a new leaf under the same id is managed afresh, with a slot of its own
            StapleSlot b = m.slotFor(subject("site.pem", renewed));
            assertNotSame(a, b);
            assertEquals(renewed.certificate(), m.certificate("site.pem").subject().leaf());
            assertEquals(1, m.certificates().size());
            assertTrue(Poll.within(Duration.ofSeconds(5), () -> b.current() != null), "the new leaf is fetched at once");
            assertSame(old, a.current(), "the old slot keeps serving the old certificate's handshakes");
            assertSame(b, m.slotFor(subject("site.pem", renewed)));
        }
    }

    @Test
    void theRuleForAMissingIssuerIsTheSubjects() {
        IssuedCertificate withUrl = pki.leaf(responder.url());
        IssuedCertificate withoutUrl = pki.leaf(null);
        OcspSettings on = settings().build();
        OcspSubject noIssuer = new OcspSubject("a", withUrl.certificate(), null, null, null, true);
        assertTrue(noIssuer.missingIssuer(on), "a responder but no issuer can never be stapled");
        assertFalse(noIssuer.missingIssuer(settings().enabled(false).build()));
        assertFalse(new OcspSubject("a", withUrl.certificate(), null, null, null, false).missingIssuer(on));
        OcspSubject nowhere = new OcspSubject("b", withoutUrl.certificate(), null, null, null, true);
        assertFalse(nowhere.missingIssuer(on), "no responder either: served without a staple, not an error");
        assertFalse(nowhere.missingIssuer(settings().responderOverride(URI.create(responder.url())).build()),
                "a global responder alone (e.g. a self-signed certificate): served without a staple, not an error");
        assertTrue(new OcspSubject("b", withoutUrl.certificate(), null, null, URI.create(responder.url()), true)
                .missingIssuer(on), "a responder named for this certificate counts");
        assertEquals(ManagedCertificate.NotFetchable.NO_RESPONDER,
                new OcspSubject("c", withoutUrl.certificate(), pki.ca.certificate(), null, null, true).notFetchable(on));
    }

    @Test
    void settingsThatDisableOcspDisableEveryCertificate() throws Exception {
        IssuedCertificate leaf = pki.leaf(responder.url());
        try (OcspManager m = OcspManager.builder().settings(settings().enabled(false).build()).build()) {
            ManagedCertificate c = m.manage(subject("site.pem", leaf));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(2)));
            assertFalse(c.enabled());
            assertEquals(ManagedCertificate.NotFetchable.DISABLED, c.notFetchable());
            assertFalse(m.accept(responder.responseFor(TestPki.serial(leaf), Behaviour.GOOD),
                    Staple.Origin.RUNTIME_API).accepted());
            assertNull(c.staple());
            assertEquals(0, responder.requestCount());
        }
    }
}
