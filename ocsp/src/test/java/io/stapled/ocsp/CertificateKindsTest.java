package io.stapled.ocsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.stapled.ocsp.RefreshOutcome.Result;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.responder.OcspResponderServer;
import io.stapled.testkit.responder.OcspResponderServer.Behaviour;
import io.stapled.testkit.Poll;
import io.stapled.testkit.TestPki;

/** Certificates without an OCSP URL, without an issuer, disabled, and Must-Staple ones. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class CertificateKindsTest {
    private final TestPki pki = new TestPki("Kinds");
    private OcspResponderServer responder;
    private ListAppender<ILoggingEvent> logs;
    private Logger managerLog;

    @BeforeEach
    void setUp() {
        responder = OcspResponderServer.builder(pki.ca).start();
        managerLog = (Logger) LoggerFactory.getLogger(OcspManager.class);
        logs = new ListAppender<>();
        logs.start();
        managerLog.addAppender(logs);
    }

    @AfterEach
    void tearDown() {
        managerLog.detachAppender(logs);
        responder.close();
    }

    private static OcspManager manager(boolean mustStapleRequired) {
        return OcspManager.builder().settings(OcspSettings.builder().persist(false).watchFiles(false)
                .pollInterval(Duration.ofMillis(20)).retryInitial(Duration.ofMillis(50))
                .requestsPerSecond(1000).mustStapleRequired(mustStapleRequired).build()).build();
    }

    private List<ILoggingEvent> linesAbout(String id) {
        // polled while the engine logs: ListAppender appends under its own lock, so read under it too
        synchronized (logs) {
            return logs.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.INFO))
                    .filter(e -> e.getFormattedMessage().contains(id)).collect(Collectors.toList());
        }
    }

    @Test
    void certificateWithoutOcspUrlIsReportedOnceAndNeverFetched() throws Exception {
        IssuedCertificate leaf = pki.leaf(null);
        try (OcspManager m = manager(false)) {
            ManagedCertificate c = m.manage(Subjects.of(leaf));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(2)));
            // ten scheduler ticks, run here so they have all happened before the assertions: none of them
            // may fetch or log again
            for (int i = 0; i < 10; i++) {
                m.tick();
            }
            assertEquals(ManagedCertificate.NotFetchable.NO_RESPONDER, c.notFetchable());
            assertNull(c.responder());
            assertNull(c.staple());
            assertNull(c.nextRefresh());
            assertEquals(Result.NOT_FETCHABLE, m.refreshNow(c.id()).get(1, TimeUnit.SECONDS).result());
            assertEquals(0, responder.requestCount());
            assertEquals(0, c.failures());
            List<ILoggingEvent> lines = linesAbout(c.id());
            assertEquals(1, lines.size(), lines.toString());
            assertEquals(ch.qos.logback.classic.Level.INFO, lines.get(0).getLevel());
            assertTrue(lines.get(0).getFormattedMessage().contains("no OCSP responder URL"));
        }
    }

    @Test
    void globalOverrideGivesAResponderToACertificateWithoutUrl() throws Exception {
        IssuedCertificate leaf = pki.leaf(null);
        OcspSettings s = OcspSettings.builder().persist(false).watchFiles(false).responderOverride(responder.uri()).build();
        try (OcspManager m = OcspManager.builder().settings(s).build()) {
            ManagedCertificate c = m.manage(Subjects.of(leaf));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));
            assertEquals(responder.uri(), c.responder());
            assertNotNull(c.staple());
        }
    }

    @Test
    void perCertificateOverrideWinsOverTheAiaUrl() throws Exception {
        IssuedCertificate leaf = pki.leaf("http://127.0.0.1:9/unreachable");
        OcspSubject subject = new OcspSubject("override", leaf.certificate(), pki.ca.certificate(), null,
                responder.uri(), true);
        try (OcspManager m = manager(false)) {
            ManagedCertificate c = m.manage(subject);
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));
            assertNotNull(c.staple());
            assertEquals(1, responder.requestCount());
        }
    }

    @Test
    void disabledAndIssuerlessCertificatesAreNeverFetched() throws Exception {
        IssuedCertificate a = pki.leaf(responder.url());
        IssuedCertificate b = pki.leaf(responder.url());
        try (OcspManager m = manager(false)) {
            ManagedCertificate disabled = m.manage(new OcspSubject("disabled", a.certificate(), pki.ca.certificate(),
                    null, null, false));
            ManagedCertificate noIssuer = m.manage(new OcspSubject("no-issuer", b.certificate(), null, null, null,
                    true));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(2)));
            assertEquals(ManagedCertificate.NotFetchable.DISABLED, disabled.notFetchable());
            assertEquals(ManagedCertificate.NotFetchable.NO_ISSUER, noIssuer.notFetchable());
            assertNull(noIssuer.certIdHex());
            // a pushed response for the disabled certificate is refused
            AcceptOutcome o = m.accept(responder.responseFor(TestPki.serial(a), Behaviour.GOOD), Staple.Origin.RUNTIME_API);
            assertFalse(o.accepted());
            assertEquals("disabled", o.certificateId());
            assertEquals(0, responder.requestCount());
            assertNull(disabled.staple());
        }
    }

    @Test
    void manageIsIdempotentAndUnmanageStopsRefreshing() throws Exception {
        IssuedCertificate leaf = pki.leaf(responder.url());
        try (OcspManager m = manager(false)) {
            OcspSubject subject = Subjects.of(leaf);
            ManagedCertificate c = m.manage(subject);
            assertTrue(c == m.manage(subject));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));
            m.unmanage(c.id());
            assertNull(m.certificate(c.id()));
            assertTrue(m.certificates().isEmpty());
            // a certificate added after start() is started at once
            ManagedCertificate late = m.manage(Subjects.of(pki.leaf(responder.url())));
            assertTrue(Poll.within(Duration.ofSeconds(5), () -> late.staple() != null));
        }
    }

    @Test
    void mustStapleWithoutStapleRaisesTheAlarmAndCanFailStartup() throws Exception {
        IssuedCertificate must = pki.mustStapleLeaf(responder.url());
        IssuedCertificate plain = pki.leaf(responder.url());
        responder.behaviour(TestPki.serial(must), Behaviour.HTTP_500);
        responder.behaviour(TestPki.serial(plain), Behaviour.HTTP_500);
        try (OcspManager m = manager(true)) {
            ManagedCertificate mc = m.manage(Subjects.of(must));
            ManagedCertificate pc = m.manage(Subjects.of(plain));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));
            assertTrue(mc.mustStaple());
            assertFalse(pc.mustStaple());
            assertTrue(mc.mustStapleAlarm());
            assertFalse(pc.mustStapleAlarm(), "only Must-Staple certificates raise the alarm");
            assertEquals(List.of(mc), m.mustStapleAlarms());
            IllegalStateException e = assertThrows(IllegalStateException.class, m::requireMustStaple);
            assertTrue(e.getMessage().contains(mc.id()), e.getMessage());
            assertTrue(Poll.within(Duration.ofSeconds(2), () -> linesAbout(mc.id()).stream()
                    .anyMatch(l -> l.getLevel() == ch.qos.logback.classic.Level.ERROR
                            && l.getFormattedMessage().contains("Must-Staple"))), "no ERROR line for the Must-Staple alarm");

            responder.behaviour(TestPki.serial(must), Behaviour.GOOD);
            assertTrue(m.refreshNow(mc.id()).get(5, TimeUnit.SECONDS).installed());
            assertFalse(mc.mustStapleAlarm());
            assertTrue(m.mustStapleAlarms().isEmpty());
            m.requireMustStaple();
        }
    }

    @Test
    void mustStapleNotRequiredDoesNotFailStartup() throws Exception {
        IssuedCertificate must = pki.mustStapleLeaf(responder.url());
        responder.behaviour(TestPki.serial(must), Behaviour.HTTP_500);
        try (OcspManager m = manager(false)) {
            ManagedCertificate mc = m.manage(Subjects.of(must));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));
            assertTrue(mc.mustStapleAlarm());
            m.requireMustStaple();
        }
    }

    @Test
    void repeatedIdenticalFailuresLogOneLineAndRecoveryLogsOne() throws Exception {
        IssuedCertificate leaf = pki.leaf(responder.url());
        responder.behaviour(TestPki.serial(leaf), Behaviour.EXPIRED);
        try (OcspManager m = manager(false)) {
            ManagedCertificate c = m.manage(Subjects.of(leaf));
            m.start();
            assertTrue(Poll.within(Duration.ofSeconds(5), () -> c.failures() >= 4), "retries did not happen");
            List<ILoggingEvent> lines = linesAbout(c.id());
            assertEquals(1, lines.size(), lines.toString());
            assertEquals(ch.qos.logback.classic.Level.WARN, lines.get(0).getLevel());

            responder.behaviour(TestPki.serial(leaf), Behaviour.GOOD);
            // the "installed" line is logged just after the staple is installed: wait for both, or this races
            assertTrue(Poll.within(Duration.ofSeconds(5), () -> c.staple() != null && linesAbout(c.id()).size() >= 2));
            lines = linesAbout(c.id());
            assertEquals(2, lines.size(), lines.toString());
            assertTrue(lines.get(1).getFormattedMessage().contains("installed fetched staple"), lines.toString());
        }
    }

    @Test
    void proxyAddressParses() {
        assertEquals(java.net.InetSocketAddress.createUnresolved("proxy.example", 3128),
                OcspSettings.proxyAddress("proxy.example:3128"));
        assertEquals(3128, OcspSettings.proxyAddress("http://[::1]:3128/").getPort());
        assertNull(OcspSettings.proxyAddress(" "));
        assertThrows(IllegalArgumentException.class, () -> OcspSettings.proxyAddress("proxy.example"));
        assertThrows(IllegalArgumentException.class, () -> OcspSettings.proxyAddress("proxy.example:99999"));
    }
}
