package io.stapled.tls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

/** Runs {@code openssl s_client} against a test server, bounded in time; skips when openssl is absent. */
final class OpenSslCli {

    private OpenSslCli() { }

    static void assumeInstalled() {
        boolean found = false;
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                if (java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, "openssl"))) {
                    found = true;
                    break;
                }
            }
        }
        if (!found) {
            System.out.println("skipping: openssl is not on PATH");
        }
        Assumptions.assumeTrue(found, "openssl is not on PATH");
    }

    /** s_client output (stdout and stderr) for one connection; stdin stays open until the server closes. */
    static String sClient(int port, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> copy(p.getInputStream(), out));
        reader.start();
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("openssl s_client did not finish in 15 s: " + out);
        }
        reader.join(5000);
        p.getOutputStream().close();
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException ignored) {
            // the process ended
        }
    }
}
