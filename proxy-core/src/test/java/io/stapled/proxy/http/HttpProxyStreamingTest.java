package io.stapled.proxy.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import io.stapled.testkit.Poll;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HttpProxyStreamingTest {
    private static final int SIZE = 64 * 1024 * 1024;
    private TestBackend backend;
    private ProxyHarness proxy;

    @BeforeEach
    void start() throws Exception {
        backend = new TestBackend();
        proxy = ProxyHarness.start(ProxyHarness.backend(backend.port()));
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        backend.close();
    }

    @Test
    void largeUploadIsStreamedNotBuffered() throws Exception {
        AtomicBoolean backendSawBytesBeforeUploadEnded = new AtomicBoolean();
        // Produces 64 MiB, but stops at half-way until the backend has seen body bytes: a proxy that
        // waited for the whole body before forwarding would never get the second half.
        InputStream body = new InputStream() {
            private long sent;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (sent >= SIZE) {
                    return -1;
                }
                if (sent >= SIZE / 2 && !backendSawBytesBeforeUploadEnded.get()) {
                    try {
                        backendSawBytesBeforeUploadEnded.set(backend.firstBodyByte.await(10, TimeUnit.SECONDS));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                int n = (int) Math.min(len, SIZE - sent);
                sent += n;
                return n;
            }
        };
        HttpResponse<String> r = proxy.httpClient().send(HttpRequest.newBuilder(URI.create(proxy.url("/count")))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(backendSawBytesBeforeUploadEnded.get(), "the backend got nothing before the client finished");
        assertEquals(200, r.statusCode());
        assertEquals(Integer.toString(SIZE), r.body());
        assertEquals("chunked", backend.nextRequest().headers().get("transfer-encoding"));
    }

    /**
     * Waits until {@code counter} has not moved for 300 ms (the buffers between the two ends are full)
     * and returns it; fails if it is still moving after 2 s, the backend's pause being 2.5 s.
     */
    private static long settled(java.util.concurrent.atomic.AtomicLong counter) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(2);
        long last = counter.get();
        long stableSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            Thread.sleep(20);
            long now = counter.get();
            if (now != last) {
                last = now;
                stableSince = System.nanoTime();
            } else if (now > 0 && System.nanoTime() - stableSince >= java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(300)) {
                return now;
            }
        }
        throw new AssertionError("still moving after 2 s: " + last + " bytes");
    }

    @Test
    void largeUploadIsPacedByTheBackend() throws Exception {
        java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
        try (RawClient c = proxy.raw()) {
            Thread uploader = new Thread(() -> {
                try {
                    c.send("POST /pause HTTP/1.1\r\nHost: x\r\nContent-Length: " + SIZE + "\r\n\r\n");
                    byte[] slice = new byte[64 * 1024];
                    for (int sent = 0; sent < SIZE; sent += slice.length) {
                        c.send(slice);
                        written.addAndGet(slice.length);
                    }
                } catch (java.io.IOException e) {
                    written.set(-1);
                }
            }, "uploader");
            uploader.start();
            // The backend reads nothing for its first 2.5 s. Once the socket buffers on the way are
            // full the client must be stuck; a proxy that kept reading would keep accepting bytes,
            // and one that buffered the body would take all 64 MiB.
            long stuck = settled(written);
            assertTrue(stuck > 0 && stuck < SIZE / 4, "client pushed " + stuck + " bytes while the backend read nothing");
            uploader.join(20_000);
            RawClient.Response r = c.read();
            assertEquals(200, r.status());
            assertEquals(Integer.toString(SIZE), r.body());
        }
    }

    @Test
    void largeDownloadIsPacedByTheClient() throws Exception {
        try (RawClient c = proxy.raw()) {
            c.send("GET /big?n=" + SIZE + " HTTP/1.1\r\nHost: x\r\n\r\n");
            // The client reads nothing for a while. Once the buffers on the way are full the
            // backend must be held back, not drained into the proxy's memory.
            long stuck = settled(backend.bigWritten);
            assertTrue(stuck > 0 && stuck < SIZE / 4, "backend wrote " + stuck + " bytes while the client read nothing");
            RawClient.Response r = c.read();
            assertEquals(200, r.status());
            assertEquals(SIZE, r.body().length());
            c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, c.read().status());
        }
        assertEquals(1, backend.connections.get());
    }

    @Test
    void jdkClientDownload() throws Exception {
        HttpResponse<InputStream> r = proxy.httpClient().send(
                HttpRequest.newBuilder(URI.create(proxy.url("/big?n=" + (8 * 1024 * 1024)))).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        long total = 0;
        try (InputStream in = r.body()) {
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) > 0) {
                total += n;
            }
        }
        assertEquals(8 * 1024 * 1024, total);
    }

    @Test
    void echoStreamsChunksBothWays() throws Exception {
        try (RawClient c = proxy.raw()) {
            c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nping\r\n");
            // The first chunk comes back before the request is finished.
            RawClient.Response head = c.readHead();
            assertEquals(200, head.status());
            assertEquals("4", c.line());
            assertEquals("ping", c.line());
            c.send("5\r\npong!\r\n0\r\n\r\n");
            assertEquals("5", c.line());
            assertEquals("pong!", c.line());
            assertEquals("0", c.line());
            assertEquals("", c.line());
            c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, c.read().status());
        }
    }

    @Test
    void webSocketUpgradeIsTunnelledAsRawBytes() throws Exception {
        try (RawClient c = proxy.raw()) {
            c.send("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals(101, r.status());
            assertEquals("websocket", r.header("upgrade"));
            assertEquals("upgrade", r.header("connection").toLowerCase(java.util.Locale.ROOT));
            byte[] frame = {(byte) 0x81, 0x04, 'p', 'i', 'n', 'g'};
            c.send(frame);
            assertArrayEquals(frame, c.readExactly(frame.length));
            // Bytes that look like HTTP are not parsed any more.
            String http = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
            c.send(http);
            assertEquals(http, new String(c.readExactly(http.length()), StandardCharsets.ISO_8859_1));
        }
        io.netty.handler.codec.http.HttpRequest seen = backend.nextRequest();
        assertEquals("websocket", seen.headers().get("upgrade"));
        assertEquals("upgrade", seen.headers().get("connection").toLowerCase(java.util.Locale.ROOT));
        Poll.within(Duration.ofSeconds(5), () -> proxy.pool.servers().get(0).activeConnections() == 0);
        assertEquals(0, proxy.pool.servers().get(0).activeConnections(), "tunnel end not counted");
    }
}
