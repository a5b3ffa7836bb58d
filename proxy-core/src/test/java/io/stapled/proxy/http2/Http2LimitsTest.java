package io.stapled.proxy.http2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.netty.handler.codec.http2.Http2Error;
import io.stapled.metrics.PrometheusText;
import io.stapled.testing.ExternalTool;
import io.stapled.testkit.Poll;
import io.stapled.testing.StapledServerExtension;

/** The http2: limits and the timeouts on HTTP/2 connections, each at a small value. */
@Timeout(60)
class Http2LimitsTest {
    static final H2TestBackend BACKEND = new H2TestBackend();
    static final RawRecordingBackend RAW = raw();

    private static RawRecordingBackend raw() {
        try {
            return new RawRecordingBackend();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @RegisterExtension
    static final StapledServerExtension STAPLED = StapledServerExtension.fromYaml("""
            frontends:
              - name: https
                bind: 127.0.0.1:0
                backend: app
                certificates:
                  - crt: ${cert:a.test}
                http:
                  request_timeout: 1s
                http2:
                  max_concurrent_streams: 2
                  max_header_list_size: 2k
              - name: h1first
                bind: 127.0.0.1:0
                backend: app
                certificates:
                  - crt: ${cert:b.test}
                tls: { alpn: [http/1.1, h2] }
              - name: idle
                bind: 127.0.0.1:0
                backend: app
                client_timeout: 1s
                http: { request_timeout: 30s }
                certificates:
                  - crt: ${cert:d.test}
              - name: raw
                bind: 127.0.0.1:0
                backend: raw
                certificates:
                  - crt: ${cert:c.test}
            admin_http: { bind: "127.0.0.1:0" }
            backends:
              - name: app
                server_timeout: 1s
                servers:
                  - { name: app1, address: 127.0.0.1:${port:be} }
              - name: raw
                servers:
                  - { name: raw1, address: 127.0.0.1:${port:raw} }
            """).port("be", BACKEND::port).port("raw", RAW::port);

    @AfterAll
    static void stopBackend() throws Exception {
        BACKEND.close();
        RAW.close();
    }

    /** The exact HTTP/1.1 request a stream becomes: one request line, our framing, the trailers kept. */
    @Test
    void theHttp11RequestAStreamBecomes() throws Exception {
        try (H2FrameClient c = H2FrameClient.connect(STAPLED.port("raw"), "c.test")) {
            c.headers(1, H2FrameClient.request("POST", "/up?x=1").authority("c.test")
                    .add("cookie", "a=1").add("cookie", "b=2").add("te", "trailers"), false);
            c.data(1, "hello", false);
            c.headers(1, new io.netty.handler.codec.http2.DefaultHttp2Headers(false).add("x-checksum", "abc"), true);
            assertEquals("200", c.awaitHeaders(1).status());
            String raw = c.awaitBody(1);
            assertTrue(raw.startsWith("POST /up?x=1 HTTP/1.1\r\n"), raw);
            assertTrue(raw.contains("\r\nhost: c.test\r\n"), raw);
            assertTrue(raw.contains("\r\ncookie: a=1; b=2\r\n"), "cookies joined: " + raw);
            assertTrue(raw.contains("\r\ntransfer-encoding: chunked\r\n"), raw);
            assertTrue(raw.contains("\r\nX-Forwarded-Proto: https\r\n") || raw.toLowerCase().contains("\r\nx-forwarded-proto: https\r\n"), raw);
            assertTrue(!raw.toLowerCase().contains("\r\nte:"), "TE is hop-by-hop: " + raw);
            assertTrue(raw.endsWith("\r\n5\r\nhello\r\n0\r\nx-checksum: abc\r\n\r\n"), raw);
            assertEquals(1, raw.split("HTTP/1.1\r\n", -1).length - 1, "one request line: " + raw);
        }
    }

    private static double requests(String statusClass) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String text = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + STAPLED.server().admin().localAddress().getPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return PrometheusText.parse(text).valueOr("stapled_http_request_duration_seconds_count", 0,
                "frontend", "https", "backend", "app", "status_class", statusClass);
    }

    @Test
    void http2RequestsAreCountedInTheRequestMetrics() throws Exception {
        double ok = requests("2xx");
        double refused = requests("4xx");
        try (H2FrameClient c = H2FrameClient.connect(STAPLED.port(), "a.test")) {
            c.headers(1, H2FrameClient.get("/counted"), true);
            assertEquals("200", c.awaitHeaders(1).status());
            c.awaitBody(1);
            c.headers(3, H2FrameClient.get("/counted/{refused}"), true);
            assertEquals("400", c.awaitHeaders(3).status());
            c.awaitBody(3);
        }
        Poll.until(Duration.ofSeconds(5), "the requests counted",
                () -> uncheckedRequests("2xx") == ok + 1 && uncheckedRequests("4xx") == refused + 1);
    }

    private static double uncheckedRequests(String statusClass) {
        try {
            return requests(statusClass);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static double activeBackendConnections() {
        try {
            HttpClient http = HttpClient.newHttpClient();
            String text = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + STAPLED.server().admin().localAddress().getPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            return PrometheusText.parse(text).value("stapled_backend_server_connections_active",
                    "backend", "app", "server", "app1");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A stream the client resets takes its backend request with it: not left running on the server. */
    @Test
    void aResetStreamCancelsItsBackendRequest() throws Exception {
        BACKEND.stallAgain();
        try (H2FrameClient c = H2FrameClient.connect(STAPLED.port(), "a.test")) {
            c.headers(1, H2FrameClient.get("/stall/cancelled"), true);
            assertTrue(BACKEND.awaitStalled());
            assertEquals(1.0, activeBackendConnections());
            c.reset(1, Http2Error.CANCEL.code());
            Poll.until(Duration.ofSeconds(5), "the backend connection to go",
                    () -> activeBackendConnections() == 0.0);
            c.headers(3, H2FrameClient.get("/after-cancel"), true);
            assertEquals("200", c.awaitHeaders(3).status());
        } finally {
            BACKEND.release();
        }
    }

    @Test
    void theFrontendsAlpnOrderIsThePreference() throws Exception {
        ExternalTool.assumeInstalled("curl");
        ExternalTool.Result r = ExternalTool.run(30, List.of("curl", "-sS", "-v", "-k", "--http2",
                "https://127.0.0.1:" + STAPLED.port("h1first") + "/order"));
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("< HTTP/1.1 200"), "http/1.1 listed first wins: " + r.output());
        ExternalTool.Result h2 = ExternalTool.run(30, List.of("curl", "-sS", "-v", "-k", "--http2",
                "https://127.0.0.1:" + STAPLED.port("https") + "/order"));
        assertTrue(h2.output().contains("< HTTP/2 200"), h2.output());
    }

    @Test
    void aStreamBeyondMaxConcurrentStreamsIsRefused() throws Exception {
        BACKEND.stallAgain();
        try (H2FrameClient c = H2FrameClient.connect(STAPLED.port(), "a.test")) {
            c.headers(1, H2FrameClient.get("/stall/1"), true);
            c.headers(3, H2FrameClient.get("/stall/2"), true);
            assertTrue(BACKEND.awaitStalled());
            c.headers(5, H2FrameClient.get("/third"), true);
            assertEquals(Http2Error.REFUSED_STREAM.code(), c.awaitReset(5).errorCode());
            BACKEND.release();
            // The stalled ones end in 504 (server_timeout 1s) or 200, whichever comes first; either way
            // answered, and a new stream fits again.
            c.awaitHeaders(1);
            c.awaitHeaders(3);
            c.headers(7, H2FrameClient.get("/fourth"), true);
            assertEquals("200", c.awaitHeaders(7).status());
        }
        assertTrue(BACKEND.received().stream().noneMatch(r -> r.path().equals("/third")));
    }

    @Test
    void aHeaderListAboveTheLimitGets431AndTheConnectionCarriesOn() throws Exception {
        try (H2FrameClient c = H2FrameClient.connect(STAPLED.port(), "a.test")) {
            c.headers(1, H2FrameClient.get("/big-headers").add("x-big", "a".repeat(2100)), true);
            H2FrameClient.Frame f = c.awaitHeaders(1);
            assertEquals("431", f.status());
            c.headers(3, H2FrameClient.get("/small"), true);
            assertEquals("200", c.awaitHeaders(3).status());
        }
        assertTrue(BACKEND.received().stream().noneMatch(r -> r.path().equals("/big-headers")));
    }

    @Test
    void aBackendSlowerThanServerTimeoutGets504OnItsStream() throws Exception {
        BACKEND.stallAgain();
        try (H2FrameClient c = H2FrameClient.connect(STAPLED.port(), "a.test")) {
            c.headers(1, H2FrameClient.get("/stall/slow"), true);
            assertEquals("504", c.awaitHeaders(1).status());
            assertTrue(c.awaitBody(1).contains("504"));
            c.headers(3, H2FrameClient.get("/next"), true);
            assertEquals("200", c.awaitHeaders(3).status());
        } finally {
            BACKEND.release();
        }
    }

    @Test
    void clientTimeoutAnswersAStalledUploadWith408AndClosesAnIdleConnection() throws Exception {
        try (H2FrameClient c = H2FrameClient.connect(STAPLED.port("idle"), "d.test")) {
            c.headers(1, H2FrameClient.request("POST", "/never-finished").add("content-length", "10"), false);
            c.data(1, "abc", false);
            assertEquals("408", c.awaitHeaders(1).status());
            c.awaitBody(1);
            // Then nothing is open and nothing moves: GOAWAY and the close.
            assertEquals(Http2Error.NO_ERROR.code(), c.awaitGoAway().errorCode());
            assertTrue(c.awaitClosed(Duration.ofSeconds(5)));
        }
        assertTrue(BACKEND.received().stream().noneMatch(r -> r.path().equals("/never-finished")));
    }

    @Test
    void aConnectionWithNoStreamForTheRequestTimeoutIsClosedWithGoAway() throws Exception {
        try (H2FrameClient c = H2FrameClient.connect(STAPLED.port(), "a.test")) {
            c.headers(1, H2FrameClient.get("/once"), true);
            assertEquals("200", c.awaitHeaders(1).status());
            c.awaitBody(1);
            H2FrameClient.Frame goAway = c.awaitGoAway();
            assertEquals(Http2Error.NO_ERROR.code(), goAway.errorCode());
            assertEquals(1, goAway.lastStreamId());
            assertTrue(c.awaitClosed(Duration.ofSeconds(5)));
        }
    }
}
