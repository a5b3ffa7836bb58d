package io.stapled.proxy.http2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.stapled.testing.ExternalTool;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.Poll;
import io.stapled.testkit.pki.IssuedCertificate;

/**
 * HTTP/2 to clients through the real server: curl and nghttp as interop clients, and a raw frame
 * client ({@link H2FrameClient}) for what they will not send: concurrent and stalled streams,
 * malformed requests, a rapid-reset loop.
 */
@Timeout(120)
class Http2ProxyTest {
    static final H2TestBackend BACKEND = new H2TestBackend();

    @RegisterExtension
    static final StapledServerExtension STAPLED = StapledServerExtension.fromYaml("""
            frontends:
              - name: https
                bind: 127.0.0.1:0
                backend: app
                access_log: true
                certificates:
                  - crt: ${cert:a.test}
                http2:
                  max_concurrent_streams: 40
                  max_resets_per_second: 20
            backends:
              - name: app
                servers:
                  - { name: app1, address: 127.0.0.1:${port:be} }
            """).port("be", BACKEND::port);

    @AfterAll
    static void stopBackend() {
        BACKEND.close();
    }

    private static int port() {
        return STAPLED.port();
    }

    private static Path rootPem() throws Exception {
        Path file = STAPLED.dir().resolve("root.pem");
        if (!Files.exists(file)) {
            Files.writeString(file, IssuedCertificate.pem(STAPLED.root()));
        }
        return file;
    }

