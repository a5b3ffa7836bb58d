package io.stapled.testing;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

/**
 * A real command-line tool a test talks to (openssl, curl, socat, haproxy). A test that needs one that is not
 * installed is skipped with a printed reason on a developer's machine, and fails in CI (where
 * {@code CI=true}: {@code .ci/run} installs every tool, so a missing one is a broken set-up, not a
 * reason to pass without the interop tests). One that is installed runs bounded in time.
 */
public final class ExternalTool {
    private ExternalTool() { }

    /** Output and exit status of one bounded run. */
    public record Result(int exitCode, String output) { }

    public static boolean isInstalled(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Skips the calling test, saying why, unless {@code tool} is on PATH; in CI, fails it instead. */
    public static void assumeInstalled(String tool) {
        Assumptions.assumeTrue(usable(tool), tool + " is not installed");
    }

    /**
     * Whether {@code tool} is on PATH; when it is not, says so, and in CI fails the calling test.
     * For a test that only skips a part without the tool.
     */
    public static boolean usable(String tool) {
        if (isInstalled(tool)) {
            return true;
        }
        if (inCi()) {
            throw new AssertionError(tool + " is not installed, and CI must run every interop test (.ci/run installs it)");
        }
        System.out.println("SKIPPED: " + tool + " is not installed (.ci/run installs it)");
        return false;
    }

    static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Runs {@code command} with stdin closed, stdout+stderr merged, killed after {@code timeoutSeconds}. */
    public static Result run(int timeoutSeconds, List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> copy(p.getInputStream(), out), "tool-output");
        reader.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            reader.join(2000);
            throw new AssertionError(String.join(" ", command) + " did not finish in " + timeoutSeconds
                    + " s; output so far:\n" + out.toString(StandardCharsets.UTF_8));
        }
        reader.join(5000);
        return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8));
    }

    /** Starts a long-running tool (e.g. an OCSP responder); the caller destroys it. */
    public static Process start(Path log, List<String> command) throws IOException {
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException ignored) {
            // the process ended
        }
    }
}
