package io.stapled.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.stapled.testkit.Poll;

/** {@code stapled run} in a JVM of its own, on the test's class path, its output in a log file. */
final class StapledProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("frontend https listening on /127\\.0\\.0\\.1:(\\d+)");
    /** A second JVM's start-up took over 30 s at a load average of 25: these only bound a hang. */
    static final Duration START = Duration.ofSeconds(75);

    final Process process;
    final Path log;

    private StapledProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** {@code prefix} goes before {@code java} (a launcher such as systemd-socket-activate), may be empty. */
    static StapledProcess start(Path log, Map<String, String> env, List<String> prefix, String... args)
            throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("io.stapled.cli.Main");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return new StapledProcess(pb.start(), log);
    }

    String output() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int listeningPortNow() {
        Matcher m = LISTENING.matcher(output());
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    int awaitListeningPort() {
        boolean ended = Poll.within(START, () -> !process.isAlive() || listeningPortNow() > 0);
        int port = listeningPortNow();
        if (port < 0) {
            throw new AssertionError("stapled did not start listening" + (ended ? " (exited)" : " within " + START)
                    + ":\n" + output());
        }
        return port;
    }

    void awaitLog(String text) {
        boolean ended = Poll.within(START, () -> !process.isAlive() || output().contains(text));
        if (!output().contains(text)) {
            throw new AssertionError("no \"" + text + "\" in the log" + (ended ? " (exited)" : "") + ":\n" + output());
        }
    }

    boolean awaitExit(Duration within) throws InterruptedException {
        return process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
