package io.stapled.proxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Routes on the real server, asked with the real curl over TLS: every kind of condition sends the
 * request to its own backend (which answers with its name), the first matching route wins, and a
 * request no route matches goes to the default backend.
 */
@Timeout(60)
class HttpRoutingTest {
    private static final NioEventLoopGroup GROUP = new NioEventLoopGroup(1);
    private static final NamedBackends BACKENDS = NamedBackends.http(GROUP, List.of("fallback", "exact", "wild",
            "api", "exactpath", "prefix", "legacy", "methods", "canary", "staging", "bots", "debug", "v2", "ids",
            "never", "internal", "othersni", "tls12", "first", "second", "combo"));

    @RegisterExtension
    static final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            ocsp: { startup_wait: 5s, persist: false }
            frontends:
              - name: web
                bind: 127.0.0.1:0
                default_backend: fallback
                certificates:
                  - crt: ${cert:site.test}
                  - crt: ${cert:other.test}
                routes:
                  - host: exact.test
                    backend: exact
                  - host: "*.wild.test"
                    backend: wild
                  - host_regex: "^api[0-9]+\\\\.test$"
                    backend: api
                  - path: /exact
                    backend: exactpath
                  - path_prefix: [/prefix/, /also/]
                    backend: prefix
                  - path_regex: "\\\\.php$"
                    backend: legacy
                  - method: [DELETE, PUT]
                    path_prefix: /m/
                    backend: methods
                  - header: { name: X-Canary }
                    backend: canary
                  - header: { name: X-Env, value: staging }
                    backend: staging
                  - header: { name: User-Agent, regex: "^bot/" }
                    backend: bots
                  - query: { name: debug }
                    backend: debug
                  - query: { name: v, value: "2" }
                    backend: v2
                  - query: { name: id, regex: "^[0-9]+$" }
                    backend: ids
                  - source: 10.0.0.0/8
                    backend: never
                  - source: [192.168.0.0/16, 127.0.0.0/8]
                    path_prefix: /internal/
                    backend: internal
                  - sni: other.test
                    backend: othersni
                  - tls_version: TLSv1.2
                    path_prefix: /tls/
                    backend: tls12
                  - path_prefix: /first/
                    backend: first
                  - path_prefix: /first/second/
                    backend: second
                  - host: combo.test
                    method: POST
                    header: { name: X-Combo, value: "yes" }
                    backend: combo
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

    private static String backend(String path, String... args) throws Exception {
        return backendVia("site.test", path, args);
    }

    private static String backendVia(String sni, String path, String... args) throws Exception {
        Curl.Response r = curl.get("https", sni, stapled.port("web"), path, args);
        assertEquals(200, r.status(), r.toString());
        String body = r.body();
        assertTrue(body.startsWith("backend="), body);
        return body.substring("backend=".length(), body.indexOf(' '));
    }

    @Test
    void hostExactWildcardAndRegex() throws Exception {
        assertEquals("exact", backend("/", "-H", "Host: exact.test"));
        assertEquals("exact", backend("/", "-H", "Host: EXACT.test:8443"), "case and port do not matter");
        assertEquals("wild", backend("/", "-H", "Host: a.wild.test"));
        assertEquals("wild", backend("/", "-H", "Host: a.b.wild.test"), "any depth below the suffix");
        assertEquals("fallback", backend("/", "-H", "Host: wild.test"), "the suffix itself is not below it");
        assertEquals("api", backend("/", "-H", "Host: api42.test"));
        assertEquals("fallback", backend("/", "-H", "Host: api.test"));
    }

    @Test
    void pathExactPrefixAndRegex() throws Exception {
        assertEquals("exactpath", backend("/exact"));
        assertEquals("exactpath", backend("/exact?x=1"), "the query is not part of the path");
        assertEquals("fallback", backend("/exact/more"));
        assertEquals("prefix", backend("/prefix/a/b"));
        assertEquals("prefix", backend("/also/"));
        assertEquals("fallback", backend("/prefix"), "/prefix is not under /prefix/");
        assertEquals("legacy", backend("/index.php"));
        assertEquals("fallback", backend("/index.php5"));
    }

    @Test
    void method() throws Exception {
        assertEquals("methods", backend("/m/x", "-X", "DELETE"));
        assertEquals("methods", backend("/m/x", "-X", "PUT", "--data", "body"));
        assertEquals("fallback", backend("/m/x"));
    }

    @Test
    void headerPresentEqualsAndRegex() throws Exception {
        assertEquals("canary", backend("/", "-H", "X-Canary: anything"));
        assertEquals("staging", backend("/", "-H", "X-Env: staging"));
        assertEquals("fallback", backend("/", "-H", "X-Env: production"));
        assertEquals("bots", backend("/", "-A", "bot/1.0"));
        assertEquals("fallback", backend("/", "-A", "curl-bot/1.0"));
    }

    @Test
    void queryParameterPresentEqualsAndRegex() throws Exception {
        assertEquals("debug", backend("/?debug"));
        assertEquals("debug", backend("/?a=1&debug=0"));
        assertEquals("fallback", backend("/?nodebug=1"));
        assertEquals("v2", backend("/?v=2"));
        assertEquals("fallback", backend("/?v=20"));
        assertEquals("ids", backend("/?x=y&id=123"));
        assertEquals("fallback", backend("/?id=12a"));
    }

    @Test
    void clientSourceCidr() throws Exception {
        assertEquals("internal", backend("/internal/x"), "the test client is on loopback");
        assertEquals(0, BACKENDS.requests("never"), "no request came from 10.0.0.0/8");
    }

    @Test
    void tlsSniAndVersion() throws Exception {
        assertEquals("othersni", backendVia("other.test", "/"));
        assertEquals("exact", backendVia("other.test", "/", "-H", "Host: exact.test"), "an earlier route wins");
        assertEquals("tls12", backend("/tls/", "--tls-max", "1.2"));
        assertEquals("fallback", backend("/tls/", "--tlsv1.3"));
    }

    /** An HTTP/2 stream reads the same request and connection facts (SNI, TLS version) as HTTP/1.1. */
    @Test
    void http2AndHttp1RequestsAreRoutedAlike() throws Exception {
        for (String proto : List.of("--http2", "--http1.1")) {
            assertEquals("exact", backend("/", proto, "-H", "Host: exact.test"), proto);
            assertEquals("othersni", backendVia("other.test", "/", proto), proto);
            assertEquals("tls12", backend("/tls/", proto, "--tls-max", "1.2"), proto);
            assertEquals("fallback", backend("/tls/", proto, "--tlsv1.3"), proto);
        }
    }

    @Test
    void firstMatchWinsAndAllConditionsOfARouteMustHold() throws Exception {
        assertEquals("first", backend("/first/second/x"), "the earlier, shorter prefix wins");
        assertEquals("combo", backend("/", "-H", "Host: combo.test", "-X", "POST", "-H", "X-Combo: yes",
                "--data", ""));
        assertEquals("fallback", backend("/", "-H", "Host: combo.test", "-H", "X-Combo: yes"), "GET");
        assertEquals("fallback", backend("/", "-H", "Host: combo.test", "-X", "POST", "--data", ""), "no header");
    }

    @Test
    void noMatchGoesToTheDefaultBackend() throws Exception {
        assertEquals("fallback", backend("/nothing/here"));
    }
}
