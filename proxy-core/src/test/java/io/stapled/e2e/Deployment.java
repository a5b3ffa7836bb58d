package io.stapled.e2e;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.TimeUnit;

import io.netty.channel.EventLoopGroup;
import io.stapled.config.ConfigLoader;
import io.stapled.config.StapledConfig;
import io.stapled.demo.DemoBackend;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.pki.KeyPairs;
import io.stapled.testkit.responder.OcspResponderServer;
import io.stapled.server.StapledServer;
import io.stapled.net.Transport;

/**
 * A whole deployment on loopback for end-to-end tests: a fresh PKI (root, intermediate, an ECDSA and
 * an RSA certificate for {@code a.test} whose AIA points at an in-process OCSP responder), that
 * responder, a plain HTTP backend, and stapled itself started from YAML like a user's.
 */
final class Deployment implements AutoCloseable {
    final Path dir;
    final IssuedCertificate root;
    final IssuedCertificate intermediate;
    final OcspResponderServer responder;
    final IssuedCertificate ecdsa;
    final IssuedCertificate rsa;
    final Path ecdsaFile;
    final Path rsaFile;
    private final EventLoopGroup backendGroup;
    /** Top-level YAML appended to the generated config, e.g. an {@code admin_http:} section. */
    String extraYaml = "";
    final DemoBackend backend;
    StapledServer server;

    private Deployment(Path dir) throws InterruptedException {
        this.dir = dir;
        root = CertificateBuilder.subject("CN=e2e root").ca().build();
        intermediate = CertificateBuilder.subject("CN=e2e intermediate").issuer(root).ca().build();
        responder = OcspResponderServer.builder(intermediate).start();
        ecdsa = CertificateBuilder.subject("CN=a.test").issuer(intermediate).dnsNames("a.test")
                .ocspUrl(responder.url()).build();
        rsa = CertificateBuilder.subject("CN=a.test").issuer(intermediate).dnsNames("a.test")
                .keyPair(KeyPairs.rsa(2048)).ocspUrl(responder.url()).build();
        ecdsaFile = ecdsa.writeBundle(dir.resolve("certs/a-ecdsa.pem"));
        rsaFile = rsa.writeBundle(dir.resolve("certs/a-rsa.pem"));
        Transport transport = Transport.best();
        backendGroup = transport.newGroup(1, "e2e-backend");
        backend = DemoBackend.start(backendGroup, transport, new InetSocketAddress("127.0.0.1", 0));
    }

    /** A Must-Staple certificate for {@code ms.test}, issued like the others. */
    void addMustStapleCertificate() {
        CertificateBuilder.subject("CN=ms.test").issuer(intermediate).dnsNames("ms.test")
                .ocspUrl(responder.url()).mustStaple().build().writeBundle(dir.resolve("certs/ms.pem"));
    }

    static Deployment create(Path dir) throws InterruptedException {
        return new Deployment(dir);
    }

    /** The YAML a user would write for this deployment, with {@code ocspKeys} added under {@code ocsp:}. */
    String yaml(String ocspKeys) {
        String keys = ocspKeys.contains("startup_wait") ? ocspKeys : "startup_wait: 5s\n" + ocspKeys;
        return """
                ocsp:
                %s
                frontends:
                  - name: https
                    bind: 127.0.0.1:0
                    mode: http
                    backend: app
                    certificates:
                      - dir: certs/
                backends:
                  - name: app
                    servers:
                      - { name: app1, address: 127.0.0.1:%d }
                %s
                """.formatted(keys.indent(2).stripTrailing(), backend.address().getPort(), extraYaml);
    }

    StapledConfig config(String ocspKeys) {
        return ConfigLoader.parse(yaml(ocspKeys), dir.resolve("stapled.yaml"));
    }

    StapledServer start(String ocspKeys) {
        return start(ocspKeys, Clock.systemUTC());
    }

    StapledServer start(String ocspKeys, Clock clock) {
        server = StapledServer.builder(config(ocspKeys)).clock(clock).start();
        return server;
    }

    int port() {
        return server.frontend("https").address().getPort();
    }

    void stopServer() {
        if (server != null) {
            server.stop(java.time.Duration.ofSeconds(1));
            server = null;
        }
    }

    @Override
    public void close() {
        stopServer();
        backend.close();
        backendGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        responder.close();
    }
}
