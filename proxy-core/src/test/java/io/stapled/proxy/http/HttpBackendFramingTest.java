package io.stapled.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterEach;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.stapled.proxy.backend.BackendServer;
import io.stapled.proxy.backend.BackendServer.Discard;
import io.stapled.testkit.Poll;

/**
 * What a backend sends beyond the end of a response must never reach another exchange. Each case
 * has a first client provoke the backend into sending extra bytes, then a second client, on its own
 * TLS connection to the same single-event-loop frontend (so both borrow from one pool), asks for
 * {@code /victim}: on a poisoned pool it would read the extra bytes as the start of its response.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HttpBackendFramingTest {
    /** The start of a response head, left unfinished so that it waits in a decoder for the next read. */
    private static final String POISON = "HTTP/1.1 200 OK\r\nX-Poison: ";
    private static final String CLEAN = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Clean: yes\r\n\r\nclean";
    private static final Duration WAIT = Duration.ofSeconds(5);

    private ScriptedBackend backend;
    private ProxyHarness proxy;

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private void start(ScriptedBackend.Script poisoned) throws Exception {
        backend = new ScriptedBackend((connection, line, out) -> {
            if (line.startsWith("GET /victim ")) {
                out.write(CLEAN);
            } else {
                poisoned.answer(connection, line, out);
            }
        });
        proxy = ProxyHarness.startSingleLoop(ProxyHarness.backend(backend.port()));
    }

    private BackendServer server() {
        return proxy.pool.servers().get(0);
    }

    /**
     * The first client's exchange, answered by the script with extra bytes; then the victim's. The
     * first client must get its response as declared, the backend connection must be closed and
     * counted for {@code reason}, and the victim must get its own response on a new connection.
     */
    private void poisonThenVictim(String request, boolean head, Discard reason, Consumer<RawClient.Response> first)
            throws Exception {
        try (RawClient attacker = proxy.raw()) {
            attacker.send(request);
            RawClient.Response r = head ? attacker.readHead() : attacker.read();
            first.accept(r);
            assertEquals("1: " + request.substring(0, request.indexOf("\r\n")), backend.nextRequest());
        }
        // Extra bytes in the same read are seen before the response is flushed; later ones when they
        // arrive: either way the connection goes before it can be lent again.
        Poll.until(WAIT, "the connection to be discarded", () -> server().discardedConnections(reason) == 1);

        try (RawClient victim = proxy.raw()) {
            victim.send("GET /victim HTTP/1.1\r\nHost: x\r\n\r\n");
            RawClient.Response r = victim.read();
            assertNull(r.header("x-poison"), "the victim read the previous response's extra bytes: " + r);
            assertEquals(200, r.status());
            assertEquals("yes", r.header("x-clean"));
            assertEquals("clean", r.body());
            assertTrue(victim.staysOpenFor(100), "the victim's connection must stay clean and open");
        }
        assertEquals("2: GET /victim HTTP/1.1", backend.nextRequest(), "the victim used the poisoned connection");
        Poll.until(WAIT, "the poisoned backend connection closed", () -> backend.closedByProxy.contains(1));
        assertEquals(1, server().discardedConnections(reason), reason.label());
        long all = 0;
        for (Discard d : Discard.values()) {
            all += server().discardedConnections(d);
        }
        assertEquals(1, all, "counted once, under " + reason.label());
        assertEquals(0, server().activeConnections());
    }

    @Test
    void bodyOnAHeadResponseIsNotReadAsTheNextResponse() throws Exception {
        // The reproduction from the issue: the body of a HEAD response is the head of a fake response.
        start((c, line, out) -> out.write("HTTP/1.1 200 OK\r\nContent-Length: 60\r\n\r\n" + POISON));
        poisonThenVictim("HEAD /a HTTP/1.1\r\nHost: x\r\n\r\n", true, Discard.BODY_ON_BODYLESS, r -> {
            assertEquals(200, r.status());
            assertEquals("60", r.header("content-length"), "a HEAD response keeps its framing headers");
        });
    }

    @Test
    void bodyOnA204IsNotReadAsTheNextResponse() throws Exception {
        start((c, line, out) -> out.write("HTTP/1.1 204 No Content\r\nContent-Length: 27\r\n\r\n" + POISON));
        poisonThenVictim("GET /a HTTP/1.1\r\nHost: x\r\n\r\n", false, Discard.BODY_ON_BODYLESS, r -> {
            assertEquals(204, r.status());
            assertNull(r.header("content-length"), "a 204 must not carry Content-Length");
        });
    }

    @Test
    void bodyOnA304IsNotReadAsTheNextResponse() throws Exception {
        start((c, line, out) -> out.write("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n" + POISON));
        poisonThenVictim("GET /a HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"v1\"\r\n\r\n", false,
                Discard.BODY_ON_BODYLESS, r -> {
                    assertEquals(304, r.status());
                    assertEquals("\"v1\"", r.header("etag"));
                });
    }

    @Test
    void moreThanContentLengthIsCutAtTheDeclaredLength() throws Exception {
        start((c, line, out) -> out.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst" + POISON));
        poisonThenVictim("GET /a HTTP/1.1\r\nHost: x\r\n\r\n", false, Discard.OVER_CONTENT_LENGTH, r -> {
            assertEquals(200, r.status());
            assertEquals("first", r.body());
        });
    }

    @Test
    void bytesAfterTheFinalChunkAreNotReadAsTheNextResponse() throws Exception {
        start((c, line, out) -> out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nfirst\r\n0\r\n\r\n" + POISON));
        poisonThenVictim("GET /a HTTP/1.1\r\nHost: x\r\n\r\n", false, Discard.AFTER_LAST_CHUNK, r -> {
            assertEquals(200, r.status());
            assertEquals("first", r.body());
        });
    }

    @Test
    void aSecondCompleteResponseAppendedIsNotServedToAnyone() throws Exception {
        start((c, line, out) -> out.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"
                + "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nX-Poison: yes\r\n\r\nPOISON"));
        poisonThenVictim("GET /a HTTP/1.1\r\nHost: x\r\n\r\n", false, Discard.OVER_CONTENT_LENGTH, r -> {
            assertEquals(200, r.status());
            assertEquals("first", r.body());
        });
    }

    @Test
    void bytesArrivingAfterTheResponseWhileIdleCloseThePooledConnection() throws Exception {
        // The extra bytes come in a later read, once the connection waits in the pool.
        start((c, line, out) -> out.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst").pause(100)
                .write(POISON));
        poisonThenVictim("GET /a HTTP/1.1\r\nHost: x\r\n\r\n", false, Discard.WHILE_IDLE, r -> {
            assertEquals(200, r.status());
            assertEquals("first", r.body());
        });
    }

    @Test
    void aMisbehavingServerIsLoggedOnceAndThenOnlyCounted() throws Exception {
        start((c, line, out) -> out.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst" + POISON));
        Logger logger = (Logger) LoggerFactory.getLogger(BackendConnectionPool.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            for (int i = 0; i < 3; i++) {
                try (RawClient c = proxy.raw()) {
                    c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
                    assertEquals("first", c.read().body());
                }
            }
            assertEquals(3, server().discardedConnections(Discard.OVER_CONTENT_LENGTH));
            assertEquals(3, backend.connections.get(), "each exchange needed a new connection");
            assertEquals(1, appender.list.size(), "one line per server, not per case");
            ILoggingEvent warn = appender.list.get(0);
            assertEquals(Level.WARN, warn.getLevel());
            String message = warn.getFormattedMessage();
            assertTrue(message.contains("s1") && message.contains("over_content_length")
                    && message.contains(Integer.toString(POISON.length())), message);
            assertTrue(!message.contains("X-Poison"), "what the server sent is not logged: " + message);
        } finally {
            logger.detachAppender(appender);
        }
    }

    @Test
    void bodylessResponsesFramedCorrectlyKeepTheConnectionPooled() throws Exception {
        // The counterpart: a HEAD response with framing headers but no body, 204, 304, exact lengths
        // and chunks leave nothing unread, so one backend connection serves them all.
        start((c, line, out) -> {
            String path = line.split(" ")[1];
            switch (path) {
                case "/head" -> out.write("HTTP/1.1 200 OK\r\nContent-Length: 60\r\n\r\n");
                case "/head-chunked" -> out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
                case "/204" -> out.write("HTTP/1.1 204 No Content\r\n\r\n");
                case "/304" -> out.write("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n");
                case "/chunked" -> out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "5\r\nfirst\r\n0\r\nX-Trailer: t\r\n\r\n");
                default -> out.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst");
            }
        });
        try (RawClient c = proxy.raw()) {
            c.send("HEAD /head HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals("60", c.readHead().header("content-length"));
            c.send("HEAD /head-chunked HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, c.readHead().status());
            c.send("GET /204 HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(204, c.read().status());
            c.send("GET /304 HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(304, c.read().status());
            c.send("GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals("first", c.read().body());
        }
        try (RawClient c = proxy.raw()) {
            c.send("GET /len HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals("first", c.read().body());
            c.send("HEAD /head HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, c.readHead().status());
            c.send("GET /len HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals("first", c.read().body());
        }
        assertEquals(1, backend.connections.get(), "a cleanly framed response must not cost the connection");
        assertTrue(backend.closedByProxy.isEmpty());
        for (Discard d : Discard.values()) {
            assertEquals(0, server().discardedConnections(d), d.label());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n\u001f\u008b\b\u0000",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 4\r\n\r\n\u001f\u008b\b\u0000",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n4\r\n\u001f\u008b\b\u0000\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\nContent-Length: 4\r\n\r\nbody",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n4\r\nbody\r\n0\r\n\r\n",
    })
    void responseTransferCodingOtherThanChunkedGets502(String response) throws Exception {
        start((c, line, out) -> out.write(response));
        try (RawClient c = proxy.raw()) {
            c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals(502, r.status(), response);
            assertNull(r.header("transfer-encoding"));
            assertTrue(r.body().startsWith("502"), r.body());
            // The request was complete: the client connection goes on, on a new backend connection.
            c.send("GET /victim HTTP/1.1\r\nHost: x\r\n\r\n");
            RawClient.Response next = c.read();
            assertEquals("clean", next.body());
            assertNull(next.header("x-poison"));
        }
        assertEquals("1: GET /a HTTP/1.1", backend.nextRequest());
        assertEquals("2: GET /victim HTTP/1.1", backend.nextRequest(), "the refused response's connection was reused");
    }

    @Test
    void aChunkedResponseIsStillRelayed() throws Exception {
        start((c, line, out) -> out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
                + "5\r\nfirst\r\n0\r\n\r\n"));
        try (RawClient c = proxy.raw()) {
            c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals(200, r.status());
            assertEquals("first", r.body());
        }
    }
}
