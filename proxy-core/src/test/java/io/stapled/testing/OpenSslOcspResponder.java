package io.stapled.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.stapled.testkit.pki.IssuedCertificate;

/**
 * A real {@code openssl ocsp} responder process for one CA, on a free loopback-reachable port, that
 * answers "good" for the certificates it is told about. Skips the test when openssl is missing.
 */
public final class OpenSslOcspResponder implements AutoCloseable {
    private static final DateTimeFormatter INDEX_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final Process process;
    private final int port;

    private OpenSslOcspResponder(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /**
     * Starts a responder on {@code port} (see {@link #freePort()}) signing as {@code ca}, answering
     * "good" for {@code good}; its files go in {@code dir}.
     */
    public static OpenSslOcspResponder start(Path dir, int port, IssuedCertificate ca, List<X509Certificate> good)
            throws Exception {
        ExternalTool.assumeInstalled("openssl");
        Files.createDirectories(dir);
        Path caPem = Files.writeString(dir.resolve("responder-ca.pem"), ca.certificatePem());
        Path caKey = Files.writeString(dir.resolve("responder-ca.key"), ca.privateKeyPem());
        StringBuilder index = new StringBuilder();
        for (X509Certificate c : good) {
            // openssl's CA database: status, expiry, revocation date, serial (hex), file, subject.
            index.append("V\t").append(INDEX_TIME.format(c.getNotAfter().toInstant())).append("\t\t")
                    .append(c.getSerialNumber().toString(16).toUpperCase()).append("\tunknown\t/")
                    .append(c.getSubjectX500Principal().getName().replace(',', '/')).append('\n');
        }
        Path indexFile = Files.writeString(dir.resolve("index.txt"), index);
        Path log = dir.resolve("openssl-ocsp.log");
        // openssl ocsp takes a port only and listens on all interfaces; clients use 127.0.0.1.
        Process p = ExternalTool.start(log, List.of("openssl", "ocsp", "-index", indexFile.toString(),
                "-port", String.valueOf(port), "-rsigner", caPem.toString(), "-rkey", caKey.toString(),
                "-CA", caPem.toString(), "-nmin", "60", "-ignore_err"));
        OpenSslOcspResponder r = new OpenSslOcspResponder(p, port);
        r.awaitReady(log);
        return r;
    }

    public String url() {
        return url(port);
    }

    public static String url(int port) {
        return "http://127.0.0.1:" + port + "/";
    }

    /** A port nothing listens on now, so a certificate's AIA can name the responder before it runs. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * Waits for the responder's own "waiting for connections" line: probing the port with a connect
     * would not do, since openssl ocsp serves one connection at a time and blocks on an empty one.
     */
    private void awaitReady(Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && process.isAlive()) {
            if (Files.exists(log) && Files.readString(log).contains("waiting for OCSP client connections")) {
                return;
            }
            Thread.sleep(50);
        }
        close();
        throw new AssertionError("openssl ocsp did not start: " + (Files.exists(log) ? Files.readString(log) : "no log"));
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
