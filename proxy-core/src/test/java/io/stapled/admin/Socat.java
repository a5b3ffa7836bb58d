package io.stapled.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Runs the real {@code socat} against a socket, as operators do: {@code echo ... | socat stdio UNIX-CONNECT:...}. */
final class Socat {
    private Socat() { }

    /** Runs a shell one-liner (an operator's {@code echo ... | socat ...}) with {@code $SOCK} set. */
    static String shell(Path socket, Path workDir, String script) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", script).directory(workDir.toFile())
                .redirectErrorStream(true);
        pb.environment().put("SOCK", socket.toString());
        Process p = pb.start();
        p.getOutputStream().close();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("'" + script + "' did not finish");
        }
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    static String run(Path socket, String input) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("socat", "-t", "5", "stdio", "UNIX-CONNECT:" + socket)
                .redirectErrorStream(true).start();
        p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("socat did not finish");
        }
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}
