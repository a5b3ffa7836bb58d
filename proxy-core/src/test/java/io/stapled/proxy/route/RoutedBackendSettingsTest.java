package io.stapled.proxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.netty.channel.nio.NioEventLoopGroup;
import io.stapled.testing.Curl;
import io.stapled.testing.LoopbackServer;
import io.stapled.testing.NamedBackends;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.pki.IssuedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A routed request uses its own backend's settings, not the default backend's: the server timeout of
 * the backend the route picked answers 504, while the default backend (with a long timeout) still
 * answers on the same keep-alive connection afterwards.
 */
@Timeout(60)
class RoutedBackendSettingsTest {
    private static final NioEventLoopGroup GROUP = new NioEventLoopGroup(1);
    private static final NamedBackends BACKENDS = NamedBackends.http(GROUP, List.of("app"));
    private static final LoopbackServer SILENT = LoopbackServer.silent(GROUP);

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
                  - path_prefix: /slow/
                    backend: slow
            backends:
              - name: app
                server_timeout: 60s
                servers: [ { name: app1, address: 127.0.0.1:%d } ]
              - name: slow
                server_timeout: 300ms
                servers: [ { name: slow1, address: 127.0.0.1:%d } ]
            """.formatted(BACKENDS.port("app"), SILENT.port()));

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
        SILENT.close();
        GROUP.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void theRoutedBackendsServerTimeoutApplies() throws Exception {
        // curl gives up after 10 s: a 504 can only come from the slow backend's 300 ms.
        Curl.Response slow = curl.get("https", "site.test", stapled.port("web"), "/slow/x");
        assertEquals(504, slow.status());
        Curl.Response app = curl.get("https", "site.test", stapled.port("web"), "/fast");
        assertEquals(200, app.status());
        assertEquals("backend=app method=GET uri=/fast proto=https\n", app.body());
    }
}
