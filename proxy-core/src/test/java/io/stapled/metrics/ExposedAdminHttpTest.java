package io.stapled.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Collections;
import java.util.Optional;

import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.stapled.config.AdminHttpConfig;
import io.stapled.config.ConfigException;
import io.stapled.config.ConfigLoader;
import io.stapled.testing.EventLoopGroupExtension;
import io.stapled.testkit.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code admin_http.expose} on the wildcard address, with and without {@code bearer_token_file}, loaded
 * from YAML as an operator writes it and asked by the JDK's HTTP client, through a non-loopback
 * address of this machine when it has one.
 */
@Timeout(20)
class ExposedAdminHttpTest {
    @RegisterExtension
    static final EventLoopGroupExtension loops = new EventLoopGroupExtension(1);
    private static final String PROXY = """
            frontends:
              - name: https
                bind: 127.0.0.1:0
                backend: app
                certificates:
                  - crt: site.pem
            backends:
              - name: app
                servers:
                  - { name: s1, address: 127.0.0.1:8080 }
            """;
    private final StapledMetrics metrics = new StapledMetrics(Clock.systemUTC());
    private AdminHttpServer admin;
    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        if (admin != null) {
            admin.close();
        }
        metrics.close();
    }

    private AdminHttpConfig load(String adminHttp) {
        TestPki.bundle(dir.resolve("site.pem"));
        return ConfigLoader.parse(PROXY + adminHttp, dir.resolve("stapled.yaml")).adminHttp();
    }

    private AdminClient start(AdminHttpConfig config) {
        admin = metrics.startAdmin(config, loops.group(), NioServerSocketChannel.class);
        assertTrue(admin.localAddress().getAddress().isAnyLocalAddress(), "bound to " + admin.localAddress());
        metrics.readiness().listenersOpen(true);
        return new AdminClient(nonLoopbackAddress().orElse("127.0.0.1"), admin.localAddress().getPort());
    }

    @Test
    void withATokenMetricsNeedsItAndTheProbesStayOpen() {
        TestPki.write(dir.resolve("token"), "  s3cret-token\n");
        AdminClient client = start(load("admin_http: { bind: 0.0.0.0:0, expose: true, bearer_token_file: token }\n"));

        HttpResponse<String> none = client.get("/metrics");
        assertEquals(401, none.statusCode());
        assertEquals("Bearer realm=\"stapled\"", none.headers().firstValue("www-authenticate").orElseThrow());
        assertEquals("unauthorized\n", none.body());
        assertEquals(401, client.get("/metrics", "Bearer wrong").statusCode());
        assertEquals(401, client.get("/metrics", "Bearer s3cret-token-and-more").statusCode());
        assertEquals(401, client.get("/metrics", "Basic czNjcmV0LXRva2Vu").statusCode());
        assertEquals(401, client.get("/metrics", "s3cret-token").statusCode());

        HttpResponse<String> scrape = client.get("/metrics", "Bearer s3cret-token");
        assertEquals(200, scrape.statusCode());
        assertTrue(PrometheusText.parse(scrape.body()).value("process_uptime_seconds") > 0);
        assertEquals(200, client.get("/metrics", "bearer s3cret-token").statusCode(), "the scheme is case-insensitive");

        assertEquals(200, client.get("/healthz").statusCode(), "liveness probes carry no token");
        metrics.readiness().addCheck((now, problems) -> problems.add("staple missing for secret.internal"));
        HttpResponse<String> ready = client.get("/readyz");
        assertEquals(503, ready.statusCode());
        assertEquals("not ready\n", ready.body(), "without the token only the status, not what is wrong");
        assertEquals("staple missing for secret.internal\n", client.get("/readyz", "Bearer s3cret-token").body());

        assertEquals(404, client.get("/", "Bearer s3cret-token").statusCode(), "only the three paths");
        assertEquals(404, client.get("/metrics/../debug").statusCode());
        assertEquals(405, client.send("POST", "/metrics").statusCode());
    }

    @Test
    void withoutATokenEverythingIsOpenAsOnLoopback() {
        AdminClient client = start(load("admin_http: { bind: 0.0.0.0:0, expose: true }\n"));
        assertEquals(200, client.get("/metrics").statusCode());
        assertEquals("ready\n", client.get("/readyz").body());
        assertEquals(404, client.get("/server-status").statusCode());
    }

    @Test
    void anEmptyTokenFileStopsTheStartAtItsLine() {
        TestPki.write(dir.resolve("token"), "\n");
        AdminHttpConfig config = load("admin_http: { bind: 0.0.0.0:0, expose: true, bearer_token_file: token }\n");
        ConfigException e = assertThrows(ConfigException.class,
                () -> metrics.startAdmin(config, loops.group(), NioServerSocketChannel.class));
        assertEquals(dir.resolve("stapled.yaml") + ":11 admin_http.bearer_token_file: the bearer token file "
                + dir.resolve("token") + " is empty", e.getMessage());
    }

    /** An IPv4 address of an interface that is up and not loopback, if this machine has one. */
    private static Optional<String> nonLoopbackAddress() {
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nic.isUp() || nic.isLoopback()) {
                    continue;
                }
                for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                    if (a instanceof Inet4Address && !a.isLinkLocalAddress()) {
                        return Optional.of(a.getHostAddress());
                    }
                }
            }
        } catch (SocketException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }
}
