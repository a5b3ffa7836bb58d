package io.stapled.proxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.stapled.testing.Curl;
import io.stapled.testing.HaproxyProcess;
import io.stapled.testing.StapledServerExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * HAProxy 2.6 (Debian's) as the reference: its {@code http-request redirect} and {@code http-request
 * return} rules and stapled's routes written from them answer the same requests with the same status,
 * headers and body. Both listen in plain HTTP; curl asks both.
 */
@Timeout(60)
class LocalAnswersHaproxyParityTest {
    private static final String RULES_HAPROXY = """
            global
              stats socket ${socket} level admin
            defaults
              mode http
              timeout client 5s
              timeout server 5s
              timeout connect 5s
            frontend f
              bind 127.0.0.1:%d
              http-request redirect scheme https code 301 if { path_beg /s301/ }
              http-request redirect scheme https if { path_beg /s302/ }
              http-request redirect scheme https code 303 drop-query if { path_beg /s303/ }
              http-request redirect scheme https code 307 if { path_beg /s307/ }
              http-request redirect scheme https code 308 drop-query if { path_beg /s308/ }
              http-request redirect location /maintenance code 302 if { path_beg /loc/ }
              http-request redirect prefix https://new.test code 301 if { path_beg /pre/ }
              http-request redirect prefix https://new.test code 308 drop-query if { path_beg /predrop/ }
              http-request redirect prefix / code 302 if { path_beg /slash/ }
              http-request return status 200 content-type text/plain string "ok" if { path /health }
              http-request return status 503 content-type "text/html; charset=utf-8" string "<h1>back soon</h1>" if { path /maintenance }
              http-request return status 404 content-type text/plain string "none"
            """;

    @RegisterExtension
    static final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            frontends:
              - name: http
                bind: 127.0.0.1:0
                tls: false
                routes:
                  - { path_prefix: /s301/, redirect: { scheme: https, code: 301 } }
                  - { path_prefix: /s302/, redirect: { scheme: https } }
                  - { path_prefix: /s303/, redirect: { scheme: https, code: 303, drop_query: true } }
                  - { path_prefix: /s307/, redirect: { scheme: https, code: 307 } }
                  - { path_prefix: /s308/, redirect: { scheme: https, code: 308, drop_query: true } }
                  - { path_prefix: /loc/, redirect: { location: /maintenance, code: 302 } }
                  - { path_prefix: /pre/, redirect: { prefix: "https://new.test", code: 301 } }
                  - { path_prefix: /predrop/, redirect: { prefix: "https://new.test", code: 308, drop_query: true } }
                  - { path_prefix: /slash/, redirect: { prefix: /, code: 302 } }
                  - { path: /health, return: { status: 200, content_type: text/plain, body: ok } }
                  - path: /maintenance
                    return: { status: 503, content_type: "text/html; charset=utf-8", body: "<h1>back soon</h1>" }
                return: { status: 404, content_type: text/plain, body: none }
            backends:
              - name: unused
                servers: [ { name: u1, address: 127.0.0.1:9 } ]
            """);

    private static final Curl CURL = new Curl(null);
    private static HaproxyProcess haproxy;
    private static int haproxyPort;

    @BeforeAll
    static void startHaproxy() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            haproxyPort = s.getLocalPort();
        }
        Path dir = Files.createDirectories(stapled.dir().resolve("haproxy"));
        haproxy = HaproxyProcess.start(dir, RULES_HAPROXY.formatted(haproxyPort));
    }

    @AfterAll
    static void stopHaproxy() {
        if (haproxy != null) {
            haproxy.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/s301/a?x=1", "/s302/a?x=1", "/s303/a?x=1", "/s307/a?x=1", "/s308/a?x=1", "/loc/a?x=1",
            "/pre/a/b?x=1&y", "/predrop/a?x=1", "/slash/a?x=1", "/health", "/maintenance", "/nothing?q"})
    void sameStatusHeadersAndBody(String target) throws Exception {
        List<String> args = List.of("-H", "Host: www.site.test:8080");
        Curl.Response reference = CURL.get("http", "www.site.test", haproxyPort, target, args.toArray(String[]::new));
        Curl.Response ours = CURL.get("http", "www.site.test", stapled.port("http"), target,
                args.toArray(String[]::new));
        assertEquals(reference.status(), ours.status(), target);
        assertEquals(reference.headers(), ours.headers(), target);
        assertEquals(reference.body(), ours.body(), target);
    }
}
