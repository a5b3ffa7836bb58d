package io.stapled.proxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.netty.channel.nio.NioEventLoopGroup;
import io.stapled.testing.Curl;
import io.stapled.testing.NamedBackends;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.pki.IssuedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Redirects and returns answered by the real server itself, asked with curl: every redirect form and
 * status, with and without the query; a return's status, content type and body; a frontend-level
 * answer for requests no route matched. The headers are HAProxy 2.6's for the same rules.
 */
@Timeout(60)
class LocalAnswersTest {
    private static final NioEventLoopGroup GROUP = new NioEventLoopGroup(1);
    private static final NamedBackends BACKENDS = NamedBackends.http(GROUP, List.of("app"));

    @RegisterExtension
    static final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            ocsp: { startup_wait: 5s, persist: false }
            frontends:
              - name: web
                bind: 127.0.0.1:0
                default_backend: app
                certificates:
                  - crt: ${cert:site.test}
                routes:
                  - path_prefix: /s301/
                    redirect: { scheme: http, code: 301 }
                  - path_prefix: /s302/
                    redirect: { scheme: http }
                  - path_prefix: /s303/
                    redirect: { scheme: http, code: 303, drop_query: true }
                  - path_prefix: /s307/
                    redirect: { scheme: http, code: 307 }
                  - path_prefix: /s308/
                    redirect: { scheme: http, code: 308, drop_query: true }
                  - path_prefix: /loc/
                    redirect: { location: "https://elsewhere.test/maintenance", code: 302 }
                  - path_prefix: /pre/
                    redirect: { prefix: "https://new.test", code: 301 }
                  - path_prefix: /predrop/
                    redirect: { prefix: "https://new.test", code: 308, drop_query: true }
                  - path: /health
                    return: { status: 200, content_type: text/plain, body: "ok\\n" }
                  - path: /maintenance
                    return: { status: 503, content_type: "text/html; charset=utf-8", body: "<h1>back soon</h1>" }
                  - path: /empty
                    return: { status: 204 }
              - name: answers
                bind: 127.0.0.1:0
                certificates:
                  - crt: ${cert:answers.test}
                routes:
                  - path_prefix: /app/
                    backend: app
                return: { status: 404, content_type: text/plain, body: "no such page\\n" }
            """ + BACKENDS.yaml());

    private static Curl curl;

    @BeforeAll
    static void trustRoot() throws Exception {
        Path root = stapled.dir().resolve("root.pem");
        Files.writeString(root, IssuedCertificate.pem(stapled.root()));
        curl = new Curl(root);
    }

    @AfterAll
    static void stopBackends() {
        BACKENDS.close();
        GROUP.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static Curl.Response get(String path, String... args) throws Exception {
        return curl.get("https", "site.test", stapled.port("web"), path, args);
    }

    @ParameterizedTest
    @ValueSource(ints = {301, 302, 303, 307, 308})
    void schemeRedirectWithEachStatusKeepsHostAndPathAndTheQueryUnlessDropped(int code) throws Exception {
        int before = BACKENDS.requests("app");
        Curl.Response r = get("/s" + code + "/a/b?x=1&y=2", "-H", "Host: www.site.test:8443");
        assertEquals(code, r.status());
        boolean drops = code == 303 || code == 308;
        assertEquals("http://www.site.test:8443/s" + code + "/a/b" + (drops ? "" : "?x=1&y=2"), r.header("location"));
        assertEquals("0", r.header("content-length"));
        assertEquals(code == 301 || code == 308 ? null : "no-cache", r.header("cache-control"),
                "HAProxy marks the non-permanent redirects no-cache");
        assertEquals("", r.body());
        assertEquals(before, BACKENDS.requests("app"), "answered without the backend");
    }

    @Test
    void locationRedirectIsUsedAsWritten() throws Exception {
        Curl.Response r = get("/loc/x?q=1");
        assertEquals(302, r.status());
        assertEquals("https://elsewhere.test/maintenance", r.header("location"));
    }

    @Test
    void prefixRedirectWithAndWithoutTheQuery() throws Exception {
        Curl.Response kept = get("/pre/x?q=1");
        assertEquals(301, kept.status());
        assertEquals("https://new.test/pre/x?q=1", kept.header("location"));
        Curl.Response dropped = get("/predrop/x?q=1");
        assertEquals(308, dropped.status());
        assertEquals("https://new.test/predrop/x", dropped.header("location"));
    }

    @Test
    void returnWithBodyAndContentType() throws Exception {
        Curl.Response ok = get("/health");
        assertEquals(200, ok.status());
        assertEquals("text/plain", ok.header("content-type"));
        assertEquals("3", ok.header("content-length"));
        assertEquals("ok\n", ok.body());
        Curl.Response down = get("/maintenance");
        assertEquals(503, down.status());
        assertEquals("text/html; charset=utf-8", down.header("content-type"));
        assertEquals("<h1>back soon</h1>", down.body());
        Curl.Response empty = get("/empty");
        assertEquals(204, empty.status());
        assertNull(empty.header("content-type"));
        assertEquals("", empty.body());
    }

    @Test
    void headRequestGetsTheHeadWithoutTheBody() throws Exception {
        Curl.Response r = get("/health", "-I");
        assertEquals(200, r.status());
        assertEquals("3", r.header("content-length"));
        assertEquals("", r.body());
    }

    @Test
    void frontendLevelReturnAnswersWhatNoRouteMatched() throws Exception {
        Curl.Response miss = curl.get("https", "answers.test", stapled.port("answers"), "/other");
        assertEquals(404, miss.status());
        assertEquals("no such page\n", miss.body());
        Curl.Response hit = curl.get("https", "answers.test", stapled.port("answers"), "/app/x");
        assertEquals(200, hit.status());
        assertTrue(hit.body().startsWith("backend=app "), hit.body());
    }
}
