package io.stapled.admin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import io.stapled.testkit.Poll;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.pki.KeyPairs;
import io.stapled.testkit.responder.OcspResponderServer.Behaviour;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testing.TrustingSslContext;
import io.stapled.testkit.TlsTestClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * End to end with the whole proxy: the real server from a YAML config ({@link StapledServerExtension}), the
 * runtime API wired to it as the assembly does, real HTTPS clients. A pushed OCSP response is stapled by the next
 * handshake; a committed certificate is served by the next handshake while an open keep-alive
 * connection keeps working on the old one; a disabled server gets no traffic.
 */
@Timeout(40)
class StapledServerRuntimeApiTest {
    @RegisterExtension
    final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            ocsp:
              enabled: true
              startup_wait: 5s
              persist: false
            frontends:
              - name: https
                bind: 127.0.0.1:0
                mode: http
                backend: app
                certificates:
                  - crt: ${cert:e2e.test:7007}
            backends:
              - name: app
                balance: roundrobin
                servers:
                  - { name: app1, address: 127.0.0.1:${backend} }
            runtime_api: { socket: admin.sock, mode: "0600", level: admin }
            """);

    private TlsTestClient probe;
    private Path socket;
    private String crt;

    private IssuedCertificate leaf(long serial) {
        return CertificateBuilder.subject("CN=e2e.test").issuer(stapled.intermediate()).keyPair(KeyPairs.ecP256())
                .dnsNames("e2e.test").ocspUrl(stapled.responder().url()).serial(BigInteger.valueOf(serial)).build();
    }

    @BeforeEach
    void start() {
        crt = stapled.certificateFile("e2e.test").toString();
        socket = stapled.runtimeApi().socket();
        probe = stapled.client();
    }

    private int port() {
        return stapled.port("https");
    }

    private SSLSocket https() throws Exception {
        SSLContext ctx = TrustingSslContext.trusting(stapled.root());
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port());
        s.setSoTimeout(10_000);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName("e2e.test")));
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    /** One keep-alive request on {@code s}; returns the status code. */
    private static int get(SSLSocket s, BufferedReader in) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write("GET / HTTP/1.1\r\nHost: e2e.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String status = in.readLine();
        int code = Integer.parseInt(status.split(" ")[1]);
        long length = 0;
        String line;
        while (!(line = in.readLine()).isEmpty()) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Long.parseLong(line.substring(15).trim());
            }
        }
        for (long i = 0; i < length; i++) {
            in.read();
        }
        return code;
    }

    private static BufferedReader reader(SSLSocket s) throws IOException {
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
    }

    private String cli(String text) throws IOException {
        return CliClient.send(socket, text);
    }

    @Test
    void pushedOcspResponseIsStapledByTheNextHandshake() throws Exception {
        assertNotNull(probe.handshake(port(), "e2e.test").ocspResponse(), "stapled from the start");
        byte[] pushed = stapled.responder().responseFor(BigInteger.valueOf(0x7007), Behaviour.DELEGATED);
        assertEquals("OCSP Response updated!\n\n",
                cli("set ssl ocsp-response " + Base64.getEncoder().encodeToString(pushed) + "\n"));
        assertArrayEquals(pushed, probe.handshake(port(), "e2e.test").ocspResponse());
        assertTrue(cli("show ssl ocsp-response " + crt + "\n").contains("Cert Status: good"));
    }

    private byte[] stapledHandshake() {
        try {
            return probe.handshake(port(), "e2e.test").ocspResponse();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void certificateSwapIsServedByTheNextHandshakeWhileAnOpenConnectionKeepsTheOld() throws Exception {
        try (SSLSocket open = https()) {
            BufferedReader in = reader(open);
            assertEquals(200, get(open, in));
            IssuedCertificate next = leaf(0x8008);
            assertEquals("Transaction created for certificate " + crt + "!\n\n",
                    cli("set ssl cert " + crt + " <<\n" + next.chainPem() + next.privateKeyPem() + "\n"));
            assertEquals("Committing " + crt + ".\nSuccess!\n\n", cli("commit ssl cert " + crt + "\n"));
            assertEquals("8008", probe.handshake(port(), "e2e.test").serialHex(), "next handshake: new certificate");
            try (SSLSocket fresh = https()) {
                assertEquals(200, get(fresh, reader(fresh)));
                assertEquals(BigInteger.valueOf(0x8008),
                        ((X509Certificate) fresh.getSession().getPeerCertificates()[0]).getSerialNumber());
            }
            assertEquals(200, get(open, in), "the open connection carries on");
            assertEquals(BigInteger.valueOf(0x7007),
                    ((X509Certificate) open.getSession().getPeerCertificates()[0]).getSerialNumber());
        }
        // the OCSP engine fetched for the new certificate: its staple arrives without any push
        Poll.until(Duration.ofSeconds(10), "the new certificate to be stapled",
                () -> stapledHandshake() != null);
        assertTrue(cli("show ssl ocsp-response\n").contains("   Serial Number: 8008\n"));
    }

    @Test
    void disabledServerTakesNoTrafficUntilEnabled() throws Exception {
        try (SSLSocket s = https()) {
            BufferedReader in = reader(s);
            assertEquals(200, get(s, in));
            assertEquals("\n", cli("disable server app/app1\n"));
            assertEquals(503, get(s, in), "no server available");
            assertTrue(cli("show stat\n").contains("\napp,app1,0,0,"), "server row present");
            assertTrue(cli("show stat\n").contains(",MAINT,"));
            assertEquals("\n", cli("enable server app/app1\n"));
            assertEquals(200, get(s, in));
        }
        String stat = cli("show stat\n");
        assertTrue(stat.contains("\nhttps,FRONTEND,,,"), stat);
        String info = cli("show info\n");
        assertTrue(info.contains("\nCumConns: ") && !info.contains("\nCumConns: 0\n"), info);
        assertTrue(info.contains("\nListeners: 1\n"), info);
    }
}
