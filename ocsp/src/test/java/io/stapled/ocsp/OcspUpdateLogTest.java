package io.stapled.ocsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

    private List<String> lines() {
        synchronized (logs) { // the engine's threads append under the appender's lock
            return logs.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
        }
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
