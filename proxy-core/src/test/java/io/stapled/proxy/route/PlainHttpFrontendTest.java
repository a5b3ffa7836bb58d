package io.stapled.proxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import io.netty.channel.nio.NioEventLoopGroup;
import io.stapled.testing.Curl;
import io.stapled.testing.ExternalTool;
import io.stapled.testing.NamedBackends;
import io.stapled.testing.StapledServerExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A plain-HTTP frontend ({@code tls: false}) on the real server, the usual {@code :80}: everything is
 * redirected to https except the ACME HTTP-01 challenge path, which reaches its backend, told
 * {@code X-Forwarded-Proto: http}. Asked with curl and a raw socket.
 */
@Timeout(60)
class PlainHttpFrontendTest {
    private static final NioEventLoopGroup GROUP = new NioEventLoopGroup(1);
    private static final NamedBackends BACKENDS = NamedBackends.http(GROUP, List.of("acme", "app"));

    @RegisterExtension
    static final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            ocsp: { startup_wait: 5s, persist: false }
            frontends:
              - name: http
                bind: 127.0.0.1:0
                tls: false
                routes:
                  - path_prefix: /.well-known/acme-challenge/
                    backend: acme
                redirect: { scheme: https, code: 301 }
              - name: plainapp
                bind: 127.0.0.1:0
                tls: false
                backend: app
              - name: https
                bind: 127.0.0.1:0
                backend: app
                certificates:
                  - crt: ${cert:site.test}
            runtime_api: { socket: ${socket}, level: admin }
            """ + BACKENDS.yaml());

    private static final Curl CURL = new Curl(null);

    @AfterAll
    static void stopBackends() {
        BACKENDS.close();
        GROUP.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void everythingIsRedirectedToHttpsWithItsPathAndQuery() throws Exception {
        int before = BACKENDS.requests("acme") + BACKENDS.requests("app");
        Curl.Response r = CURL.get("http", "site.test", stapled.port("http"), "/login?next=/account");
        assertEquals(301, r.status());
        assertEquals("https://site.test:" + stapled.port("http") + "/login?next=/account", r.header("location"));
        assertNull(r.header("strict-transport-security"), "never HSTS on plain HTTP");
        assertEquals(before, BACKENDS.requests("acme") + BACKENDS.requests("app"));
    }

    @Test
    void theAcmeChallengeReachesItsBackendOverPlainHttp() throws Exception {
        Curl.Response r = CURL.get("http", "site.test", stapled.port("http"), "/.well-known/acme-challenge/tok3n");
        assertEquals(200, r.status());
        assertEquals("backend=acme method=GET uri=/.well-known/acme-challenge/tok3n proto=http\n", r.body());
    }

    @Test
    void aPlainFrontendForwardsWithProtoHttpAndTheTlsOneWithHttps() throws Exception {
        Curl.Response plain = CURL.get("http", "site.test", stapled.port("plainapp"), "/x");
        assertEquals("backend=app method=GET uri=/x proto=http\n", plain.body());
        assertTrue(stapled.server().frontend("plainapp").tls() == null, "no TLS side for a plain frontend");
        try (var c = stapled.client().open(stapled.port("https"), "site.test", false, stapled.root())) {
            assertEquals("backend=app method=GET uri=/ proto=https\n", c.get("/").body());
        }
    }

    @Test
    void aRedirectedRequestWithABodyLeavesTheConnectionUsable() throws Exception {
        try (Socket s = new Socket("127.0.0.1", stapled.port("http"))) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /form HTTP/1.1\r\nHost: site.test\r\nContent-Length: 5\r\n\r\nhello"
                    + "GET /.well-known/acme-challenge/next HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String both = readAll(s.getInputStream());
            assertTrue(both.startsWith("HTTP/1.1 301 Moved Permanently\r\n"), both);
            assertTrue(both.contains("location: https://site.test/form\r\n"), both);
            assertTrue(both.contains("\r\n\r\nHTTP/1.1 200 OK\r\n"), "the second request was answered: " + both);
            assertTrue(both.endsWith("backend=acme method=GET uri=/.well-known/acme-challenge/next proto=http\n"),
                    both);
        }
    }

    @Test
    void aSchemeRedirectWithoutAHostIsABadRequest() throws Exception {
        try (Socket s = new Socket("127.0.0.1", stapled.port("http"))) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET /x HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String answer = readAll(s.getInputStream());
            assertTrue(answer.startsWith("HTTP/1.1 400 Bad Request\r\n"), "nowhere to send it: " + answer);
        }
    }

    @Test
    void theRuntimeApiAndMetricsCountThePlainFrontendAndEachRoutedBackend() throws Exception {
        CURL.get("http", "site.test", stapled.port("http"), "/.well-known/acme-challenge/m");
        CURL.get("http", "site.test", stapled.port("http"), "/elsewhere");
        String scrape = stapled.server().metrics().registry().scrape();
        assertTrue(scrape.contains("stapled_http_request_duration_seconds_count{backend=\"acme\",frontend=\"http\","
                + "status_class=\"2xx\"}"), scrape);
        assertTrue(scrape.contains("stapled_http_request_duration_seconds_count{backend=\"http\",frontend=\"http\","
                + "status_class=\"3xx\"}"), "a redirect is counted under the frontend's own name: " + scrape);
        ExternalTool.assumeInstalled("socat");
        Path socket = stapled.dir().resolve("admin.sock");
        String stat = ExternalTool.run(20, List.of("sh", "-c", "echo 'show stat' | socat - UNIX-CONNECT:" + socket))
                .output();
        assertTrue(stat.contains("\nhttp,FRONTEND,"), stat);
        assertTrue(stat.contains("\nacme,acme1,"), stat);
        String certs = ExternalTool.run(20, List.of("sh", "-c", "echo 'show ssl cert' | socat - UNIX-CONNECT:"
                + socket)).output();
        assertTrue(certs.contains("site.test.pem"), "the TLS frontend's certificate, and no plain one: " + certs);
    }

    private static String readAll(InputStream in) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        in.transferTo(buf);
        return buf.toString(StandardCharsets.US_ASCII);
    }
}
