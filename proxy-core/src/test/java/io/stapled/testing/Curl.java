package io.stapled.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The real curl against a local port: one request, the response's status, headers and body. HTTPS
 * requests trust {@code caFile} and resolve the URL's name to 127.0.0.1, so the URL's host is the SNI
 * and the default Host; a {@code -H "Host: ..."} argument sets another Host.
 */
public final class Curl {
    public record Response(int status, Map<String, String> headers, String body) {
        /** A header by lower-case name (the first, if repeated), or null. */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final Path caFile;

    public Curl(Path caFile) {
        this.caFile = caFile;
    }

    /** {@code curl -sS -i} on {@code scheme://name:port/path} (name resolved to loopback), with {@code args} before it. */
    public Response get(String scheme, String name, int port, String pathAndQuery, String... args) throws Exception {
        ExternalTool.assumeInstalled("curl");
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "-i", "--max-time", "10",
                "--resolve", name + ":" + port + ":127.0.0.1"));
        if (caFile != null) {
            cmd.addAll(List.of("--cacert", caFile.toString()));
        }
        cmd.addAll(List.of(args));
        cmd.add(scheme + "://" + name + ":" + port + pathAndQuery);
        ExternalTool.Result r = ExternalTool.run(20, cmd);
        if (r.exitCode() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed (" + r.exitCode() + "): " + r.output());
        }
        return parse(r.output());
    }

    static Response parse(String output) {
        int split = output.indexOf("\r\n\r\n");
        String head = split < 0 ? output : output.substring(0, split);
        String body = split < 0 ? "" : output.substring(split + 4);
        String[] lines = head.split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.putIfAbsent(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).strip());
            }
        }
        return new Response(status, headers, body);
    }
}
