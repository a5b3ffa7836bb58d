package io.stapled.fleet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.stapled.config.ConfigLoader;
import io.stapled.ocsp.ManagedCertificate;
import io.stapled.ocsp.OcspListener;
import io.stapled.ocsp.Staple;
import io.stapled.server.StapledServer;
import io.stapled.testing.RedisProcess;
import io.stapled.testkit.TlsTestClient;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.responder.OcspResponderServer;

/**
 * Fleet test fixture: one real Redis, one in-process responder that counts requests, one leaf, and
 * stapled instances started from YAML in this JVM, each with its own copy of the certificate (so no
 * instance reads another's {@code .ocsp} file: what they share goes through Redis only).
 */
final class Fleet implements AutoCloseable {
    final Path dir;
    final RedisProcess redis;
    final IssuedCertificate root = CertificateBuilder.subject("CN=fleet root").ca().build();
    final IssuedCertificate ca = CertificateBuilder.subject("CN=fleet intermediate").issuer(root).ca().build();
    final OcspResponderServer responder;
    final IssuedCertificate leaf;
    final IssuedCertificate otherLeaf;
    final Map<String, StapledServer> servers = new LinkedHashMap<>();
    final Map<String, List<Instant>> installs = new LinkedHashMap<>();
    final TlsTestClient client = new TlsTestClient();
    String fleetExtra = "";
    String frontendExtra = "";
    String lease = "2s";
    String redisUrl;
    /** The store's lines in {@code fleet:} instead of {@code redis: <url>} (a {@code sentinel:} section). */
    String store;

    Fleet(Path dir, Duration validity) throws IOException, InterruptedException {
        this(dir, validity, (String) null);
    }

    Fleet(Path dir, Duration validity, String redisPassword) throws IOException, InterruptedException {
        this(dir, validity, RedisProcess.start(dir, redisPassword));
    }

    Fleet(Path dir, Duration validity, RedisProcess redis) {
        this.dir = dir;
        this.redis = redis;
        this.responder = OcspResponderServer.builder(ca).validity(Duration.ofSeconds(-1), validity)
                .hang(Duration.ofSeconds(4)).start();
        this.leaf = CertificateBuilder.subject("CN=fleet.test").issuer(ca).dnsNames("fleet.test")
                .ocspUrl(responder.url()).build();
        this.otherLeaf = CertificateBuilder.subject("CN=other.test").issuer(ca).dnsNames("other.test")
                .ocspUrl(responder.url()).build();
    }

    BigInteger serial() {
        return leaf.certificate().getSerialNumber();
    }

    String yaml(String name, String startupWait) {
        Path certs = dir.resolve(name);
        try {
            Files.createDirectories(certs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path bundle = certs.resolve("fleet.test.pem");
        if (!Files.exists(bundle)) {
            leaf.writeBundle(bundle);
        }
        return """
                frontends:
                  - name: https
                    bind: 127.0.0.1:0
                    mode: tcp
                    backend: app
                    certificates:
                      - crt: %s
                %s
                backends:
                  - name: app
                    servers:
                      - { name: s1, address: 127.0.0.1:9 }
                ocsp: { min_refresh: 1s, startup_wait: %s }
                admin_http: { bind: 127.0.0.1:0 }
                runtime_api: { socket: %s }
                fleet:
                  %s
                  node_name: %s
                  lease: %s
                %s""".formatted(bundle, frontendExtra.indent(4).stripTrailing(), startupWait,
                certs.resolve("admin.sock"),
                store != null ? store.indent(2).strip() : "redis: " + (redisUrl != null ? redisUrl : redis.url()), name, lease, fleetExtra.indent(2));
    }

    StapledServer start(String name) {
        return start(name, "5s");
    }

    StapledServer start(String name, String startupWait) {
        List<Instant> times = java.util.Collections.synchronizedList(new ArrayList<>());
        installs.put(name, times);
        StapledServer s = StapledServer.builder(ConfigLoader.parse(yaml(name, startupWait),
                dir.resolve(name).resolve("stapled.yaml"))).ocspListener(new OcspListener() {
                    @Override
                    public void stapleChanged(ManagedCertificate c, Staple old, Staple now) {
                        if (now != null) {
                            times.add(Instant.now());
                        }
                    }
                }).start();
        servers.put(name, s);
        return s;
    }

    void stop(String name) {
        StapledServer s = servers.remove(name);
        if (s != null) {
            s.stop(Duration.ZERO);
        }
    }

    /**
     * The staple instance {@code name} sends in a real full handshake (null: none). A fresh client context
     * each time: a resumed session would report the staple of the session's first handshake.
     */
    byte[] handshakeStaple(String name) throws Exception {
        io.netty.handler.ssl.SslContext ctx = TlsTestClient.builder(io.netty.handler.ssl.SslProvider.OPENSSL)
                .enableOcsp(true).build();
        try {
            return client.handshake(ctx, "fleet.test", port(name)).ocspResponse();
        } finally {
            io.netty.util.ReferenceCountUtil.release(ctx);
        }
    }

    /** GET {@code path} from instance {@code name}'s admin listener: status and body. */
    java.net.http.HttpResponse<String> admin(String name, String path) throws Exception {
        java.net.InetSocketAddress a = servers.get(name).admin().localAddress();
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + a.getPort() + path)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    /** One runtime-API command on instance {@code name}'s socket, and its whole answer. */
    String cli(String name, String command) {
        try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.connect(java.net.UnixDomainSocketAddress.of(dir.resolve(name).resolve("admin.sock")));
            ch.write(java.nio.ByteBuffer.wrap((command + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(8192);
            while (ch.read(buf) >= 0) {
                out.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            return out.toString(java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int port(String name) {
        return servers.get(name).frontends().get(0).address().getPort();
    }

    /** The staple instance {@code name} holds. */
    Staple held(String name) {
        return servers.get(name).ocsp().certificates().iterator().next().staple();
    }

    FleetStatus status(String name) {
        return servers.get(name).fleet().status();
    }

    @Override
    public void close() {
        client.close();
        for (String name : List.copyOf(servers.keySet())) {
            stop(name);
        }
        responder.close();
        redis.close();
    }
}
