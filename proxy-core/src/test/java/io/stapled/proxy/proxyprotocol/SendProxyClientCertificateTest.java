package io.stapled.proxy.proxyprotocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.netty.channel.EventLoopGroup;
import io.stapled.net.Transport;
import io.stapled.proxy.proxyprotocol.RecordingBackend.Header;
import io.stapled.testing.ExternalTool;
import io.stapled.testing.HaproxyProcess;
import io.stapled.testing.OpenSslOcspResponder;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.Poll;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;

/**
 * PROXY v2's PP2_TYPE_SSL with client certificates, decoded by Netty's {@code HAProxyMessageDecoder}
 * behind the real server: a verified certificate sets PP2_CLIENT_CERT_CONN and PP2_CLIENT_CERT_SESS and
 * verify 0; one of another CA (let in by {@code optional}) sets the bits with verify non-zero; none sets
 * neither; a resumed session sets CERT_SESS only, as HAProxy does.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SendProxyClientCertificateTest {
    private static final IssuedCertificate CLIENT_CA = CertificateBuilder.subject("CN=client ca").ca().build();
    private static final IssuedCertificate OTHER_CA = CertificateBuilder.subject("CN=other client ca").ca().build();
    private static final IssuedCertificate ALICE = CertificateBuilder.subject("CN=alice").issuer(CLIENT_CA)
            .clientAuth().build();
    private static final IssuedCertificate FOREIGN = CertificateBuilder.subject("CN=foreign").issuer(OTHER_CA)
            .clientAuth().build();
    private static final EventLoopGroup GROUP = Transport.nio().newGroup(1, "send-proxy-cert-backends");
    private static final RecordingBackend BACKEND = RecordingBackend.http("cert", GROUP, true);

    @RegisterExtension
    static final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            global: { workers: 1 }
            frontends:
              - name: web
                bind: 127.0.0.1:0
                backend: app
                certificates: [ { crt: ${cert:site.test} } ]
                tls:
                  alpn: [http/1.1]
                  client_auth: { mode: optional, ca_file: client-ca.pem }
            backends:
              - name: app
                servers: [ { name: s1, address: 127.0.0.1:${port:cert}, send_proxy: v2 } ]
            """).port("cert", BACKEND::port)
            .beforeServer(x -> {
                TestPki.write(x.dir().resolve("client-ca.pem"), CLIENT_CA.certificatePem());
                for (IssuedCertificate c : List.of(ALICE, FOREIGN)) {
                    String n = name(c);
                    TestPki.write(x.dir().resolve(n + ".crt"), c.certificatePem());
                    TestPki.write(x.dir().resolve(n + ".key"), c.privateKeyPem());
                }
                TestPki.write(x.dir().resolve("root.pem"), IssuedCertificate.pem(x.root()));
            });

    @AfterAll
    static void stopBackend() {
        BACKEND.close();
        GROUP.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private static String name(IssuedCertificate c) {
        return c.certificate().getSubjectX500Principal().getName().substring(3);
    }

    private static List<Header> proxied() {
        return BACKEND.headers.stream().filter(h -> h.command().equals("PROXY")).toList();
    }

    /** The PROXY header of the backend connection one curl request made, as {@code client} when not null. */
    private static Header viaCurl(IssuedCertificate client) throws Exception {
        return viaCurl(stapled.port("web"), client);
    }

    private static Header viaCurl(int port, IssuedCertificate client) throws Exception {
        ExternalTool.assumeInstalled("curl");
        int before = proxied().size();
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--http1.1", "--max-time", "10", "--cacert",
                stapled.dir().resolve("root.pem").toString(), "--resolve", "site.test:" + port + ":127.0.0.1"));
        if (client != null) {
            cmd.addAll(List.of("--cert", stapled.dir().resolve(name(client) + ".crt").toString(),
                    "--key", stapled.dir().resolve(name(client) + ".key").toString()));
        }
        cmd.add("https://site.test:" + port + "/");
        ExternalTool.Result r = ExternalTool.run(20, cmd);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().startsWith("cert "), r.output());
        Poll.until(Duration.ofSeconds(5), "the backend connection's header", () -> proxied().size() > before);
        return proxied().get(before);
    }

    @Test
    void aVerifiedCertificateSetsTheCertificateBitsAndVerifyZero() throws Exception {
        Header h = viaCurl(ALICE);
        assertTrue(h.clientSsl());
        assertTrue(h.certConn(), h.toString());
        assertTrue(h.certSess(), h.toString());
        assertEquals(0, h.verify(), h.toString());
    }

    @Test
    void anUnverifiedCertificateSetsTheBitsButNotVerifyZero() throws Exception {
        Header h = viaCurl(FOREIGN);
        assertTrue(h.certConn() && h.certSess(), h.toString());
        assertNotEquals(0, h.verify(), h.toString());
    }

    @Test
    void noCertificateSetsNeitherBit() throws Exception {
        Header h = viaCurl(null);
        assertTrue(h.clientSsl());
        assertFalse(h.certConn() || h.certSess(), h.toString());
        assertNotEquals(0, h.verify(), h.toString());
    }

    /** openssl s_client sending one request, saving or resuming its session. */
    private static String sClient(String sessionArg, Path session, boolean withCertificate) throws Exception {
        return sClient(stapled.port("web"), sessionArg, session, withCertificate);
    }

    private static String sClient(int port, String sessionArg, Path session, boolean withCertificate)
            throws Exception {
        ExternalTool.assumeInstalled("openssl");
        String cert = withCertificate ? " -cert " + stapled.dir().resolve("alice.crt") + " -key "
                + stapled.dir().resolve("alice.key") : "";
        return ExternalTool.run(20, List.of("sh", "-c", "printf 'GET / HTTP/1.1\\r\\nHost: site.test\\r\\n"
                + "Connection: close\\r\\n\\r\\n' | timeout 10 openssl s_client -tls1_2 -ign_eof -connect 127.0.0.1:"
                + port + " -servername site.test -CAfile " + stapled.dir().resolve("root.pem")
                + " " + sessionArg + " " + session + cert + " 2>&1")).output();
    }

    /** The headers of a full handshake with alice's certificate and of its resumption, through {@code port}. */
    private static List<Header> fullThenResumed(int port, String file) throws Exception {
        Path session = stapled.dir().resolve(file);
        int before = proxied().size();
        String first = sClient(port, "-sess_out", session, true);
        assertTrue(first.contains("cert 127.0.0.1"), first);
        String resumed = sClient(port, "-sess_in", session, false);
        assertTrue(resumed.contains("Reused, TLSv1.2"), resumed);
        assertTrue(resumed.contains("cert 127.0.0.1"), resumed);
        Poll.until(Duration.ofSeconds(5), "both headers", () -> proxied().size() >= before + 2);
        return List.of(proxied().get(before), proxied().get(before + 1));
    }

    /** What a receiver tests: the two certificate bits and whether verify is 0. */
    private static String bits(Header h) {
        return (h.certConn() ? "CONN " : "") + (h.certSess() ? "SESS " : "") + "verify0=" + (h.verify() == 0);
    }

    @Test
    void haproxySendsTheSameBitsForTheSameClients() throws Exception {
        ExternalTool.assumeInstalled("haproxy");
        int port = OpenSslOcspResponder.freePort();
        try (HaproxyProcess haproxy = HaproxyProcess.start(Files.createDirectories(stapled.dir().resolve("haproxy")),
                """
                global
                  stats socket ${socket} level admin
                defaults
                  mode http
                  option forwardfor
                  timeout client 5s
                  timeout connect 5s
                  timeout server 5s
                frontend web
                  bind 127.0.0.1:%d ssl crt %s verify optional ca-file %s alpn http/1.1
                  default_backend app
                backend app
                  server s1 127.0.0.1:%d send-proxy-v2-ssl
                """.formatted(port, stapled.certificateFile("site.test"), stapled.dir().resolve("client-ca.pem"),
                        BACKEND.port()))) {
            assertEquals(bits(viaCurl(port, ALICE)), bits(viaCurl(ALICE)), "a verified certificate");
            // Differs, documented: without a certificate HAProxy leaves verify 0 (it sets the field only when
            // a certificate was used); stapled says 1, "not verified", as the PROXY protocol spec asks.
            assertEquals("verify0=true", bits(viaCurl(port, null)), "HAProxy, no certificate");
            assertEquals("verify0=false", bits(viaCurl(null)), "stapled, no certificate");
            List<Header> fromHaproxy = fullThenResumed(port, "haproxy.session");
            List<Header> fromStapled = fullThenResumed(stapled.port("web"), "stapled.session");
            assertEquals(bits(fromHaproxy.get(1)), bits(fromStapled.get(1)), "a resumed session");
        }
    }

    @Test
    void aResumedSessionSetsCertSessOnly() throws Exception {
        List<Header> both = fullThenResumed(stapled.port("web"), "alice.session");
        Header full = both.get(0);
        Header again = both.get(1);
        assertTrue(full.certConn() && full.certSess() && full.verify() == 0, full.toString());
        assertFalse(again.certConn(), again.toString());
        assertTrue(again.certSess(), again.toString());
        assertEquals(0, again.verify(), "re-verified on resumption: " + again);
    }
}
