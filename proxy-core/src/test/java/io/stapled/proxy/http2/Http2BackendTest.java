package io.stapled.proxy.http2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.netty.handler.codec.http2.Http2Error;
import io.stapled.testing.ExternalTool;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testing.TrustingSslContext;
import io.stapled.testkit.Poll;
import io.stapled.testkit.pki.IssuedCertificate;

/**
 * {@code proto: h2} through the real server: HTTP/2 and HTTP/1.1 clients over TLS, a cleartext HTTP/2
 * server ({@link H2cTestServer}) behind, with streams multiplexed on its connections.
 */
@Timeout(60)
class Http2BackendTest {
    static final H2cTestServer BACKEND = new H2cTestServer(100);
    /** Two streams per connection: a third concurrent request needs another connection. */
    static final H2cTestServer NARROW = new H2cTestServer(2);
    /** An HTTP/1.1 server, named proto: h2 by mistake. */
    static final H2TestBackend HTTP11 = new H2TestBackend();

    @RegisterExtension
    static final StapledServerExtension STAPLED = StapledServerExtension.fromYaml("""
            frontends:
              - name: https
                bind: 127.0.0.1:0
                backend: h2
                certificates:
                  - crt: ${cert:a.test}
              - name: narrow
                bind: 127.0.0.1:0
                backend: narrow
                certificates:
                  - crt: ${cert:b.test}
              - name: slow
                bind: 127.0.0.1:0
                backend: slow
                certificates:
                  - crt: ${cert:c.test}
              - name: noth2
                bind: 127.0.0.1:0
                backend: noth2
                certificates:
                  - crt: ${cert:d.test}
              - name: dyn
                bind: 127.0.0.1:0
                backend: dyn
                certificates:
                  - crt: ${cert:e.test}
            backends:
              - name: h2
                servers:
                  - { name: h2a, address: 127.0.0.1:${port:be}, proto: h2 }
              - name: narrow
                idle_timeout: 1s
                servers:
                  - { name: n1, address: 127.0.0.1:${port:narrow}, proto: h2 }
              - name: slow
                server_timeout: 1s
                servers:
                  - { name: s1, address: 127.0.0.1:${port:be}, proto: h2 }
              - name: noth2
                connect_timeout: 1s
                servers:
                  - { name: x1, address: 127.0.0.1:${port:h1}, proto: h2 }
              - name: dyn
                health_check: { type: http, interval: 1h }
                servers:
                  - { name: d0, address: 127.0.0.1:1, weight: 0 }
            runtime_api: { socket: ${socket}, mode: "0600", level: admin }
            """).port("be", BACKEND::port).port("narrow", NARROW::port).port("h1", HTTP11::port);

