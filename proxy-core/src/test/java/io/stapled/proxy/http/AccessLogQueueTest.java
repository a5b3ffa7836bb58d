package io.stapled.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;

import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.Poll;
import io.stapled.testkit.TlsTestClient;

/**
 * An appender that blocks (a full pipe, a stalled disk) never stalls requests: lines wait in the
 * bounded queue, then are dropped and counted in {@code stapled_access_log_dropped_total}.
 */
@Timeout(60)
class AccessLogQueueTest {
    @RegisterExtension
    static final StapledServerExtension STAPLED = StapledServerExtension.fromYaml("""
            frontends:
              - name: https
                bind: 127.0.0.1:0
                backend: app
                access_log: { format: combined, queue: 2 }
                certificates:
                  - crt: ${cert:a.test}
            backends:
              - name: app
                servers:
                  - { name: web1, address: 127.0.0.1:${backend} }
            admin_http:
              bind: 127.0.0.1:0
            """);

    /** Takes one line, then blocks the writer thread until released. */
    private static final class BlockingAppender extends AppenderBase<ILoggingEvent> {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<String> lines = new ArrayList<>();

        @Override
        protected void append(ILoggingEvent event) {
            lines.add(event.getFormattedMessage());
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void aFullQueueDropsAndCountsLinesAndNeverBlocksRequests() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger("stapled.access");
        BlockingAppender blocking = new BlockingAppender();
        blocking.start();
        logger.addAppender(blocking);
        try (TlsTestClient.Connection c = STAPLED.open("a.test")) {
            assertEquals(200, c.get("/first").status());
            Poll.until(Duration.ofSeconds(10), "the writer blocked in the appender", () -> blocking.entered.getCount() == 0);
            // The writer holds /first; /q0 and /q1 fill the queue; the rest are dropped, and every
            // request is still answered at once.
            for (int i = 0; i < 10; i++) {
                assertEquals(200, c.get(i < 2 ? "/q" + i : "/dropped" + i).status());
            }
            // A line is offered as its exchange ends, which may be just after the client read the response.
            Poll.until(Duration.ofSeconds(10), "8 lines beyond queue: 2 dropped", () -> dropped() == 8);
        } finally {
            blocking.release.countDown();
            Poll.until(Duration.ofSeconds(10), "the queued lines written", () -> written(blocking) == 3);
            logger.detachAppender(blocking);
        }
        synchronized (blocking) {
            assertTrue(blocking.lines.get(0).contains("/first"), blocking.lines.toString());
            assertTrue(blocking.lines.get(1).contains("/q0"), blocking.lines.toString());
            assertTrue(blocking.lines.get(2).contains("/q1"), blocking.lines.toString());
        }
    }

    private static int written(BlockingAppender appender) {
        synchronized (appender) {
            return appender.lines.size();
        }
    }

    private static long dropped() {
        try {
            return scrapeDropped();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static long scrapeDropped() throws Exception {
        int port = STAPLED.server().admin().localAddress().getPort();
        String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^stapled_access_log_dropped_total\\{frontend=\"https\"} (\\S+)$").matcher(body);
        assertTrue(m.find(), body);
        return (long) Double.parseDouble(m.group(1));
    }
}
