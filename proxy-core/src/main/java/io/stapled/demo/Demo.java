package io.stapled.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import io.netty.channel.EventLoopGroup;
import io.stapled.config.ConfigLoader;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.pki.KeyPairs;
import io.stapled.testkit.responder.OcspResponderServer;
import io.stapled.server.StapledServer;
import io.stapled.net.Transport;

/**
 * {@code stapled demo}: a throwaway PKI (root, intermediate, an ECDSA and an RSA certificate for
 * localhost whose AIA points at an in-process OCSP responder), a demo backend, and the proxy running
 * {@code config-examples/demo.yaml} — all on loopback, nothing installed, staples from the first client.
 */
public final class Demo implements AutoCloseable {
    /** Where the demo writes its files and which ports it uses (0: any free port). */
    public record Options(Path dir, int httpsPort, int backendPort, int adminPort) {
        public static Options defaults() {
            return new Options(Path.of(System.getProperty("java.io.tmpdir"), "stapled-demo"), 8443, 8081, 9100);
        }
    }

    private final Path dir;
    private final OcspResponderServer responder;
    private final EventLoopGroup backendGroup;
    private final DemoBackend backend;
    private final StapledServer server;

    private Demo(Path dir, OcspResponderServer responder, EventLoopGroup backendGroup, DemoBackend backend,
                 StapledServer server) {
        this.dir = dir;
        this.responder = responder;
        this.backendGroup = backendGroup;
        this.backend = backend;
        this.server = server;
    }

    public static Demo start(Options options) throws InterruptedException {
        Path dir = options.dir().toAbsolutePath();
        Path pki = dir.resolve("pki");
        deleteTree(pki);
        IssuedCertificate root = CertificateBuilder.subject("CN=stapled demo root CA").ca().build();
        IssuedCertificate intermediate = CertificateBuilder.subject("CN=stapled demo intermediate CA")
                .issuer(root).ca().build();
        OcspResponderServer responder = OcspResponderServer.builder(intermediate).start();
        EventLoopGroup group = null;
        DemoBackend backend = null;
        try {
            CertificateBuilder.subject("CN=localhost").issuer(intermediate).dnsNames("localhost")
                    .ocspUrl(responder.url()).build().writeBundle(pki.resolve("localhost-ecdsa.pem"));
            CertificateBuilder.subject("CN=localhost").issuer(intermediate).dnsNames("localhost")
                    .keyPair(KeyPairs.rsa(2048)).ocspUrl(responder.url()).build()
                    .writeBundle(pki.resolve("localhost-rsa.pem"));
            Files.writeString(dir.resolve("ca.pem"), root.certificatePem(), StandardCharsets.US_ASCII);

            Transport transport = Transport.best();
            group = transport.newGroup(1, "demo-backend");
            backend = DemoBackend.start(group, transport, new InetSocketAddress("127.0.0.1", options.backendPort()));

            Path configFile = dir.resolve("stapled.yaml");
            Files.writeString(configFile, demoYaml()
                    .replace("127.0.0.1:8443", "127.0.0.1:" + options.httpsPort())
                    .replace("127.0.0.1:8081", "127.0.0.1:" + backend.address().getPort())
                    .replace("127.0.0.1:9100", "127.0.0.1:" + options.adminPort()));
            StapledServer server = StapledServer.start(ConfigLoader.load(configFile));
            return new Demo(dir, responder, group, backend, server);
        } catch (IOException e) {
            closeQuietly(responder, backend, group);
            throw new UncheckedIOException("cannot write the demo files in " + dir, e);
        } catch (RuntimeException | InterruptedException e) {
            closeQuietly(responder, backend, group);
            throw e;
        }
    }

    public Path dir() {
        return dir;
    }

    public StapledServer server() {
        return server;
    }

    public OcspResponderServer responder() {
        return responder;
    }

    /** The lines printed for the user to try. */
    public String instructions() {
        int port = server.frontend("https").address().getPort();
        Path ca = dir.resolve("ca.pem");
        return String.join("\n",
                "stapled demo is running on https://localhost:" + port + "/ (files in " + dir + ")",
                "",
                "Try:",
                "  curl --cacert " + ca + " --cert-status https://localhost:" + port + "/",
                "  openssl s_client -connect localhost:" + port + " -servername localhost -status -CAfile " + ca
                        + " </dev/null | grep -A4 'OCSP Response Status'",
                "",
                "Ctrl-C stops it.");
    }

    @Override
    public void close() {
        server.close();
        closeQuietly(responder, backend, backendGroup);
    }

    static String demoYaml() throws IOException {
        try (InputStream in = Demo.class.getResourceAsStream("demo.yaml")) {
            if (in == null) {
                throw new IOException("demo.yaml is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void closeQuietly(OcspResponderServer responder, DemoBackend backend, EventLoopGroup group) {
        if (backend != null) {
            backend.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
        responder.close();
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear " + root, e);
        }
    }
}
