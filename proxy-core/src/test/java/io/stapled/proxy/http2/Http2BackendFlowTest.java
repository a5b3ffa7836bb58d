package io.stapled.proxy.http2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.stapled.testing.StapledServerExtension;
import io.stapled.testing.TrustingSslContext;
import io.stapled.testkit.Poll;

/**
 * Back-pressure per stream on a shared h2 backend connection: one event loop (so every client's
 * streams share one backend connection), a client that does not read a 64 MiB response, and another
 * client whose request on the same backend connection is answered meanwhile.
 */
@Timeout(60)
class Http2BackendFlowTest {
    static final long BIG = 64L << 20;
    static final H2cTestServer BACKEND = new H2cTestServer(100);

    @RegisterExtension
    static final StapledServerExtension STAPLED = StapledServerExtension.fromYaml("""
            global: { workers: 1 }
            frontends:
              - name: https
                bind: 127.0.0.1:0
                backend: h2
                certificates:
                  - crt: ${cert:a.test}
            backends:
              - name: h2
                servers:
                  - { name: h2a, address: 127.0.0.1:${port:be}, proto: h2 }
            """).port("be", BACKEND::port);

    @AfterAll
    static void stop() {
        BACKEND.close();
    }

    @Test
    void aClientThatDoesNotReadHoldsOnlyItsOwnStream() throws Exception {
        try (SSLSocket slow = (SSLSocket) TrustingSslContext.trusting(STAPLED.root()).getSocketFactory()
                .createSocket("127.0.0.1", STAPLED.port())) {
            SSLParameters p = slow.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName("a.test")));
            p.setApplicationProtocols(new String[] {"http/1.1"});
            slow.setSSLParameters(p);
            slow.setSoTimeout(20_000);
            slow.setReceiveBufferSize(64 * 1024);
            OutputStream out = slow.getOutputStream();
            out.write(("GET /big/" + BIG + " HTTP/1.1\r\nHost: a.test\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = slow.getInputStream();
            byte[] buf = new byte[64 * 1024];
            long read = in.read(buf); // the head and the first bytes, then nothing for a while
            Poll.until(Duration.ofSeconds(10), "the big request at the server",
                    () -> BACKEND.received().stream().anyMatch(r -> r.path().startsWith("/big/")));

            // The slow client's stream holds its window; the connection's window still has room.
            try (H2FrameClient fast = H2FrameClient.connect(STAPLED.port(), "a.test")) {
                for (int i = 0; i < 3; i++) {
                    fast.headers(1 + 2 * i, H2FrameClient.get("/fast/" + i), true);
                    assertEquals("200", fast.awaitHeaders(1 + 2 * i).status());
                    assertTrue(fast.awaitBody(1 + 2 * i).contains(":path: /fast/" + i + "\n"));
                }
                // A response of many stream windows on the same backend connection flows meanwhile.
                fast.headers(7, H2FrameClient.get("/big/" + (1 << 20)), true);
                assertEquals("200", fast.awaitHeaders(7).status());
                assertEquals(1 << 20, fast.awaitBody(7).length());
            }
            String bigConnection = BACKEND.received().stream().filter(r -> r.path().startsWith("/big/"))
                    .findFirst().orElseThrow().connection();
            assertTrue(BACKEND.received().stream().filter(r -> r.path().startsWith("/fast/"))
                    .allMatch(r -> r.connection().equals(bigConnection)), "one backend connection for both clients");
            assertEquals(2, BACKEND.received().stream().filter(r -> r.path().startsWith("/big/"))
                    .map(H2cTestServer.Received::connection).filter(bigConnection::equals).count());

            // The slow client reads at last and gets all of it.
            String head = new String(buf, 0, (int) read, StandardCharsets.ISO_8859_1);
            int end = head.indexOf("\r\n\r\n");
            assertTrue(head.startsWith("HTTP/1.1 200 "), head);
            long body = read - end - 4;
            for (int n; body < BIG && (n = in.read(buf)) > 0; ) {
                body += n;
            }
            assertEquals(BIG, body);
        }
    }
}
