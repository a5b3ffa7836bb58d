package io.stapled.proxy.http2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Flags;
import io.netty.handler.codec.http2.Http2FrameTypes;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.ResourceLeakDetector;
import io.stapled.config.Http2Config;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.Poll;

/**
 * The HTTP/2 floods of docs/HTTP2.md ("Attacks and how each is answered"), each sent by the raw frame
 * client against the real server: the attacking connection is answered (GOAWAY, RST_STREAM or 431) and
 * closed where the table says so, and a stream on another connection is answered afterwards. Each
 * flood is bounded (a few hundred KiB at most, loopback) and fails the test if the guard is gone: the
 * connection would then stay open, silent.
 */
@Timeout(60)
class Http2FloodTest {
    static final H2TestBackend BACKEND = new H2TestBackend();
    /** The frontend's header list limit; the header block may weigh a quarter more. */
    static final int HEADER_LIST = 2048;

    @RegisterExtension
    static final StapledServerExtension STAPLED = StapledServerExtension.fromYaml("""
            frontends:
              - name: https
                bind: 127.0.0.1:0
                backend: app
                client_timeout: 30s
                http: { request_timeout: 30s }
                certificates:
                  - crt: ${cert:a.test}
                http2:
                  max_header_list_size: 2k
                  max_control_frames_queued: 1000
              - name: slow
                bind: 127.0.0.1:0
                backend: app
                client_timeout: 1s
                http: { request_timeout: 30s }
                certificates:
                  - crt: ${cert:b.test}
            backends:
              - name: app
                servers:
                  - { name: app1, address: 127.0.0.1:${port:be} }
            """).port("be", BACKEND::port);

    @AfterAll
    static void stopBackend() {
        BACKEND.close();
    }

    private static H2FrameClient connect() throws Exception {
        return H2FrameClient.connect(STAPLED.port(), "a.test");
    }

    /** The attacked connection is gone; a new one is served as if nothing happened. */
    private static void anotherConnectionIsServed(String path) throws Exception {
        try (H2FrameClient c = connect()) {
            c.headers(1, H2FrameClient.get(path), true);
            assertEquals("200", c.awaitHeaders(1).status());
            assertTrue(c.awaitBody(1).contains("path=" + path));
        }
    }

    private static void assertGoAwayAndClose(H2FrameClient c, Http2Error expected) throws InterruptedException {
        H2FrameClient.Frame goAway = c.awaitGoAway();
        assertEquals(expected.code(), goAway.errorCode(), "GOAWAY " + goAway);
        assertTrue(c.awaitClosed(Duration.ofSeconds(5)), "closed after its GOAWAY");
    }

    // ---------------------------------------------------------------- hand-made HPACK

    /** An HPACK integer with an {@code prefixBits}-bit prefix whose other bits are {@code first}. */
    private static void hpackInt(ByteArrayOutputStream out, int first, int prefixBits, int value) {
        int max = (1 << prefixBits) - 1;
        if (value < max) {
            out.write(first | value);
            return;
        }
        out.write(first | max);
        value -= max;
        while (value >= 128) {
            out.write((value & 0x7f) | 0x80);
            value >>>= 7;
        }
        out.write(value);
    }

    private static void hpackString(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        hpackInt(out, 0, 7, b.length); // no Huffman
        out.writeBytes(b);
    }

