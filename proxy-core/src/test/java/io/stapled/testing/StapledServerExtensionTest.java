package io.stapled.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.stapled.server.StapledServer;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.TlsTestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The extension itself: on a static field one server serves every test of the class; placeholders become a
 * served, stapled certificate, the extension's backend and a port the test supplies; the bound ports and the
 * runtime API are what the server really opened.
 */
@Timeout(30)
class StapledServerExtensionTest {
    @RegisterExtension
    @Order(1)
    static final EventLoopGroupExtension loops = new EventLoopGroupExtension(1);

    private static final AtomicInteger status = new AtomicInteger(204);
    private static final AtomicReference<String> lastRequest = new AtomicReference<>();
    private static LoopbackServer other;
    private static StapledServer firstSeen;

    @RegisterExtension
    @Order(2)
    static final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            ocsp:
              startup_wait: 5s
              persist: false
            frontends:
              - name: web
                bind: 127.0.0.1:0
                mode: http
                backend: app
                certificates:
                  - crt: ${cert:web.test}
              - name: other
                bind: 127.0.0.1:0
                mode: http
                backend: other
                certificates:
                  - crt: ${cert:other.test:abc1}
            backends:
              - name: app
                servers:
                  - { name: app1, address: 127.0.0.1:${backend} }
              - name: other
                servers:
                  - { name: o1, address: 127.0.0.1:${port:other} }
            runtime_api: { socket: ${socket}, level: admin }
            """).port("other", () -> {
                other = LoopbackServer.http(loops.group(), status, lastRequest);
                return other.port();
            });

    @AfterAll
    static void closeOther() throws Exception {
        if (other != null) {
            other.close();
        }
    }

    @Test
    void servesTheGeneratedCertificateWithAStapleAndProxiesToItsBackend() throws Exception {
        try (TlsTestClient.Connection c = stapled.open("web.test")) {
            assertEquals(stapled.leaf("web.test").certificate(), c.peerLeaf());
            assertNotNull(c.ocspResponse(), "stapled from the extension's responder at start-up");
            assertTrue(TestPki.isSuccessfulOcsp(c.ocspResponse()));
            TlsTestClient.Response r = c.get("/x");
            assertEquals(200, r.status());
            assertTrue(r.body().contains("uri: /x"), r.body());
        }
        sameServerForTheWholeClass();
    }

    @Test
    void suppliedPortAndFixedSerialAreFilledIn() throws Exception {
        try (TlsTestClient.Connection c = stapled.client().open(stapled.port("other"), "other.test", false,
                stapled.root())) {
            assertEquals("abc1", c.peerLeaf().getSerialNumber().toString(16));
            assertEquals(204, c.get("/o").status());
            assertTrue(lastRequest.get().startsWith("GET /o "), lastRequest.get());
        }
        sameServerForTheWholeClass();
    }

    @Test
    void exposesWhatTheServerBound() {
        assertEquals(stapled.server().frontend("web").address().getPort(), stapled.port("web"));
        assertEquals(stapled.port("web"), stapled.port(), "port() is the first frontend's");
        assertTrue(Files.exists(stapled.runtimeApi().socket()), "runtime API socket bound");
        assertTrue(stapled.certificateFile("web.test").startsWith(stapled.dir()));
        assertThrows(IllegalArgumentException.class, () -> stapled.leaf("nobody.test"));
        sameServerForTheWholeClass();
    }

    private static synchronized void sameServerForTheWholeClass() {
        if (firstSeen == null) {
            firstSeen = stapled.server();
        }
        assertSame(firstSeen, stapled.server(), "a static extension starts one server per class");
    }
}
