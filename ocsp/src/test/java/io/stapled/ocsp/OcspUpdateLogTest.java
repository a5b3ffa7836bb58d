package io.stapled.ocsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.responder.OcspResponderServer;
import io.stapled.testkit.responder.OcspResponderServer.Behaviour;

/** HAProxy's {@code <OCSP-UPDATE>} line on its own logger, one per fetch, with the per-certificate counts. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class OcspUpdateLogTest {
    private static final Pattern PREFIX =
            Pattern.compile("-:- \\[\\d{2}/[A-Z][a-z]{2}/\\d{4}:\\d{2}:\\d{2}:\\d{2}\\.\\d{3}\\] ");
    private final TestPki pki = new TestPki("UpdateLog");
    private OcspResponderServer responder;
    private Logger updateLog;
    private ch.qos.logback.classic.Level savedLevel;
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeEach
    void setUp() {
        responder = OcspResponderServer.builder(pki.ca).start();
        updateLog = (Logger) org.slf4j.LoggerFactory.getLogger("stapled.ocsp-update");
        savedLevel = updateLog.getLevel();
        updateLog.setLevel(ch.qos.logback.classic.Level.INFO); // the tests' logging config may keep INFO quiet
        logs.start();
        updateLog.addAppender(logs);
    }

    @AfterEach
    void tearDown() {
        updateLog.detachAppender(logs);
        updateLog.setLevel(savedLevel);
        responder.close();
    }

    /** The lines, each with its {@code -:- [date] } prefix checked and cut off. */
    private List<String> lines() {
        List<String> all;
        synchronized (logs) { // the engine's threads append under the appender's lock
            all = logs.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
        }
        for (String l : all) {
            assertTrue(PREFIX.matcher(l).lookingAt(), "HAProxy's '-:- [dd/Mmm/yyyy:HH:mm:ss.SSS] ' first: " + l);
        }
        return all.stream().map(l -> PREFIX.matcher(l).replaceFirst("")).collect(Collectors.toList());
    }

    @Test
    void theDateIsHaproxysRequestDateInTheGivenZone() {
        IssuedCertificate leaf = pki.leaf(responder.url());
        Path file = Path.of("/etc/stapled/site.pem");
        ManagedCertificate mc = new ManagedCertificate(OcspSubject.of(file.toString(), leaf.certificate(),
                pki.ca.certificate(), file), OcspSettings.builder().build(), java.time.Clock.systemUTC());
        assertEquals("-:- [02/Dec/2026:14:05:09.042] <OCSP-UPDATE> /etc/stapled/site.pem 0 \"Unknown\" 0 0",
                OcspUpdateLog.line(mc, java.time.Instant.parse("2026-12-02T13:05:09.042Z"),
                        java.time.ZoneId.of("Europe/Paris")));
    }

    @Test
    void successesAndFailuresAreLoggedWithHaproxysStatusAndCounts() throws Exception {
        IssuedCertificate leaf = pki.leaf(responder.url());
        BigInteger serial = leaf.certificate().getSerialNumber();
        Path file = Path.of("/etc/stapled/site.pem");
        OcspSubject subject = OcspSubject.of(file.toString(), leaf.certificate(), pki.ca.certificate(), file);
        OcspSettings settings = OcspSettings.builder().persist(false).watchFiles(false).requestsPerSecond(1000).build();
        try (OcspManager m = OcspManager.builder().settings(settings).build()) {
            m.manage(subject);
            assertEquals(RefreshOutcome.Result.UPDATED, m.refreshNow(file.toString()).get(5, TimeUnit.SECONDS).result());
            assertEquals(List.of("<OCSP-UPDATE> /etc/stapled/site.pem 1 \"Update successful\" 0 1"), lines());

            responder.behaviour(serial, Behaviour.HTTP_500);
            m.refreshNow(file.toString()).get(5, TimeUnit.SECONDS);
            String http = lines().get(1);
            assertTrue(http.startsWith("<OCSP-UPDATE> /etc/stapled/site.pem 2 \"HTTP error ("), http);
            assertTrue(http.endsWith(")\" 1 1"), http);
            assertTrue(http.contains("500"), http);

            responder.behaviour(serial, Behaviour.FORGED);
            m.refreshNow(file.toString()).get(5, TimeUnit.SECONDS);
            String check = lines().get(2);
            assertTrue(check.startsWith("<OCSP-UPDATE> /etc/stapled/site.pem 4 \"OCSP response check failure ("),
                    check);
            assertTrue(check.endsWith(")\" 2 1"), check);

            responder.clearBehaviours();
            m.refreshNow(file.toString()).get(5, TimeUnit.SECONDS);
            assertEquals("<OCSP-UPDATE> /etc/stapled/site.pem 1 \"Update successful\" 2 2", lines().get(3));
            assertEquals(4, lines().size(), lines().toString());
        }
    }
}