    @AfterAll
    static void stopBackends() {
        BACKEND.close();
        NARROW.close();
        HTTP11.close();
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
                "--resolve", "a.test:" + STAPLED.port() + ":127.0.0.1"));
        cmd.addAll(List.of(args));
        return ExternalTool.run(30, cmd);
    }

    private static H2cTestServer.Received received(H2cTestServer server, String path) {
        return server.received().stream().filter(r -> path.equals(r.path())).findFirst().orElse(null);
    }

    @Test
    void curlOverHttp2ReachesTheH2cServerWithTeTrailersAndGetsTheTrailers() throws Exception {
        ExternalTool.assumeInstalled("curl");
        ExternalTool.Result r = curl("--http2", "-H", "te: trailers", "--data-binary", "hello h2",
                "https://a.test:" + STAPLED.port() + "/trailers/curl?x=1");
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("< HTTP/2 200"), r.output());
        assertTrue(r.output().contains(":scheme: http\n"), "h2c to the server: " + r.output());
        assertTrue(r.output().contains(":authority: a.test:" + STAPLED.port() + "\n"), r.output());
        assertTrue(r.output().contains(":method: POST\n"), r.output());
        assertTrue(r.output().contains("te: trailers\n"), r.output());
        assertTrue(r.output().contains("x-forwarded-for: 127.0.0.1\n"), r.output());
        assertTrue(r.output().contains("body: hello h2\n"), r.output());
        assertTrue(r.output().contains("< x-result: done"), "the trailers, on a HEADERS frame: " + r.output());
        H2cTestServer.Received got = received(BACKEND, "/trailers/curl?x=1");
        assertNull(got.header("transfer-encoding"), "no HTTP/1.1 framing on HTTP/2");
        assertNull(got.header("host"), "Host is :authority");
    }

    @Test
    void nghttpStreamsShareOneBackendConnection() throws Exception {
        ExternalTool.assumeInstalled("nghttp");
        ExternalTool.Result r = ExternalTool.run(30, List.of("nghttp", "-nv", "-m", "10",
                "https://127.0.0.1:" + STAPLED.port() + "/nghttp"));
        assertEquals(0, r.exitCode(), r.output());
        assertEquals(10, r.output().split(":status: 200", -1).length - 1, r.output());
        List<H2cTestServer.Received> got = BACKEND.received().stream().filter(x -> "/nghttp".equals(x.path())).toList();
        assertEquals(10, got.size());
        assertEquals(1, got.stream().map(H2cTestServer.Received::connection).distinct().count(),
                "one connection for the 10 streams: " + got);
    }

    /** Streams in flight at once, all on one connection: multiplexed, not one connection each. */
    @Test
    void concurrentStreamsAreMultiplexedOnOneConnection() throws Exception {
        int before = BACKEND.stalledCount();
        try (H2FrameClient c = H2FrameClient.connect(STAPLED.port(), "a.test")) {
            c.batch(() -> {
                for (int i = 0; i < 5; i++) {
                    c.headers(1 + 2 * i, H2FrameClient.get("/stall/multiplexed/" + i), true);
                }
            });
            Poll.until(Duration.ofSeconds(10), "5 stalled streams at the server",
                    () -> BACKEND.stalledCount() == before + 5);
            Set<String> connections = BACKEND.received().stream()
                    .filter(x -> x.path().startsWith("/stall/multiplexed/"))
                    .map(H2cTestServer.Received::connection).collect(Collectors.toSet());
            assertEquals(1, connections.size(), "5 concurrent streams on one connection");
            BACKEND.release();
            for (int i = 0; i < 5; i++) {
                assertEquals("200", c.awaitHeaders(1 + 2 * i).status());
                assertTrue(c.awaitBody(1 + 2 * i).contains(":path: /stall/multiplexed/" + i + "\n"));
            }
        }
    }

    @Test
    void aFullConnectionOpensAnotherAndIdleOnesAreClosed() throws Exception {
        try (H2FrameClient c = H2FrameClient.connect(STAPLED.port("narrow"), "b.test")) {
            c.batch(() -> {
                for (int i = 0; i < 3; i++) {
                    c.headers(1 + 2 * i, H2FrameClient.get("/stall/narrow/" + i), true);
                }
            });
            Poll.until(Duration.ofSeconds(10), "3 stalled streams", () -> NARROW.stalledCount() == 3);
            assertEquals(2, NARROW.accepted(), "2 streams on the first connection, the third on a second");
            NARROW.release();
            for (int i = 0; i < 3; i++) {
                assertEquals("200", c.awaitHeaders(1 + 2 * i).status());
            }
        }
        // idle_timeout 1s: both connections had no stream left, so both go.
        Poll.until(Duration.ofSeconds(10), "idle connections closed", () -> NARROW.open() == 0);
    }

    /** After the server's GOAWAY the connection takes no new stream and is closed; the next stream gets a new one. */
    @Test
    void aServerGoawayMovesNewStreamsToANewConnection() throws Exception {
        try (H2FrameClient c = H2FrameClient.connect(STAPLED.port(), "a.test")) {
            c.headers(1, H2FrameClient.get("/goaway/1"), true);
            assertEquals("200", c.awaitHeaders(1).status());
            c.awaitBody(1);
            String old = received(BACKEND, "/goaway/1").connection();
            Poll.until(Duration.ofSeconds(10), "the connection closed after its last stream", () -> BACKEND.isClosed(old));
            c.headers(3, H2FrameClient.get("/after-goaway"), true);
            assertEquals("200", c.awaitHeaders(3).status());
            assertTrue(!old.equals(received(BACKEND, "/after-goaway").connection()), "a new connection");
        }
    }

    /** A client's RST_STREAM reaches the server as RST_STREAM(CANCEL); the connection carries on. */
    @Test
    void aResetClientStreamCancelsTheBackendStream() throws Exception {
        int stalled = BACKEND.stalledCount();
        int resets = BACKEND.resets().size();
        try (H2FrameClient c = H2FrameClient.connect(STAPLED.port(), "a.test")) {
            c.headers(1, H2FrameClient.get("/stall/reset"), true);
            Poll.until(Duration.ofSeconds(10), "the stream at the server", () -> BACKEND.stalledCount() == stalled + 1);
            int accepted = BACKEND.accepted();
            c.reset(1, Http2Error.CANCEL.code());
            Poll.until(Duration.ofSeconds(10), "RST_STREAM at the server", () -> BACKEND.resets().size() == resets + 1);
            assertEquals(Http2Error.CANCEL.code(), BACKEND.resets().get(resets));
            c.headers(3, H2FrameClient.get("/after-reset"), true);
            assertEquals("200", c.awaitHeaders(3).status());
            assertEquals(accepted, BACKEND.accepted(), "the same connection serves the next stream");
        }
    }

    @Test
    void aClientThatGoesAwayCancelsItsBackendStreams() throws Exception {
        int stalled = BACKEND.stalledCount();
        int resets = BACKEND.resets().size();
        H2FrameClient c = H2FrameClient.connect(STAPLED.port(), "a.test");
        c.headers(1, H2FrameClient.get("/stall/gone/1"), true);
        c.headers(3, H2FrameClient.get("/stall/gone/2"), true);
        Poll.until(Duration.ofSeconds(10), "the streams at the server", () -> BACKEND.stalledCount() == stalled + 2);
        c.close();
        Poll.until(Duration.ofSeconds(10), "both streams reset", () -> BACKEND.resets().size() == resets + 2);
        assertTrue(BACKEND.resets().subList(resets, resets + 2).stream().allMatch(e -> e == Http2Error.CANCEL.code()));
    }

    /** The runtime API's {@code add server ... proto h2} adds a server spoken to in HTTP/2. */
    @Test
    void aServerAddedWithProtoH2GetsHttp2() throws Exception {
        assertEquals("'proto' expects h1 or h2 (the HTTP versions stapled speaks to servers), got 'h3'.\n\n",
                cli("add server dyn/d2 127.0.0.1:" + BACKEND.port() + " proto h3\n"));
        assertEquals("'check' on an h2 server: backend 'dyn' has an http health check, which speaks HTTP/1.1;"
                + " add the server without 'check'.\n\n",
                cli("add server dyn/d3 127.0.0.1:" + BACKEND.port() + " proto h2 check\n"));
        assertEquals("'proto h2' cannot be combined with send-proxy: an h2 connection is shared by the streams of"
                        + " many clients, and a PROXY header names only one.\n\n",
                cli("add server dyn/d4 127.0.0.1:" + BACKEND.port() + " proto h2 send-proxy-v2\n"));
        assertEquals("New server registered.\n\n",
                cli("add server dyn/d1 127.0.0.1:" + BACKEND.port() + " proto h2 enabled\n"));
        try (H2FrameClient c = H2FrameClient.connect(STAPLED.port("dyn"), "e.test")) {
            c.headers(1, H2FrameClient.get("/added"), true);
            assertEquals("200", c.awaitHeaders(1).status());
            assertTrue(c.awaitBody(1).contains(":scheme: http\n"));
        }
        assertTrue(received(BACKEND, "/added") != null, "reached the h2c server as HTTP/2");
    }

    /** One runtime API command over the unix socket; the answer up to the server's close. */
    private static String cli(String command) throws Exception {
        try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(
                java.net.UnixDomainSocketAddress.of(STAPLED.runtimeApi().socket()))) {
            ch.write(java.nio.ByteBuffer.wrap(command.getBytes(StandardCharsets.US_ASCII)));
            ch.shutdownOutput();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(4096);
            while (ch.read(buf) > 0) {
                all.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            return all.toString(StandardCharsets.US_ASCII);
        }
    }

    /** A response an HTTP/1.1 client would be split by, or that breaks HTTP/2's rules: 502, nothing of it relayed. */
    @Test
    void aMalformedResponseIs502() throws Exception {
        String raw = http11("GET /crlf-header HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
        assertTrue(raw.startsWith("HTTP/1.1 502 "), raw);
        assertFalse(raw.toLowerCase().contains("evil"), raw);
        try (H2FrameClient c = H2FrameClient.connect(STAPLED.port(), "a.test")) {
            c.headers(1, H2FrameClient.get("/upper-header"), true);
            H2FrameClient.Frame head = c.awaitHeaders(1);
            assertEquals("502", head.status());
            assertNull(head.headers().get("x-upper"));
        }
    }

    /** The server timeout on a stream: 504 to the client, RST_STREAM(CANCEL) to the server. */
    @Test
    void aSilentStreamGets504AndIsCancelledAtTheServer() throws Exception {
        int resets = BACKEND.resets().size();
        try (H2FrameClient c = H2FrameClient.connect(STAPLED.port("slow"), "c.test")) {
            c.headers(1, H2FrameClient.get("/stall/timeout"), true);
            assertEquals("504", c.awaitHeaders(1).status());
        }
        Poll.until(Duration.ofSeconds(10), "the stream reset at the server", () -> BACKEND.resets().size() == resets + 1);
        assertEquals(Http2Error.CANCEL.code(), BACKEND.resets().get(resets));
    }

    /** A server that answers the HTTP/2 preface as HTTP/1.1 never sends SETTINGS: a failed connect, then 503. */
    @Test
    void anHttp11ServerNamedH2IsAFailedConnect() throws Exception {
        try (H2FrameClient c = H2FrameClient.connect(STAPLED.port("noth2"), "d.test")) {
            c.headers(1, H2FrameClient.get("/x"), true);
            assertEquals("503", c.await(Duration.ofSeconds(15), "the 503",
                    f -> f.type().equals("HEADERS") && f.streamId() == 1).status());
        }
        assertTrue(HTTP11.received().stream().noneMatch(r -> r.path().equals("/x")));
    }

    @Test
    void aResponseThatEndsOnItsHeadersEndsTheClientStreamOnHeaders() throws Exception {
        try (H2FrameClient c = H2FrameClient.connect(STAPLED.port(), "a.test")) {
            c.headers(1, H2FrameClient.get("/end-on-headers"), true);
            H2FrameClient.Frame head = c.awaitHeaders(1);
            assertEquals("404", head.status());
            assertTrue(head.endStream(), "one HEADERS frame with END_STREAM, as the server sent it");
            assertEquals("nothing here", head.headers().get("x-why").toString());
        }
        String raw = http11("GET /end-on-headers HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
        assertTrue(raw.startsWith("HTTP/1.1 404 "), raw);
        assertTrue(raw.toLowerCase().contains("\r\nx-why: nothing here\r\n"), raw);
        assertTrue(raw.endsWith("\r\n\r\n0\r\n\r\n") || raw.toLowerCase().contains("content-length: 0"), raw);
    }

    /**
     * An HTTP/1.1 client of an h2 server: its chunked body becomes DATA frames, and the response's
     * trailers come back as chunked trailers.
     */
    @Test
    void anHttp11ClientGetsTheTrailersInAChunkedResponse() throws Exception {
        String raw = http11("POST /trailers/h1 HTTP/1.1\r\nHost: a.test\r\nTE: trailers\r\n"
                + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n3\r\n h1\r\n0\r\n\r\n");
        assertTrue(raw.startsWith("HTTP/1.1 200 "), raw);
        String lower = raw.toLowerCase();
        assertTrue(lower.contains("\r\ntransfer-encoding: chunked\r\n"), raw);
        assertTrue(raw.contains("body: hello h1\n"), raw);
        assertTrue(raw.contains("te: trailers\n"), "te: trailers reaches the h2 server: " + raw);
        assertTrue(raw.endsWith("\r\n0\r\nx-result: done\r\n\r\n"), "trailers after the last chunk: " + raw);
        H2cTestServer.Received got = received(BACKEND, "/trailers/h1");
        assertEquals("hello h1", got.body());
        assertNull(got.header("transfer-encoding"));
        assertNull(got.header("connection"));
    }

    /** An HTTP/2 client's streaming body without content-length, and its trailers, reach the h2 server as sent. */
    @Test
    void requestDataAndTrailersGoThroughAsFrames() throws Exception {
        try (H2FrameClient c = H2FrameClient.connect(STAPLED.port(), "a.test")) {
            c.headers(1, H2FrameClient.request("POST", "/upload").authority("a.test"), false);
            c.data(1, "part one, ", false);
            c.data(1, "part two", false);
            c.headers(1, new io.netty.handler.codec.http2.DefaultHttp2Headers(false).add("x-checksum", "abc"), true);
            assertEquals("200", c.awaitHeaders(1).status());
            String echo = c.awaitBody(1);
            assertTrue(echo.contains("body: part one, part two\n"), echo);
            assertTrue(echo.contains("trailer x-checksum: abc\n"), echo);
        }
        H2cTestServer.Received got = received(BACKEND, "/upload");
        assertNull(got.header("content-length"));
        assertNull(got.header("transfer-encoding"));
        assertEquals("abc", got.trailers().get("x-checksum").toString());
    }

    @Test
    void anHttp11RequestWithoutBodyIsOneHeadersFrameWithEndStream() throws Exception {
        String raw = http11("GET /no-body HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
        assertTrue(raw.startsWith("HTTP/1.1 200 "), raw);
        assertTrue(raw.contains(":method: GET\n"), raw);
        assertFalse(received(BACKEND, "/no-body").endedOnData(), "END_STREAM on the HEADERS frame");
    }

    /** Writes {@code request} over TLS and reads the raw response until the server closes. */
    private static String http11(String request) throws Exception {
        try (SSLSocket s = (SSLSocket) TrustingSslContext.trusting(STAPLED.root()).getSocketFactory()
                .createSocket("127.0.0.1", STAPLED.port())) {
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new javax.net.ssl.SNIHostName("a.test")));
            p.setApplicationProtocols(new String[] {"http/1.1"});
            s.setSSLParameters(p);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            return all.toString(StandardCharsets.ISO_8859_1);
        }
    }
}
