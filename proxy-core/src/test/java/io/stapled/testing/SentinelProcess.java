package io.stapled.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * Debian's real {@code redis-sentinel}, monitoring one master as {@code mymaster} with quorum 1 on a free
 * loopback port, with short timings (down after 1 s, failover timeout 3 s) so a test sees a failover in
 * a few seconds. Its config file (which Sentinel rewrites) lives in the test's directory. Requires
 * redis-sentinel (in CI a missing one fails).
 */
public final class SentinelProcess implements AutoCloseable {
    public static final String MASTER = "mymaster";

    private final int port;
    private final Process process;

    private SentinelProcess(int port, Process process) {
        this.port = port;
        this.process = process;
    }

    /** Starts a sentinel monitoring {@code master}; returns once it answers and knows the master. */
    public static SentinelProcess start(Path dir, RedisProcess master) throws IOException, InterruptedException {
        return start(dir, master, freePort());
    }

    /** A free loopback port, for a sentinel started later ({@link #start(Path, RedisProcess, int)}). */
    public static int freePort() throws IOException {
        return RedisProcess.freePort();
    }

    /** Starts a sentinel on {@code port} monitoring {@code master}. */
    public static SentinelProcess start(Path dir, RedisProcess master, int port) throws IOException, InterruptedException {
        return start(dir, master, port, null);
    }

    /** Starts a sentinel on {@code port} monitoring {@code master}, which asks for {@code masterPassword} (or none). */
    public static SentinelProcess start(Path dir, RedisProcess master, int port, String masterPassword)
            throws IOException, InterruptedException {
        ExternalTool.assumeInstalled("redis-sentinel");
        Path conf = dir.resolve("sentinel-" + port + ".conf");
        Files.writeString(conf, """
                port %d
                bind 127.0.0.1
                daemonize no
                dir %s
                sentinel monitor %s 127.0.0.1 %d 1
                sentinel down-after-milliseconds %s 1000
                sentinel failover-timeout %s 3000
                sentinel parallel-syncs %s 1
                """.formatted(port, dir, MASTER, master.port(), MASTER, MASTER, MASTER)
                + (masterPassword == null ? "" : "sentinel auth-pass " + MASTER + " " + masterPassword + "\n"));
        Path log = dir.resolve("sentinel-" + port + ".log");
        Process p = ExternalTool.start(log, List.of("redis-sentinel", conf.toString()));
        SentinelProcess s = new SentinelProcess(port, p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new AssertionError("redis-sentinel exited with " + p.exitValue() + ":\n" + Files.readString(log));
            }
            try {
                if (s.master() != null) {
                    return s;
                }
            } catch (RuntimeException notYet) {
                // not listening yet
            }
            Thread.sleep(20);
        }
        s.close();
        throw new AssertionError("redis-sentinel did not answer in 15 s:\n" + Files.readString(log));
    }

    public int port() {
        return port;
    }

    /** The master this sentinel names now. */
    public HostAndPort master() {
        try (Jedis j = new Jedis("127.0.0.1", port)) {
            List<String> a = j.sentinelGetMasterAddrByName(MASTER);
            return a == null || a.isEmpty() ? null : new HostAndPort(a.get(0), Integer.parseInt(a.get(1)));
        }
    }

    /** How many replicas of the master this sentinel knows (it learns them from the master's INFO). */
    public int replicas() {
        try (Jedis j = new Jedis("127.0.0.1", port)) {
            List<Map<String, String>> r = j.sentinelReplicas(MASTER);
            return r.size();
        }
    }

    /** {@code SENTINEL FAILOVER mymaster}: promotes the replica and demotes the master, which keeps running. */
    public void failover() {
        try (Jedis j = new Jedis("127.0.0.1", port)) {
            j.sentinelFailover(MASTER);
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
