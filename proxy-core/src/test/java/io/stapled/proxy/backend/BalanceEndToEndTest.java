package io.stapled.proxy.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.netty.channel.nio.NioEventLoopGroup;
import io.stapled.testing.Curl;
import io.stapled.testing.NamedBackends;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.pki.IssuedCertificate;

/**
 * {@code balance: uri}, {@code hdr(NAME)} and {@code random} through the real proxy with curl over TLS,
 * against three real backends that name themselves in their answers.
 */
@Timeout(60)
class BalanceEndToEndTest {
    private static final NioEventLoopGroup GROUP = new NioEventLoopGroup(1);
    private static final NamedBackends BACKENDS = NamedBackends.http(GROUP, List.of("a", "b", "c"));

    @RegisterExtension
    static final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            frontends:
              - { name: uri, bind: 127.0.0.1:0, backend: by_uri, certificates: [ { crt: ${cert:site.test} } ] }
              - { name: hdr, bind: 127.0.0.1:0, backend: by_tenant, certificates: [ { crt: ${cert:site.test} } ] }
              - { name: random, bind: 127.0.0.1:0, backend: random, certificates: [ { crt: ${cert:site.test} } ] }
            backends:
              - { name: by_uri, balance: uri, servers: %1$s }
              - { name: by_tenant, balance: hdr(X-Tenant), servers: %1$s }
              - { name: random, balance: random, servers: %1$s }
            """.formatted("[ { name: a, address: 127.0.0.1:%d }, { name: b, address: 127.0.0.1:%d },"
                    .formatted(BACKENDS.port("a"), BACKENDS.port("b"))
                    + " { name: c, address: 127.0.0.1:%d } ]".formatted(BACKENDS.port("c"))));

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

    private static String backendOf(String frontend, String path, String... args) throws Exception {
        Curl.Response r = curl.get("https", "site.test", stapled.port(frontend), path, args);
        assertEquals(200, r.status(), r.body());
        return r.body().substring(0, r.body().indexOf(' '));
    }

    @Test
    void uriSendsAPathToOneServerWhateverTheQuery() throws Exception {
        String first = backendOf("uri", "/img/logo.png");
        assertEquals(first, backendOf("uri", "/img/logo.png?v=2"));
        assertEquals(first, backendOf("uri", "/img/logo.png"));
        Set<String> used = new HashSet<>();
        for (int p = 0; p < 12; p++) {
            used.add(backendOf("uri", "/page/" + p));
        }
        assertTrue(used.size() >= 2, "12 paths all went to " + used);
    }

    @Test
    void hdrSendsATenantToOneServerAndIsRoundRobinWithoutTheHeader() throws Exception {
        String first = backendOf("hdr", "/x", "-H", "X-Tenant: acme");
        assertEquals(first, backendOf("hdr", "/y", "-H", "X-Tenant: acme"));
        assertEquals(first, backendOf("hdr", "/z", "-H", "X-Tenant: acme"));
        Set<String> without = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            without.add(backendOf("hdr", "/x"));
        }
        assertEquals(Set.of("backend=a", "backend=b", "backend=c"), without);
    }

    @Test
    void randomReachesEveryServer() throws Exception {
        Set<String> used = new HashSet<>();
        // each of 30 picks misses a given server with probability (2/3)^2 at worst: all three seen
        // unless something is broken (a miss of one server in 30 picks is below 1e-10)
        for (int i = 0; i < 30 && used.size() < 3; i++) {
            used.add(backendOf("random", "/"));
        }
        assertEquals(3, used.size(), used.toString());
    }
}
