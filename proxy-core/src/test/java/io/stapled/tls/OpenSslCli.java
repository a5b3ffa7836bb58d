package io.stapled.tls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code openssl s_client} against a test server, bounded in time. Unlike {@code ExternalTool.run}
 * it keeps s_client's stdin open until the server closes; callers skip first with
 * {@code ExternalTool.assumeInstalled("openssl")}.
 */
final class OpenSslCli {

    private OpenSslCli() { }

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
