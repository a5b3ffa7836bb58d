package io.stapled.admin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.stapled.ocsp.ManagedCertificate;
import io.stapled.ocsp.OcspManager;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.pki.KeyPairs;
import io.stapled.testkit.responder.OcspResponderServer;
import io.stapled.testkit.responder.OcspResponderServer.Behaviour;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.Poll;
import io.stapled.testkit.TlsTestClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The runtime API, the OCSP engine and a TLS frontend together, as the real server wires them
 * ({@link StapledServerExtension}): what is pushed or committed on the socket is what the next handshake
 * serves and staples.
 */
@Timeout(30)
class RuntimeApiStaplingTest {
    @RegisterExtension
    final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            ocsp:
              enabled: true
              startup_wait: 10s
              persist: false
              watch_files: false
            frontends:
              - name: https
                bind: 127.0.0.1:0
                mode: http
                backend: web
                certificates:
                  - crt: ${cert:staple.test:5005}
            backends:
              - name: web
                servers:
                  - { name: web1, address: 127.0.0.1:${backend} }
            runtime_api: { socket: ${socket}, mode: "0600", level: admin }
            """);

    private OcspResponderServer responder;
    private OcspManager manager;
    private TlsTestClient probe;
    private Path socket;
    private String file;

    private IssuedCertificate leaf(long serial) {
        return CertificateBuilder.subject("CN=staple.test").issuer(stapled.intermediate()).keyPair(KeyPairs.ecP256())
                .dnsNames("staple.test").ocspUrl(responder.url()).serial(BigInteger.valueOf(serial)).build();
    }

    @BeforeEach
    void start() {
        responder = stapled.responder();
        manager = stapled.server().ocsp();
        file = stapled.certificateFile("staple.test").toString();
        socket = stapled.runtimeApi().socket();
        probe = stapled.client();
    }

    private int port() {
        return stapled.port("https");
    }

    private String send(String text) throws IOException {
        return CliClient.send(socket, text);
    }

    @Test
    void pushedResponseIsStapledByTheNextHandshake() throws Exception {
        TlsTestClient.Result first = probe.handshake(port(), "staple.test");
        assertNotNull(first.ocspResponse(), "stapled from the start-up fetch");
        byte[] pushed = responder.responseFor(BigInteger.valueOf(0x5005), Behaviour.DELEGATED);
        assertEquals("OCSP Response updated!\n\n",
                send("set ssl ocsp-response " + Base64.getEncoder().encodeToString(pushed) + "\n"));
        assertArrayEquals(pushed, probe.handshake(port(), "staple.test").ocspResponse());

        byte[] forged = responder.responseFor(BigInteger.valueOf(0x5005), Behaviour.FORGED);
        send("set ssl ocsp-response " + Base64.getEncoder().encodeToString(forged) + "\n");
        assertArrayEquals(pushed, probe.handshake(port(), "staple.test").ocspResponse(), "a refused push changes nothing");
    }

    @Test
    void committedCertificateAndItsOcspPartAreServedAndStapledTogether() throws Exception {
        assertEquals("5005", probe.handshake(port(), "staple.test").serialHex());
        IssuedCertificate next = leaf(0x6006);
        // the new certificate's own fetch fails, so its staple can only be the one sent with it
        responder.behaviour(BigInteger.valueOf(0x6006), Behaviour.HTTP_500);
        byte[] ocsp = responder.responseFor(BigInteger.valueOf(0x6006), Behaviour.GOOD);
        send("set ssl cert " + file + " <<\n" + next.chainPem() + next.privateKeyPem() + "\n");
        assertEquals("Transaction updated for certificate " + file + "!\n\n", send("set ssl cert " + file
                + ".ocsp <<\n" + Base64.getMimeEncoder().encodeToString(ocsp).replace("\r\n", "\n") + "\n\n"));
        String pending = send("show ssl cert *" + file + ".ocsp\n");
        assertTrue(pending.startsWith("OCSP Response Data:\n") && pending.contains("Serial Number: 6006\n"), pending);
        assertTrue(send("show ssl cert " + file + ".ocsp\n").contains("Serial Number: 5005\n"),
                "the committed certificate's staple until the commit");
        assertEquals("Committing " + file + ".\nSuccess!\n\n", send("commit ssl cert " + file + "\n"));

        TlsTestClient.Result seen = probe.handshake(port(), "staple.test");
        assertEquals("6006", seen.serialHex(), "the next handshake serves the new certificate");
        assertArrayEquals(ocsp, seen.ocspResponse(), "with the staple committed with it");
        ManagedCertificate mc = manager.certificate(file);
        assertEquals(BigInteger.valueOf(0x6006), mc.subject().leaf().getSerialNumber(), "the OCSP engine follows");
        assertTrue(send("show ssl ocsp-response\n").contains("   Serial Number: 6006\n"));
        assertTrue(send("show ssl cert " + file + "\n").contains("\nOCSP Response Key: " + mc.certIdHex() + "\n"));
    }

    /**
     * As a client sees the commit: status_request handshakes in a tight loop on another thread while the
     * transaction is committed. Every handshake that gets the new certificate carries the committed
     * staple, and the old one keeps its staple until the swap. (The order this relies on is checked
     * deterministically in {@code CertificateCommandsTest.beforeSwapRunsWhileTheOldCertificateIsStillServed}.)
     */
    @Test
    void committedCertificateIsNeverServedBeforeItsStaple() throws Exception {
        IssuedCertificate next = leaf(0x7007);
        // the new certificate's own fetch fails: its only staple is the one sent with it
        responder.behaviour(BigInteger.valueOf(0x7007), Behaviour.HTTP_500);
        byte[] ocsp = responder.responseFor(BigInteger.valueOf(0x7007), Behaviour.GOOD);
        send("set ssl cert " + file + " <<\n" + next.chainPem() + next.privateKeyPem() + "\n");
        send("set ssl cert " + file + ".ocsp <<\n" + Base64.getMimeEncoder().encodeToString(ocsp)
                .replace("\r\n", "\n") + "\n\n");

        List<TlsTestClient.Result> seen = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Void> loop = CompletableFuture.runAsync(() -> {
            try {
                while (!stop.get()) {
                    seen.add(probe.handshake(port(), "staple.test"));
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            Poll.until(Duration.ofSeconds(10), "handshakes before the commit", () -> seen.size() >= 3);
            assertEquals("Committing " + file + ".\nSuccess!\n\n", send("commit ssl cert " + file + "\n"));
            Poll.until(Duration.ofSeconds(10), "handshakes after the commit",
                    () -> seen.stream().filter(r -> r.serialHex().equals("7007")).count() >= 10);
        } finally {
            stop.set(true);
        }
        loop.get(20, TimeUnit.SECONDS);
        for (TlsTestClient.Result r : seen) {
            if (r.serialHex().equals("7007")) {
                assertArrayEquals(ocsp, r.ocspResponse(), "a handshake got the new certificate without its staple");
            } else {
                assertEquals("5005", r.serialHex());
                assertNotNull(r.ocspResponse(), "the old certificate keeps its staple until the swap");
            }
        }
    }
}