    /**
     * GET {@code path} on a.test, every field from the static table or a literal that is not indexed,
     * so that it leaves the dynamic table alone (the test's blocks and the frame writer's encoder do
     * not share one).
     */
    private static ByteArrayOutputStream getBlock(String path) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x82); // :method GET
        out.write(0x87); // :scheme https
        hpackInt(out, 0x00, 4, 4); // :path, literal without indexing
        hpackString(out, path);
        hpackInt(out, 0x00, 4, 1); // :authority
        hpackString(out, "a.test");
        return out;
    }

    private static Http2Flags flags(boolean endHeaders, boolean endStream) {
        return new Http2Flags().endOfHeaders(endHeaders).endOfStream(endStream);
    }

    // ---------------------------------------------------------------- CONTINUATION

    /**
     * CVE-2024-27316 in its cheapest form: a HEADERS frame without END_HEADERS, then empty
     * CONTINUATION frames forever. The block never grows, so only a count stops it: Netty's limit of
     * small CONTINUATION frames per block ({@code max_continuation_frames}, 16).
     */
    @Test
    void endlessEmptyContinuationFramesEndTheConnection() throws Exception {
        try (H2FrameClient c = connect()) {
            c.batch(() -> {
                c.frame(Http2FrameTypes.HEADERS, 1, flags(false, true), getBlock("/never").toByteArray());
                for (int i = 0; i < 200; i++) {
                    c.frame(Http2FrameTypes.CONTINUATION, 1, flags(false, false), new byte[0]);
                }
            });
            assertGoAwayAndClose(c, Http2Error.ENHANCE_YOUR_CALM);
        }
        anotherConnectionIsServed("/after-continuation-flood");
        assertTrue(BACKEND.received().stream().noneMatch(r -> r.path().equals("/never")));
    }

    /**
     * CONTINUATION frames that carry bytes: the block is capped while it arrives, at the header list
     * limit plus a quarter (2.5 KiB here), far before the 11 frames sent; the accumulated block is
     * freed with the connection. Fewer frames than {@code max_continuation_frames}: the size alone
     * ends it (PROTOCOL_ERROR, not ENHANCE_YOUR_CALM).
     */
    @Test
    void aHeaderBlockIsCappedWhileItsContinuationFramesArrive() throws Exception {
        assertEquals(2560, Http2Config.defaults(null).withMaxHeaderListSize(HEADER_LIST).maxHeaderBlockSize());
        byte[] kib = new byte[1024];
        try (H2FrameClient c = connect()) {
            c.batch(() -> {
                c.frame(Http2FrameTypes.HEADERS, 1, flags(false, true), getBlock("/never-big").toByteArray());
                for (int i = 0; i < 10; i++) {
                    c.frame(Http2FrameTypes.CONTINUATION, 1, flags(false, false), kib);
                }
            });
            assertGoAwayAndClose(c, Http2Error.PROTOCOL_ERROR);
        }
        anotherConnectionIsServed("/after-big-block");
        assertTrue(BACKEND.received().stream().noneMatch(r -> r.path().equals("/never-big")));
    }

    /** The limits do not refuse what a client may legitimately do: a block split over a few frames. */
    @Test
    void aHeaderBlockSplitOverSeveralContinuationFramesIsServed() throws Exception {
        byte[] block = getBlock("/split-block").toByteArray();
        int parts = Http2Config.DEFAULT_MAX_CONTINUATION_FRAMES - 2;
        try (H2FrameClient c = connect()) {
            c.batch(() -> {
                int step = block.length / parts + 1;
                for (int from = 0, i = 0; from < block.length; from += step, i++) {
                    byte[] part = java.util.Arrays.copyOfRange(block, from, Math.min(block.length, from + step));
                    boolean last = from + step >= block.length;
                    c.frame(i == 0 ? Http2FrameTypes.HEADERS : Http2FrameTypes.CONTINUATION, 1,
                            i == 0 ? flags(last, true) : flags(last, false), part);
                }
            });
            assertEquals("200", c.awaitHeaders(1).status());
            assertTrue(c.awaitBody(1).contains("path=/split-block"));
        }
    }

    // ---------------------------------------------------------------- HPACK bomb

    /**
     * A header block of 2 KiB that decodes to 1 MiB: one 1000-byte field added to the dynamic table,
     * then a thousand one-byte references to it. The decoder counts the decoded size as it goes and
     * stops keeping fields past the limit, so the list never exists in memory: 431 on the stream, and
     * the connection carries on (its HPACK state is intact: the whole block was decoded).
     */
    @Test
    void anHpackBombIsRefusedByTheDecodedSizeLimit() throws Exception {
        ByteArrayOutputStream bomb = getBlock("/bomb");
        bomb.write(0x40); // literal with incremental indexing, new name
        hpackString(bomb, "x");
        hpackString(bomb, "a".repeat(1000));
        for (int i = 0; i < 1000; i++) {
            bomb.write(0x80 | 62); // indexed: the dynamic table's newest entry, x: aaa...
        }
        byte[] block = bomb.toByteArray();
        assertTrue(block.length < HEADER_LIST + HEADER_LIST / 4, "under the block's size cap: " + block.length);
        try (H2FrameClient c = connect()) {
            c.frame(Http2FrameTypes.HEADERS, 1, flags(true, true), block);
            assertEquals("431", c.awaitHeaders(1).status());
            c.frame(Http2FrameTypes.HEADERS, 3, flags(true, true), getBlock("/after-bomb").toByteArray());
            assertEquals("200", c.awaitHeaders(3).status());
            assertTrue(c.awaitBody(3).contains("path=/after-bomb"));
        }
        assertTrue(BACKEND.received().stream().noneMatch(r -> r.path().equals("/bomb")));
    }

    // ---------------------------------------------------------------- empty DATA

    /** Two empty DATA frames in a row are allowed (Netty's default), a third ends the connection. */
    @Test
    void emptyDataFramesAreAllowedTwiceInARowThenEndTheConnection() throws Exception {
        try (H2FrameClient c = connect()) {
            c.headers(1, H2FrameClient.request("POST", "/two-empty"), false);
            c.batch(() -> {
                c.data(1, "", false);
                c.data(1, "", false);
                c.data(1, "x", true);
            });
            assertEquals("200", c.awaitHeaders(1).status());
            assertTrue(c.awaitBody(1).contains("body=x"));

            c.headers(3, H2FrameClient.request("POST", "/empty-flood"), false);
            c.batch(() -> {
                for (int i = 0; i < 100; i++) {
                    c.data(3, "", false);
                }
            });
            assertGoAwayAndClose(c, Http2Error.ENHANCE_YOUR_CALM);
        }
        anotherConnectionIsServed("/after-empty-data");
        assertTrue(BACKEND.received().stream().noneMatch(r -> r.path().equals("/empty-flood")));
    }

    // ---------------------------------------------------------------- WINDOW_UPDATE

    /** A stream's window pushed past 2^31-1 is a stream error; the connection carries on. */
    @Test
    void aStreamWindowOverflowResetsTheStreamOnly() throws Exception {
        try (H2FrameClient c = connect()) {
            c.headers(1, H2FrameClient.request("POST", "/open-upload"), false);
            c.windowUpdate(1, Integer.MAX_VALUE);
            assertEquals(Http2Error.FLOW_CONTROL_ERROR.code(), c.awaitReset(1).errorCode());
            c.headers(3, H2FrameClient.get("/after-stream-overflow"), true);
            assertEquals("200", c.awaitHeaders(3).status());
        }
    }

    /** The connection's window pushed past 2^31-1 is a connection error: GOAWAY(FLOW_CONTROL_ERROR). */
    @Test
    void aConnectionWindowOverflowEndsTheConnection() throws Exception {
        try (H2FrameClient c = connect()) {
            c.windowUpdate(0, Integer.MAX_VALUE);
            assertGoAwayAndClose(c, Http2Error.FLOW_CONTROL_ERROR);
        }
        anotherConnectionIsServed("/after-connection-overflow");
    }

    // ---------------------------------------------------------------- SETTINGS, PING

    /**
     * A client that reads what it is sent may ping as often as it likes: every PING is answered, none
     * waits, and the queued-answers limit (1000 here) is never reached.
     */
    @Test
    void pingsWhoseAnswersAreReadAreAllAnswered() throws Exception {
        try (H2FrameClient c = connect()) {
            for (int round = 0; round < 5; round++) {
                c.batch(() -> {
                    for (int i = 0; i < 1000; i++) {
                        c.ping(i);
                    }
                });
            }
            Poll.until(Duration.ofSeconds(10), "5000 PING acknowledgements", () -> c.pingAcks() == 5000);
            assertTrue(c.isOpen());
        }
    }

    /**
     * SETTINGS and PING floods (CVE-2019-9512, CVE-2019-9515): the client sends frames the server must
     * acknowledge and never reads the acknowledgements. Once the socket buffers between the two are
     * full, the answers queue in the server's memory; Netty counts them and closes the connection at
     * {@code max_control_frames_queued} (1000 here). The GOAWAY cannot reach a client that does not
     * read (it would queue behind the answers), so the client sees its writes fail. Without the limit
     * the flood would be queued without end: the test stops at 64 MiB sent.
     */
    @ParameterizedTest
    @ValueSource(strings = {"PING", "SETTINGS"})
    void controlFramesWhoseAnswersAreNotReadEndTheConnection(String type) throws Exception {
        long cap = 64L << 20;
        // Hundreds of thousands of acknowledgements must fill the socket buffers first, each a buffer
        // the paranoid leak detector would trace (a stack trace per touch): sampled for this test only.
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
        try (H2FrameClient c = H2FrameClient.connect(STAPLED.port(), "a.test", new Http2Settings(), 4096)) {
            c.await(Duration.ofSeconds(10), "the server's SETTINGS", f -> f.type().equals("SETTINGS"));
            c.stopReading();
            long start = System.nanoTime();
            while (c.isOpen() && c.bytesWritten() < cap) {
                c.batchAndWait(() -> {
                    for (int i = 0; i < 2000; i++) {
                        if (type.equals("PING")) {
                            c.ping(i);
                        } else {
                            c.settings(new Http2Settings());
                        }
                    }
                });
            }
            System.out.printf("%s flood: closed=%s after %d bytes sent in %d ms%n", type, !c.isOpen(),
                    c.bytesWritten(), (System.nanoTime() - start) / 1_000_000);
            // A client that stopped reading only sees the server's close through a failed write; once it
            // stops writing it must read through what the server sent before closing to reach the end. A
            // server that never hit the limit would now flush its answers and stay open: the test fails.
            c.resumeReading();
            assertTrue(c.awaitClosed(Duration.ofSeconds(20)), "closed after " + c.bytesWritten() + " bytes of " + type);
        } finally {
            ResourceLeakDetector.setLevel(level);
        }
        anotherConnectionIsServed("/after-" + type.toLowerCase(java.util.Locale.ROOT) + "-flood");
    }

    // ---------------------------------------------------------------- a window held at zero

    /**
     * A slow read: the client announces an initial window of 0 and asks for 1 GiB. The proxy reads the
     * backend only while the stream can be written, so the backend stalls after what the socket
     * buffers hold (memory per stream: a read's worth beyond them), and the client's PINGs, which keep
     * the connection from being idle, do not keep the stream: unwritable for the client timeout (1s),
     * it is reset with CANCEL and its backend connection closed. Then the idle connection is closed.
     */
    @Test
    void aWindowHeldAtZeroIsBoundedThenTheStreamIsCancelled() throws Exception {
        long total = 1L << 30;
        try (H2FrameClient c = H2FrameClient.connect(STAPLED.port("slow"), "b.test",
                new Http2Settings().initialWindowSize(0), 0)) {
            long start = System.nanoTime();
            c.headers(1, H2FrameClient.get("/big/" + total).authority("b.test"), true);
            H2FrameClient.Frame reset = null;
            for (int i = 0; i < 50 && reset == null; i++) {
                c.ping(i); // the connection is never idle
                reset = c.poll(Duration.ofMillis(200), f -> f.type().equals("RST_STREAM") && f.streamId() == 1);
            }
            long elapsed = (System.nanoTime() - start) / 1_000_000;
            assertTrue(reset != null, "the stalled stream was reset");
            assertEquals(Http2Error.CANCEL.code(), reset.errorCode());
            assertTrue(elapsed >= 900, "not before the client timeout: " + elapsed + " ms");
            assertTrue(c.poll(Duration.ZERO, f -> f.type().equals("DATA")) == null, "no DATA into a window of 0");
            Poll.until(Duration.ofSeconds(5), "the backend connection closed", BACKEND::bigCut);
            long written = BACKEND.bigWritten();
            System.out.printf("window held at 0: the backend wrote %d bytes before it stalled; reset after %d ms%n",
                    written, elapsed);
            assertTrue(written < 64L << 20, "the backend was not read while the stream was stalled: " + written);
            assertEquals(Http2Error.NO_ERROR.code(), c.awaitGoAway().errorCode(), "then the idle connection goes");
            assertTrue(c.awaitClosed(Duration.ofSeconds(5)));
        }
        anotherConnectionIsServed("/after-zero-window");
    }

    // ---------------------------------------------------------------- PRIORITY, small WINDOW_UPDATEs

    /**
     * PRIORITY and WINDOW_UPDATE floods have no limit of their own, by decision: each frame costs
     * Netty a constant amount of work and no memory that stays (PRIORITY on a stream that does not
     * exist keeps at most 5 entries of priority state per connection, Netty's
     * WeightedFairQueueByteDistributor; a WINDOW_UPDATE adds to a counter, and an overflow is a
     * FLOW_CONTROL_ERROR, above). So they cost what any frame costs, like a PING that is read. This
     * measures it: 20,000 PRIORITY frames (re-parenting idle and closed streams, exclusive or not) and
     * 20,000 one-byte WINDOW_UPDATEs on one connection, then a stream on the same connection is
     * answered within the usual time; a cost that grew with the frames already seen (quadratic) would
     * not be.
     */
    @Test
    void priorityAndWindowUpdateFloodsCostLittleAndTheConnectionStaysUsable() throws Exception {
        int n = 20_000;
        try (H2FrameClient c = connect()) {
            c.headers(1, H2FrameClient.get("/before-priority"), true);
            assertEquals("200", c.awaitHeaders(1).status());
            c.awaitBody(1);
            long start = System.nanoTime();
            for (int from = 0; from < n; from += 5000) {
                int first = from;
                c.batchAndWait(() -> {
                    for (int i = first; i < first + 5000; i++) {
                        int id = 3 + 2 * i;
                        // Never on itself: that is a stream error, answered with RST_STREAM (below).
                        c.priority(i % 3 == 0 ? 1 : id, i % 2 == 0 ? id - 2 : i % 3 == 0 ? id : 1,
                                (short) (1 + i % 256), i % 2 == 0);
                        c.windowUpdate(0, 1);
                    }
                });
            }
            int last = 3 + 2 * n;
            c.headers(last, H2FrameClient.get("/after-priority"), true);
            assertEquals("200", c.awaitHeaders(last).status());
            assertTrue(c.awaitBody(last).contains("path=/after-priority"));
            long nanos = System.nanoTime() - start;
            System.out.printf("%d PRIORITY + %d WINDOW_UPDATE frames and one stream: %d ms, %d ns per frame%n",
                    n, n, nanos / 1_000_000, nanos / (2L * n));
            assertTrue(c.isOpen());
        }
    }

    /**
     * Frames that make the server reset streams (MadeYouReset, CVE-2025-55163: here a PRIORITY frame
     * that makes a stream depend on itself, a stream error each time): Netty counts the RST_STREAM
     * frames the server sends and ends the connection above 200 in 30 seconds (its default), with
     * GOAWAY(ENHANCE_YOUR_CALM).
     */
    @Test
    void framesThatMakeTheServerResetStreamsEndTheConnection() throws Exception {
        try (H2FrameClient c = connect()) {
            c.headers(1, H2FrameClient.get("/before-self-dependency"), true);
            assertEquals("200", c.awaitHeaders(1).status());
            c.awaitBody(1);
            c.batch(() -> {
                for (int i = 0; i < 300; i++) {
                    c.priority(1, 1, (short) 16, false);
                }
            });
            assertEquals(Http2Error.PROTOCOL_ERROR.code(), c.awaitReset(1).errorCode());
            assertGoAwayAndClose(c, Http2Error.ENHANCE_YOUR_CALM);
        }
        anotherConnectionIsServed("/after-self-dependency");
    }

    /**
     * A slowloris on one stream: an upload that stops arriving while the client keeps the connection
     * busy with PINGs. The stream gets 408 after the client timeout (1s) of no DATA, then
     * RST_STREAM(NO_ERROR) (the request never ended); the connection carries on.
     */
    @Test
    void anUploadThatStopsArrivingGets408WhilePingsKeepTheConnectionBusy() throws Exception {
        try (H2FrameClient c = H2FrameClient.connect(STAPLED.port("slow"), "b.test")) {
            long start = System.nanoTime();
            c.headers(1, H2FrameClient.request("POST", "/stalled-upload").authority("b.test")
                    .add("content-length", "10"), false);
            c.data(1, "abc", false);
            H2FrameClient.Frame head = null;
            for (int i = 0; i < 50 && head == null; i++) {
                c.ping(i);
                head = c.poll(Duration.ofMillis(200), f -> f.type().equals("HEADERS") && f.streamId() == 1);
            }
            long elapsed = (System.nanoTime() - start) / 1_000_000;
            assertTrue(head != null, "the stalled upload was answered");
            assertEquals("408", head.status());
            assertTrue(elapsed >= 900, "not before the client timeout: " + elapsed + " ms");
            assertEquals(Http2Error.NO_ERROR.code(), c.awaitReset(1).errorCode());
            c.headers(3, H2FrameClient.get("/after-stalled-upload").authority("b.test"), true);
            assertEquals("200", c.awaitHeaders(3).status());
        }
        assertTrue(BACKEND.received().stream().noneMatch(r -> r.path().equals("/stalled-upload")));
    }
}
