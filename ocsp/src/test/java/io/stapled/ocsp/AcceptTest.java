package io.stapled.ocsp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.stapled.ocsp.RefreshOutcome.Result;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.responder.OcspResponderServer;
import io.stapled.testkit.responder.OcspResponderServer.Behaviour;
import io.stapled.testkit.TestPki;

/** Responses pushed over the runtime API: routed by CertID, verified, installed or refused. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class AcceptTest {
    private final TestPki pki = new TestPki("Accept");
    private final TestPki other = new TestPki("Foreign");
    private OcspResponderServer responder;
    private OcspResponderServer foreignResponder;
    private OcspManager manager;
    private ManagedCertificate a;
    private ManagedCertificate b;
    private IssuedCertificate leafA;
    private IssuedCertificate leafB;

    @BeforeEach
    void setUp() {
        responder = OcspResponderServer.builder(pki.ca).start();
        foreignResponder = OcspResponderServer.builder(other.ca).start();
        // no responder URL: only pushes can staple these
        leafA = pki.leaf(null);
        leafB = pki.leaf(null);
        manager = OcspManager.builder().settings(OcspSettings.builder().persist(false).watchFiles(false).build()).build();
        a = manager.manage(Subjects.of(leafA));
        b = manager.manage(Subjects.of(leafB));
        manager.start();
    }

    @AfterEach
    void tearDown() {
        manager.close();
        responder.close();
        foreignResponder.close();
    }

    @Test
    void goodResponseIsRoutedByCertIdToItsCertificate() {
        byte[] forB = responder.responseFor(TestPki.serial(leafB), Behaviour.GOOD);
        AcceptOutcome o = manager.accept(forB, Staple.Origin.RUNTIME_API);
        assertTrue(o.accepted(), o.detail());
        assertEquals(b.id(), o.certificateId());
        assertNull(a.staple());
        assertArrayEquals(forB, b.slot().derIfValid(System.currentTimeMillis()));
        assertEquals(Staple.Origin.RUNTIME_API, b.staple().origin());
        // the same bytes again change nothing
        assertEquals(Result.UNCHANGED, manager.accept(forB, Staple.Origin.RUNTIME_API).result());
    }

    @Test
    void delegatedResponseIsAccepted() {
        AcceptOutcome o = manager.accept(responder.responseFor(TestPki.serial(leafA), Behaviour.DELEGATED),
                Staple.Origin.RUNTIME_API);
        assertTrue(o.accepted(), o.detail());
        assertEquals(a.id(), o.certificateId());
    }

    @Test
    void foreignForgedExpiredRevokedAndGarbageAreRefusedAndTheGoodStapleKept() {
        assertTrue(manager.accept(responder.responseFor(TestPki.serial(leafA), Behaviour.GOOD),
                Staple.Origin.RUNTIME_API).accepted());
        Staple good = a.staple();
        assertNotNull(good);

        IssuedCertificate foreignLeaf = other.leaf(null);
        AcceptOutcome foreign = manager.accept(foreignResponder.responseFor(TestPki.serial(foreignLeaf), Behaviour.GOOD),
                Staple.Origin.RUNTIME_API);
        assertEquals(Result.REFUSED, foreign.result());
        assertNull(foreign.certificateId());
        assertTrue(foreign.detail().contains("no managed certificate"), foreign.detail());

        // same serial, but issued (and signed) by another CA: the issuer hashes do not match
        AcceptOutcome sameSerialOtherCa = manager.accept(
                foreignResponder.responseFor(TestPki.serial(leafA), Behaviour.GOOD), Staple.Origin.RUNTIME_API);
        assertEquals(Result.REFUSED, sameSerialOtherCa.result());
        assertNull(sameSerialOtherCa.certificateId());

        AcceptOutcome forged = manager.accept(responder.responseFor(TestPki.serial(leafA), Behaviour.FORGED),
                Staple.Origin.RUNTIME_API);
        assertEquals(Result.REFUSED, forged.result());
        assertEquals(a.id(), forged.certificateId());
        assertTrue(forged.detail().contains("signature"), forged.detail());

        AcceptOutcome expired = manager.accept(responder.responseFor(TestPki.serial(leafA), Behaviour.EXPIRED),
                Staple.Origin.RUNTIME_API);
        assertEquals(Result.REFUSED, expired.result());
        assertTrue(expired.detail().contains("expired"), expired.detail());

        AcceptOutcome revoked = manager.accept(responder.responseFor(TestPki.serial(leafA), Behaviour.REVOKED),
                Staple.Origin.RUNTIME_API);
        assertEquals(Result.REVOKED, revoked.result());
        assertEquals(1, a.badStatuses());

        AcceptOutcome garbage = manager.accept(new byte[] {0x30, 0x03, 0x0a, 0x01, 0x00}, Staple.Origin.RUNTIME_API);
        assertEquals(Result.REFUSED, garbage.result());

        AcceptOutcome tryLater = manager.accept(responder.responseFor(TestPki.serial(leafA), Behaviour.TRY_LATER),
                Staple.Origin.RUNTIME_API);
        assertEquals(Result.REFUSED, tryLater.result());
        assertTrue(tryLater.detail().contains("tryLater"), tryLater.detail());

        assertSame(good, a.staple());
    }

    @Test
    void responseNamingTheCertificateUnderAnotherHashIsRefusedSayingSoAndTheGoodStapleKept() {
        assertTrue(manager.accept(responder.responseFor(TestPki.serial(leafA), Behaviour.GOOD),
                Staple.Origin.RUNTIME_API).accepted());
        Staple good = a.staple();
        // Right certificate, right signature, but a SHA-256 CertID: OpenSSL and curl look for the SHA-1
        // one they compute, so such a staple would fail --cert-status; refused, routed to its certificate.
        AcceptOutcome o = manager.accept(responder.responseFor(TestPki.serial(leafA), Behaviour.OTHER_HASH),
                Staple.Origin.RUNTIME_API);
        assertEquals(Result.REFUSED, o.result());
        assertEquals(a.id(), o.certificateId());
        assertTrue(o.detail().startsWith("response CertID hash algorithm SHA-256, expected SHA-1"), o.detail());
        assertFalse(o.detail().contains("another certificate"), o.detail());
        assertSame(good, a.staple());
    }

    @Test
    void certificateManagedWithSha256AcceptsOnlyTheSha256CertId() {
        try (OcspManager m = OcspManager.builder().settings(OcspSettings.builder().persist(false).watchFiles(false)
                .hash(HashAlgorithm.SHA256).build()).build()) {
            ManagedCertificate c = m.manage(Subjects.of(leafA));
            m.start();
            AcceptOutcome sha1 = m.accept(responder.responseFor(TestPki.serial(leafA), Behaviour.GOOD),
                    Staple.Origin.RUNTIME_API);
            assertEquals(Result.REFUSED, sha1.result());
            assertTrue(sha1.detail().startsWith("response CertID hash algorithm SHA-1, expected SHA-256"), sha1.detail());
            assertNull(c.staple());
            byte[] sha256 = responder.responseFor(TestPki.serial(leafA), Behaviour.OTHER_HASH);
            AcceptOutcome ok = m.accept(sha256, Staple.Origin.RUNTIME_API);
            assertTrue(ok.accepted(), ok.detail());
            assertArrayEquals(sha256, c.staple().der());
        }
    }

    @Test
    void olderResponseDoesNotReplaceANewerOne() {
        responder.validity(Duration.ofMinutes(-1), Duration.ofHours(1));
        byte[] newer = responder.responseFor(TestPki.serial(leafA), Behaviour.GOOD);
        responder.validity(Duration.ofMinutes(-30), Duration.ofHours(1));
        byte[] older = responder.responseFor(TestPki.serial(leafA), Behaviour.GOOD);
        assertTrue(manager.accept(newer, Staple.Origin.RUNTIME_API).accepted());
        AcceptOutcome o = manager.accept(older, Staple.Origin.RUNTIME_API);
        assertEquals(Result.REFUSED, o.result());
        assertTrue(o.detail().contains("older"), o.detail());
        assertArrayEquals(newer, a.staple().der());
    }
}
