package io.stapled.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * Debian's real {@code redis-server} for the fleet tests, on a free loopback port with persistence off
 * ({@code --save '' --appendonly no}), so nothing outlives the test. It can be stopped and started again on
 * the same port (Redis away, then back). Requires redis-server (in CI a missing one fails).
 */
public final class RedisProcess implements AutoCloseable {
    private final Path dir;
    private final int port;
    private final List<String> extraArgs;
    private final String password;
    private final javax.net.ssl.SSLSocketFactory tls;
    private Process process;
    private int starts;

    private RedisProcess(Path dir, int port, String password, List<String> extraArgs,
                         javax.net.ssl.SSLSocketFactory tls) {
        this.dir = dir;
        this.port = port;
        this.password = password;
        this.extraArgs = extraArgs;
        this.tls = tls;
    }

    /** Starts redis-server in {@code dir} (its log goes there). */
    public static RedisProcess start(Path dir) throws IOException, InterruptedException {
        return start(dir, null);
    }

    /** Starts redis-server with {@code requirepass password} (when not null). */
    public static RedisProcess start(Path dir, String password) throws IOException, InterruptedException {
        ExternalTool.assumeInstalled("redis-server");
        List<String> extra = new ArrayList<>();
        if (password != null) {
            extra.add("--requirepass");
            extra.add(password);
        }
        RedisProcess redis = new RedisProcess(dir, freePort(), password, extra, null);
        redis.startProcess();
        return redis;
    }

    /** Starts a replica of {@code master} ({@code --replicaof}), for Sentinel to promote. */
    public static RedisProcess startReplicaOf(Path dir, RedisProcess master) throws IOException, InterruptedException {
        ExternalTool.assumeInstalled("redis-server");
        RedisProcess redis = new RedisProcess(dir, freePort(), null,
                List.of("--replicaof", "127.0.0.1", Integer.toString(master.port())), null);
        redis.startProcess();
        return redis;
    }

    /**
     * Starts redis-server speaking only TLS ({@code --port 0 --tls-port}) with {@code server}'s certificate
     * (issued for {@code localhost}) and {@code requirepass password}; clients are not asked for one.
     */
    public static RedisProcess startTls(Path dir, String password, io.stapled.testkit.pki.IssuedCertificate server)
            throws IOException, InterruptedException {
        ExternalTool.assumeInstalled("redis-server");
        Path cert = Files.writeString(dir.resolve("redis.crt"), server.chainPem());
        Path key = Files.writeString(dir.resolve("redis.key"), server.privateKeyPem());
        int port = freePort();
        List<String> extra = new ArrayList<>(List.of("--port", "0", "--tls-port", Integer.toString(port),
                "--tls-cert-file", cert.toString(), "--tls-key-file", key.toString(), "--tls-auth-clients", "no",
                "--requirepass", password));
        RedisProcess redis = new RedisProcess(dir, port, password, extra, trusting(server.issuer().certificate()));
        redis.startProcess();
        return redis;
    }

    private static javax.net.ssl.SSLSocketFactory trusting(java.security.cert.X509Certificate ca) {
        try {
            java.security.KeyStore ks = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
            ks.load(null, null);
            ks.setCertificateEntry("ca", ca);
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx.getSocketFactory();
        } catch (java.security.GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public int port() {
        return port;
    }

    /** {@code redis://127.0.0.1:<port>/0}. */
    public String url() {
        return "redis://127.0.0.1:" + port + "/0";
    }

    /** A plain connection, for what a test writes into Redis by hand. */
    public Jedis client() {
        DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder();
        if (tls != null) {
            b.ssl(true).sslSocketFactory(tls);
        }
        if (password != null) {
            b.password(password);
        }
        return new Jedis(new HostAndPort(tls != null ? "localhost" : "127.0.0.1", port), b.build());
    }

    /** Starts it again on the same port after {@link #stop()}. */
    public void restart() throws IOException, InterruptedException {
        startProcess();
    }

    private void startProcess() throws IOException, InterruptedException {
        Path log = dir.resolve("redis-" + port + "-" + (++starts) + ".log");
        List<String> cmd = new ArrayList<>(List.of("redis-server", "--port", tls != null ? "0" : Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString()));
        cmd.addAll(extraArgs);
        process = ExternalTool.start(log, cmd);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("redis-server exited with " + process.exitValue() + ":\n" + Files.readString(log));
            }
            try (Jedis j = client()) {
                if ("PONG".equals(j.ping())) {
                    return;
                }
            } catch (RuntimeException notYet) {
                // not listening yet
            }
            Thread.sleep(20);
        }
        stop();
        throw new AssertionError("redis-server did not answer in 15 s:\n" + Files.readString(log));
    }

    /** Stops the server (SIGTERM, then SIGKILL); its port stays reserved for {@link #restart()}. */
    public void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    @Override
    public void close() {
        stop();
    }
}
