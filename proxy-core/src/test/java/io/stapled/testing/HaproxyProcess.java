package io.stapled.testing;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's real {@code haproxy}, run in the foreground from a config a test writes, as the reference the
 * runtime-API comparison tests hold stapled's answers against. {@code ${socket}} in the config is the stats
 * socket; the process is ready once that socket accepts. Requires haproxy (in CI a missing one fails).
 */
public final class HaproxyProcess implements AutoCloseable {
    private final Process process;
    private final Path socket;
    private final Path log;

    private HaproxyProcess(Process process, Path socket, Path log) {
        this.process = process;
        this.socket = socket;
        this.log = log;
    }

    /** Writes {@code config} (with {@code ${socket}} filled in) into {@code dir} and starts haproxy on it. */
    public static HaproxyProcess start(Path dir, String config) throws IOException, InterruptedException {
        ExternalTool.assumeInstalled("haproxy");
        Path socket = dir.resolve("haproxy.sock");
        Path cfg = Files.writeString(dir.resolve("haproxy.cfg"), config.replace("${socket}", socket.toString()));
        Path log = dir.resolve("haproxy.log");
        Process p = ExternalTool.start(log, List.of("haproxy", "-db", "-f", cfg.toString()));
        HaproxyProcess haproxy = new HaproxyProcess(p, socket, log);
        haproxy.awaitSocket();
        return haproxy;
    }

    public Path socket() {
        return socket;
    }

    /** The haproxy process's id: with {@code -db} there is no master, so a reload would show as a new one. */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** What haproxy has printed so far. */
    public String log() throws IOException {
        return Files.readString(log);
    }

    private void awaitSocket() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("haproxy exited with " + process.exitValue() + ":\n" + Files.readString(log));
            }
            if (Files.exists(socket)) {
                try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    ch.connect(UnixDomainSocketAddress.of(socket));
                    return;
                } catch (IOException notYet) {
                    // bound but not listening yet
                }
            }
            Thread.sleep(20);
        }
        close();
        throw new AssertionError("haproxy's stats socket did not open in 15 s:\n" + Files.readString(log));
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
