package io.stapled.tls;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import io.stapled.config.TlsConfig;
import io.stapled.testing.ExternalTool;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.TlsTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Session tickets under rotating keys, and no tickets when the config says so. */
class SessionResumptionTest {
    @TempDir
    Path dir;

    private TlsFrontend frontend(boolean tickets) {
        return frontend(tickets, 1000);
    }

    private TlsFrontend frontend(boolean tickets, int cacheSize) {
        Path crt = TestPki.ecLeaf("resume.test", "resume.test").writeBundle(dir.resolve("resume.pem"));
        Path other = TestPki.ecLeaf("other.test", "other.test").writeBundle(dir.resolve("other.pem"));
        TlsConfig tls = new TlsConfig(List.of("TLSv1.2", "TLSv1.3"), null, null, List.of("http/1.1"), tickets,
                Duration.ofHours(1), cacheSize, Duration.ofMinutes(5), Duration.ofSeconds(5));
        return Frontends.create(tls, Frontends.file(crt), Frontends.file(other));
    }

    private String connect(int port, String protocol, Path session, boolean resume) throws Exception {
        return OpenSslCli.sClient(port, "-servername", "resume.test", protocol,
                resume ? "-sess_in" : "-sess_out", session.toString());
    }

    @Test
    void tls13TicketResumesAcrossOneRotationButNotTwo() throws Exception {
        ExternalTool.assumeInstalled("openssl");
        try (TlsFrontend frontend = frontend(true); TlsTestServer server = new TlsTestServer(frontend)) {
            Path session = dir.resolve("s13");
            String first = connect(server.port(), "-tls1_3", session, false);
            assertTrue(first.contains("New, TLSv1.3"), first);
            assertFalse(server.nextHandshake().reused());
            String again = connect(server.port(), "-tls1_3", session, true);
            assertTrue(again.contains("Reused, TLSv1.3"), again);
            assertTrue(server.nextHandshake().reused());

            frontend.rotateTicketKeys();
            String afterOne = connect(server.port(), "-tls1_3", session, true);
            assertTrue(afterOne.contains("Reused, TLSv1.3"), "the previous key still decrypts: " + afterOne);

            frontend.rotateTicketKeys();
            frontend.rotateTicketKeys();
            String afterThree = connect(server.port(), "-tls1_3", session, true);
            assertTrue(afterThree.contains("New, TLSv1.3"), "a ticket two keys old is refused: " + afterThree);
        }
    }

    @Test
    void tls12UsesTicketsUnderTheFrontendKeys() throws Exception {
        ExternalTool.assumeInstalled("openssl");
        try (TlsFrontend frontend = frontend(true); TlsTestServer server = new TlsTestServer(frontend)) {
            Path session = dir.resolve("s12");
            String first = connect(server.port(), "-tls1_2", session, false);
            assertTrue(first.contains("TLS session ticket:"), first);
            String again = connect(server.port(), "-tls1_2", session, true);
            assertTrue(again.contains("Reused, TLSv1.2"), again);
        }
    }

    @Test
    void noTicketsWhenDisabled() throws Exception {
        ExternalTool.assumeInstalled("openssl");
        try (TlsFrontend frontend = frontend(false); TlsTestServer server = new TlsTestServer(frontend)) {
            Path s13 = dir.resolve("n13");
            String first13 = connect(server.port(), "-tls1_3", s13, false);
            assertTrue(first13.contains("New, TLSv1.3"), first13);
            assertFalse(first13.contains("New Session Ticket"), first13);
            assertFalse(java.nio.file.Files.exists(s13), "no ticket, so no session to save");
            String first12 = connect(server.port(), "-tls1_2", dir.resolve("n12"), false);
            assertFalse(first12.contains("TLS session ticket:"), first12);
        }
    }

    @Test
    void tls12ResumesFromTheSessionCacheUnlessItIsOff() throws Exception {
        ExternalTool.assumeInstalled("openssl");
        try (TlsFrontend frontend = frontend(false, 1000); TlsTestServer server = new TlsTestServer(frontend)) {
            Path session = dir.resolve("cache-on");
            connect(server.port(), "-tls1_2", session, false);
            String again = connect(server.port(), "-tls1_2", session, true);
            assertTrue(again.contains("Reused, TLSv1.2"), again);
        }
        try (TlsFrontend frontend = frontend(false, 0); TlsTestServer server = new TlsTestServer(frontend)) {
            Path session = dir.resolve("cache-off");
            String first = connect(server.port(), "-tls1_2", session, false);
            assertTrue(first.contains("New, TLSv1.2"), first);
            assertFalse(java.nio.file.Files.exists(session), "no ticket and no cached session ID: nothing to resume");
        }
    }

    @Test
    void nettyClientDoesNotResumeTls13WithoutTickets() throws Exception {
        SslContext clientCtx = TlsTestClient.builder(SslProvider.OPENSSL).build();
        try (TlsFrontend frontend = frontend(false); TlsTestServer server = new TlsTestServer(frontend);
             TlsTestClient client = new TlsTestClient()) {
            client.connect(clientCtx, "resume.test", server.port());
            server.nextHandshake();
            assertFalse(client.connect(clientCtx, "resume.test", server.port()).protocol().isEmpty());
            assertFalse(server.nextHandshake().reused());
        } finally {
            ReferenceCountUtil.release(clientCtx);
        }
    }

    @Test
    void nettyClientResumes() throws Exception {
        SslContext clientCtx = TlsTestClient.builder(SslProvider.OPENSSL).build();
        try (TlsFrontend frontend = frontend(true); TlsTestServer server = new TlsTestServer(frontend);
             TlsTestClient client = new TlsTestClient()) {
            client.connect(clientCtx, "resume.test", server.port());
            assertFalse(server.nextHandshake().reused());
            client.connect(clientCtx, "resume.test", server.port());
            assertTrue(server.nextHandshake().reused());
        } finally {
            ReferenceCountUtil.release(clientCtx);
        }
    }
}
