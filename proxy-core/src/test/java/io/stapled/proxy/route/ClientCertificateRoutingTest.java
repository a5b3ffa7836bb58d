package io.stapled.proxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.netty.channel.nio.NioEventLoopGroup;
import io.stapled.testing.ExternalTool;
import io.stapled.testing.NamedBackends;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;

/**
 * Routes on the client certificate through the real server, with curl {@code --cert/--key} over
 * HTTP/1.1 and HTTP/2 (where the certificate is the parent connection's) and openssl s_client in TCP
 * mode: under {@code client_auth: optional}, {@code client_verified: false} guards /admin/ with a 403,
 * {@code client_subject} picks a verified subject, and a certificate of another CA counts as not verified.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ClientCertificateRoutingTest {
    private static final IssuedCertificate CLIENT_CA = CertificateBuilder.subject("CN=client ca").ca().build();
    private static final IssuedCertificate OTHER_CA = CertificateBuilder.subject("CN=other client ca").ca().build();
    private static final IssuedCertificate ALICE = client("CN=alice", CLIENT_CA);
    private static final IssuedCertificate BOB = client("CN=bob", CLIENT_CA);
    private static final IssuedCertificate FOREIGN = client("CN=alice", OTHER_CA);
    private static final NioEventLoopGroup GROUP = new NioEventLoopGroup(1);
    private static final NamedBackends BACKENDS = NamedBackends.tcp(GROUP, List.of("trusted", "anyone"));

    private static IssuedCertificate client(String subject, IssuedCertificate ca) {
        return CertificateBuilder.subject(subject).issuer(ca).clientAuth().build();
    }

    @RegisterExtension
    static final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            frontends:
              - name: web
                bind: 127.0.0.1:0
                default_backend: app
                certificates: [ { crt: ${cert:site.test} } ]
                tls:
                  alpn: [h2, http/1.1]
                  client_auth: { mode: optional, ca_file: client-ca.pem }
                routes:
                  - path_prefix: /admin/
                    client_verified: false
                    return: { status: 403, content_type: text/plain, body: "client certificate required" }
                  - path: /whoami
                    client_subject: "CN=alice"
                    return: { status: 200, content_type: text/plain, body: "alice" }
                  - path: /whoami
                    client_subject_regex: "^CN=b"
                    return: { status: 200, content_type: text/plain, body: "a b" }
              - name: tcp
                bind: 127.0.0.1:0
                mode: tcp
                default_backend: anyone
                certificates: [ { crt: ${cert:tcp.test} } ]
                tls:
                  client_auth: { mode: optional, ca_file: client-ca.pem }
                routes:
                  - client_verified: true
                    backend: trusted
            """ + BACKENDS.yaml() + """
              - name: app
                servers: [ { name: app1, address: 127.0.0.1:${backend} } ]
            """)
            .beforeServer(x -> {
                TestPki.write(x.dir().resolve("client-ca.pem"), CLIENT_CA.certificatePem());
                for (IssuedCertificate c : List.of(ALICE, BOB, FOREIGN)) {
                    String n = name(c);
                    TestPki.write(x.dir().resolve(n + ".crt"), c.certificatePem());
                    TestPki.write(x.dir().resolve(n + ".key"), c.privateKeyPem());
                }
                TestPki.write(x.dir().resolve("root.pem"), IssuedCertificate.pem(x.root()));
            });

    @AfterAll
    static void stopBackends() {
        BACKENDS.close();
        GROUP.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** A file name per certificate: the foreign one shares alice's subject. */
    private static String name(IssuedCertificate c) {
        return c == FOREIGN ? "foreign" : c.certificate().getSubjectX500Principal().getName().substring(3);
    }

    /** curl's status code and body for {@code path}, as {@code client} when not null. */
    private static String curl(String http, String path, IssuedCertificate client) throws Exception {
        ExternalTool.assumeInstalled("curl");
        int port = stapled.port("web");
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", http, "-w", "\n%{http_version} %{http_code}",
                "--max-time", "10", "--cacert", stapled.dir().resolve("root.pem").toString(),
                "--resolve", "site.test:" + port + ":127.0.0.1"));
        if (client != null) {
            cmd.addAll(List.of("--cert", stapled.dir().resolve(name(client) + ".crt").toString(),
                    "--key", stapled.dir().resolve(name(client) + ".key").toString()));
        }
        cmd.add("https://site.test:" + port + path);
        ExternalTool.Result r = ExternalTool.run(20, cmd);
        assertEquals(0, r.exitCode(), r.output());
        return r.output();
    }

    @Test
    void withoutAVerifiedCertificateAdminIsRefused() throws Exception {
        for (String http : List.of("--http1.1", "--http2")) {
            String version = http.equals("--http2") ? "2" : "1.1";
            assertEquals("client certificate required\n" + version + " 403", curl(http, "/admin/x", null));
            assertEquals("client certificate required\n" + version + " 403", curl(http, "/admin/x", FOREIGN),
                    "a certificate of another CA with alice's subject is not verified");
            String verified = curl(http, "/admin/x", ALICE);
            assertTrue(verified.startsWith("Hello from the stapled demo backend") && verified.endsWith(" 200")
                    && verified.contains("uri: /admin/x"), verified);
            assertTrue(curl(http, "/other", null).endsWith(version + " 200"), "other paths need no certificate");
        }
    }

    @Test
    void theVerifiedSubjectPicksTheRoute() throws Exception {
        for (String http : List.of("--http1.1", "--http2")) {
            assertTrue(curl(http, "/whoami", ALICE).startsWith("alice\n"));
            assertTrue(curl(http, "/whoami", BOB).startsWith("a b\n"));
            assertTrue(curl(http, "/whoami", FOREIGN).startsWith("Hello from the stapled demo backend"),
                    "an unverified certificate's subject is not trusted");
            assertTrue(curl(http, "/whoami", null).startsWith("Hello from the stapled demo backend"));
        }
    }

    private static String greeting(IssuedCertificate client) throws Exception {
        ExternalTool.assumeInstalled("openssl");
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect",
                "127.0.0.1:" + stapled.port("tcp"), "-servername", "tcp.test", "-CAfile",
                stapled.dir().resolve("root.pem").toString(), "-verify_return_error", "-ign_eof", "-quiet"));
        if (client != null) {
            cmd.addAll(List.of("-cert", stapled.dir().resolve(name(client) + ".crt").toString(),
                    "-key", stapled.dir().resolve(name(client) + ".key").toString()));
        }
        ExternalTool.Result r = ExternalTool.run(20, cmd);
        int at = r.output().indexOf("backend=");
        assertTrue(at >= 0, r.output());
        return r.output().substring(at + "backend=".length()).lines().findFirst().orElseThrow();
    }

    @Test
    void tcpModeRoutesByClientVerified() throws Exception {
        assertEquals("trusted", greeting(ALICE));
        assertEquals("anyone", greeting(null));
        assertEquals("anyone", greeting(FOREIGN));
    }
}