    private static ExternalTool.Result curl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "-v", "--cacert", rootPem().toString(),
                "--resolve", "a.test:" + port() + ":127.0.0.1"));
        cmd.addAll(List.of(args));
        return ExternalTool.run(30, cmd);
    }

    private static String url(String path) {
        return "https://a.test:" + port() + path;
    }

    @Test
    void curlGetsHttp2WithTheStapleAndTheBackendGetsHttp11WithForwardedHeaders() throws Exception {
        ExternalTool.assumeInstalled("curl");
        ExternalTool.Result r = curl("--http2", "--cert-status", url("/hello?x=1"));
        assertEquals(0, r.exitCode(), r.output());
        String out = r.output();
        assertTrue(out.contains("ALPN: server accepted h2") || out.contains("ALPN, server accepted to use h2"), out);
        assertTrue(out.contains("SSL certificate status: good"), "staple on the h2 connection: " + out);
        assertTrue(out.contains("< HTTP/2 200"), out);
        assertTrue(out.contains("path=/hello?x=1"), out);
        assertTrue(out.contains("host=a.test:" + port()), ":authority becomes Host: " + out);
        assertTrue(out.contains("x-forwarded-for=127.0.0.1"), out);
        assertTrue(out.contains("x-forwarded-proto=https"), out);
        assertTrue(out.contains("< x-backend: yes"), out);
        // Connection-specific fields of the backend's HTTP/1.1 response never reach an HTTP/2 client.
        assertFalse(out.toLowerCase().contains("< connection:"), out);
        assertFalse(out.toLowerCase().contains("< keep-alive:"), out);
    }

    @Test
    void http11ClientIsStillServedOnTheSamePort() throws Exception {
        ExternalTool.assumeInstalled("curl");
        ExternalTool.Result r = curl("--http1.1", url("/one"));
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("< HTTP/1.1 200"), r.output());
        assertTrue(r.output().contains("path=/one"), r.output());
    }

    @Test
    void requestBodyIsStreamedToTheBackend() throws Exception {
        ExternalTool.assumeInstalled("curl");
        ExternalTool.Result r = curl("--http2", "--data-binary", "hello body", url("/post"));
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("< HTTP/2 200"), r.output());
        assertTrue(r.output().contains("body=hello body"), r.output());
        assertTrue(r.output().contains("content-length=10"), r.output());

        try (H2FrameClient c = H2FrameClient.connect(port(), "a.test")) {
            // No content-length: the HTTP/1.1 hop gets it chunked.
            c.headers(1, H2FrameClient.request("POST", "/chunked"), false);
            c.data(1, "part one, ", false);
            c.data(1, "part two", true);
            assertEquals("200", c.awaitHeaders(1).status());
            String body = c.awaitBody(1);
            assertTrue(body.contains("body=part one, part two"), body);
            assertTrue(body.contains("transfer-encoding=chunked"), body);

            // A pseudo-header among the trailers is malformed (valid ones: Http2LimitsTest's raw backend).
            c.headers(5, H2FrameClient.request("POST", "/bad/trailers"), false);
            c.data(5, "x", false);
            c.headers(5, new io.netty.handler.codec.http2.DefaultHttp2Headers(false).add(":path", "/other"), true);
            assertEquals(Http2Error.PROTOCOL_ERROR.code(), c.awaitReset(5).errorCode());
        }
    }

    @Test
    void headAnswerEndsOnItsHeadersAndInterimResponsesAreRelayed() throws Exception {
        try (H2FrameClient c = H2FrameClient.connect(port(), "a.test")) {
            c.headers(1, H2FrameClient.request("HEAD", "/head"), true);
            H2FrameClient.Frame head = c.awaitHeaders(1);
            assertEquals("200", head.status());
            assertTrue(head.endStream(), "no body follows a HEAD answer");

            // Expect: 100-continue: the backend's 100 is relayed as a HEADERS frame of its own.
            c.headers(3, H2FrameClient.request("POST", "/continue").add("expect", "100-continue")
                    .add("content-length", "4"), false);
            H2FrameClient.Frame interim = c.awaitHeaders(3);
            assertEquals("100", interim.status());
            assertFalse(interim.endStream());
            c.data(3, "body", true);
            assertEquals("200", c.awaitHeaders(3).status());
            assertTrue(c.awaitBody(3).contains("body=body"));
        }
    }

    @Test
    void nghttpManyConcurrentStreamsOnOneConnection() throws Exception {
        ExternalTool.assumeInstalled("nghttp");
        ExternalTool.Result r = ExternalTool.run(30, List.of("nghttp", "-nv", "-m", "30",
                "https://127.0.0.1:" + port() + "/many"));
        assertEquals(0, r.exitCode(), r.output());
        Matcher m = Pattern.compile(":status: 200").matcher(r.output());
        int answered = 0;
        while (m.find()) {
            answered++;
        }
        assertEquals(30, answered, r.output());
    }

    @Test
    void fiftyStreamsAtOnceAreAllAnswered() throws Exception {
        try (H2FrameClient c = H2FrameClient.connect(port(), "a.test")) {
            c.batch(() -> {
                for (int i = 0; i < 35; i++) {
                    c.headers(1 + 2 * i, H2FrameClient.get("/concurrent/" + i), true);
                }
            });
            for (int i = 0; i < 35; i++) {
                int id = 1 + 2 * i;
                assertEquals("200", c.awaitHeaders(id).status());
                assertTrue(c.awaitBody(id).contains("path=/concurrent/" + i));
            }
        }
    }

    @Test
    void aStalledStreamDoesNotStallAnother() throws Exception {
        BACKEND.stallAgain();
        try (H2FrameClient c = H2FrameClient.connect(port(), "a.test")) {
            c.headers(1, H2FrameClient.get("/stall"), true);
            assertTrue(BACKEND.awaitStalled(), "the stalled request reached the backend");
            c.headers(3, H2FrameClient.get("/fast"), true);
            assertEquals("200", c.awaitHeaders(3).status());
            assertTrue(c.awaitBody(3).contains("path=/fast"));
            BACKEND.release();
            assertEquals("200", c.awaitHeaders(1).status());
            assertTrue(c.awaitBody(1).contains("path=/stall"));
        }
    }

    /**
     * An upload to a backend that does not read: the proxy stops reading the stream once the backend
     * connection is full, so the stream's window is not reopened and the client cannot send more, while
     * another stream on the same connection is still answered. When the backend reads, the upload
     * completes.
     */
    @Test
    void uploadToABackendThatDoesNotReadIsHeldByTheStreamWindowAlone() throws Exception {
        long total = 48L << 20;
        BACKEND.stallAgain();
        try (H2FrameClient c = H2FrameClient.connect(port(), "a.test")) {
            c.headers(1, H2FrameClient.request("POST", "/noread/upload"), false);
            long[] granted = {65_535};
            long sent = send(c, 1, 0, total, granted);
            assertTrue(sent < total, "the window stopped opening before the whole upload was sent: " + sent);
            assertTrue(BACKEND.awaitStalled());

            c.headers(3, H2FrameClient.get("/meanwhile"), true);
            assertEquals("200", c.awaitHeaders(3).status(), "another stream is not held up");
            assertTrue(c.awaitBody(3).contains("path=/meanwhile"));

            BACKEND.release();
            sent = send(c, 1, sent, total, granted);
            assertEquals(total, sent, "the window reopened as the backend read");
            c.data(1, "", true);
            assertEquals("200", c.awaitHeaders(1).status());
            assertTrue(c.awaitBody(1).contains("bodylen=" + total));
        }
    }

    /** Sends what the stream's window allows until it stays shut for a second or all is sent. */
    private static long send(H2FrameClient c, int stream, long sent, long total, long[] granted) throws Exception {
        while (sent < total) {
            while (sent < granted[0] && sent < total) {
                int n = (int) Math.min(16_384, Math.min(granted[0] - sent, total - sent));
                c.data(stream, n, false);
                sent += n;
            }
            if (sent == total) {
                break;
            }
            H2FrameClient.Frame update = c.poll(Duration.ofSeconds(1),
                    f -> f.type().equals("WINDOW_UPDATE") && f.streamId() == stream);
            if (update == null) {
                break;
            }
            granted[0] += update.errorCode();
        }
        return sent;
    }

    @Test
    void malformedRequestsAreStreamErrorsAndNothingReachesTheBackend() throws Exception {
        try (H2FrameClient c = H2FrameClient.connect(port(), "a.test")) {
            int id = 1;
            List<Http2Headers> bad = new ArrayList<>();
            bad.add(H2FrameClient.get("/bad/connection").add("connection", "keep-alive"));
            bad.add(H2FrameClient.get("/bad/transfer-encoding").add("transfer-encoding", "chunked"));
            bad.add(H2FrameClient.get("/bad/upgrade").add("upgrade", "websocket"));
            bad.add(H2FrameClient.get("/bad/keep-alive").add("keep-alive", "timeout=5"));
            bad.add(H2FrameClient.get("/bad/proxy-connection").add("proxy-connection", "keep-alive"));
            bad.add(H2FrameClient.get("/bad/te").add("te", "gzip"));
            bad.add(H2FrameClient.get("/bad/uppercase").add("X-Upper", "a"));
            bad.add(H2FrameClient.get("/bad/crlf").add("x-split", "a\r\nx-injected: b"));
            bad.add(H2FrameClient.get("/bad/nul").add("x-nul", "a\0b"));
            bad.add(H2FrameClient.get("/bad/host").add("host", "other.test"));
            bad.add(H2FrameClient.request("GET", "/bad/no-scheme").set(":scheme", "ftp"));
            bad.add(H2FrameClient.get("/bad/space here"));
            bad.add(H2FrameClient.get("/bad/pseudo").add(":protocol", "websocket"));
            for (Http2Headers h : bad) {
                c.headers(id, h, true);
                H2FrameClient.Frame f = c.await(Duration.ofSeconds(10), "an answer on stream " + id,
                        x -> x.streamId() != 0 && (x.type().equals("RST_STREAM") || x.type().equals("HEADERS")));
                assertEquals("RST_STREAM", f.type(), h + " -> " + f);
                assertEquals(Http2Error.PROTOCOL_ERROR.code(), f.errorCode(), h.toString());
                id += 2;
            }

            // A target HTTP/1.1 refuses with 400 gets the same 400 on its stream.
            c.headers(id, H2FrameClient.get("/bad/{brace}"), true);
            assertEquals("400", c.awaitHeaders(id).status());
            id += 2;
            c.headers(id, H2FrameClient.get("/bad/tab\there"), true);
            assertEquals("400", c.awaitHeaders(id).status());
            id += 2;
            c.headers(id, H2FrameClient.request("GET", "/bad/userinfo").authority("evil@a.test"), true);
            assertEquals("400", c.awaitHeaders(id).status());
            id += 2;

            // content-length disagreeing with the DATA: more, then less than declared.
            c.batch(() -> {
                c.headers(41, H2FrameClient.request("POST", "/bad/cl-more").add("content-length", "3"), false);
                c.data(41, "more than three", true);
            });
            assertEquals(Http2Error.PROTOCOL_ERROR.code(), c.awaitReset(41).errorCode());
            c.batch(() -> {
                c.headers(43, H2FrameClient.request("POST", "/bad/cl-less").add("content-length", "10"), false);
                c.data(43, "abc", true);
            });
            assertEquals(Http2Error.PROTOCOL_ERROR.code(), c.awaitReset(43).errorCode());

            // The connection carries on.
            c.headers(45, H2FrameClient.get("/after-bad"), true);
            assertEquals("200", c.awaitHeaders(45).status());
            assertTrue(c.awaitBody(45).contains("path=/after-bad"));
            assertTrue(c.isOpen());
        }
        assertTrue(BACKEND.received().stream().noneMatch(r -> r.path().startsWith("/bad")),
                "nothing of a malformed request reached the backend: " + BACKEND.received());
    }

    @Test
    void rapidResetGetsGoAwayEnhanceYourCalmAndOtherConnectionsCarryOn() throws Exception {
        try (H2FrameClient other = H2FrameClient.connect(port(), "a.test");
             H2FrameClient attacker = H2FrameClient.connect(port(), "a.test")) {
            other.headers(1, H2FrameClient.get("/before"), true);
            assertEquals("200", other.awaitHeaders(1).status());
            attacker.batch(() -> {
                for (int i = 0; i < 100; i++) {
                    int id = 1 + 2 * i;
                    attacker.headers(id, H2FrameClient.get("/reset/" + i), true);
                    attacker.reset(id, Http2Error.CANCEL.code());
                }
            });
            H2FrameClient.Frame goAway = attacker.awaitGoAway();
            assertEquals(Http2Error.ENHANCE_YOUR_CALM.code(), goAway.errorCode(), goAway.toString());
            assertTrue(attacker.awaitClosed(Duration.ofSeconds(10)), "the attacker's connection is closed");

            other.headers(3, H2FrameClient.get("/after"), true);
            assertEquals("200", other.awaitHeaders(3).status());
            assertTrue(other.awaitBody(3).contains("path=/after"));
        }
    }

    @Test
    void accessLogSaysHttp2() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger("stapled.access");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try (H2FrameClient c = H2FrameClient.connect(port(), "a.test")) {
            c.headers(1, H2FrameClient.get("/logged").add("user-agent", "h2-test"), true);
            assertEquals("200", c.awaitHeaders(1).status());
            c.awaitBody(1);
            Poll.until(Duration.ofSeconds(5), "access log line", () -> appender.list.stream()
                    .anyMatch(e -> e.getFormattedMessage().contains("/logged")));
            String line = appender.list.stream().map(ILoggingEvent::getFormattedMessage)
                    .filter(l -> l.contains("/logged")).findFirst().orElseThrow();
            assertTrue(line.contains("\"GET /logged HTTP/2.0\" 200 "), line);
            assertTrue(line.contains("\"h2-test\" https app/app1"), line);
        } finally {
            logger.detachAppender(appender);
        }
        assertNull(null);
    }
}
