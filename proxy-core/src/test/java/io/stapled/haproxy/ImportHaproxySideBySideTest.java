package io.stapled.haproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpServer;
import io.stapled.config.ConfigLoader;
import io.stapled.server.StapledServer;
import io.stapled.testing.Curl;
import io.stapled.testing.HaproxyProcess;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's HAProxy 2.6 on a test-resource config and stapled on what {@code import-haproxy} made of it,
 * both in front of the same backends, asked the same requests by curl: the same status, Location,
 * body (which backend, what it received) and the headers the rules set. The test moves the config's
 * binds and servers to loopback ephemeral ports (the same rewrite for both, before converting) and drops
 * the lines an unprivileged HAProxy cannot run (chroot, user, group, daemon, log).
 */
@Timeout(120)
class ImportHaproxySideBySideTest {
    private static final Pattern BIND = Pattern.compile("^(\\s*bind\\s+)(\\S+)(.*)$");
    private static final Pattern SERVER = Pattern.compile("^(\\s*server\\s+\\S+\\s+)(\\S+)(.*)$");
    private static final Pattern DROPPED = Pattern.compile("^\\s*(chroot|user|group|daemon|log)\\b.*$");
    /** What the echo backends report of the request they got. */
    private static final List<String> ECHOED = List.of("host", "x-client-ip", "via", "x-debug", "x-original-host");

    @TempDir
    Path dir;
    private final List<HttpServer> backends = new ArrayList<>();
    private final Map<String, Integer> backendPorts = new LinkedHashMap<>();
    private HaproxyProcess haproxy;
    private StapledServer stapled;
    private Curl curl;
    private Map<String, Integer> haproxyPorts;
    private Map<String, Integer> stapledPorts;

    @BeforeEach
    void pki() {
        IssuedCertificate root = CertificateBuilder.subject("CN=side-by-side root").ca().build();
        Path certs = dir.resolve("certs");
        CertificateBuilder.subject("CN=www.example.com").issuer(root)
                .dnsNames("www.example.com", "api.example.com", "static.example.com").build()
                .writeBundle(certs.resolve("site.pem"));
        try {
            curl = new Curl(Files.writeString(certs.resolve("root.pem"), root.certificatePem()));
            Files.createDirectories(dir.resolve("run"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @AfterEach
    void stop() {
        if (haproxy != null) {
            haproxy.close();
        }
        if (stapled != null) {
            stapled.stop(Duration.ofSeconds(1));
        }
        backends.forEach(b -> b.stop(0));
    }

    @Test
    void edgeRedirectAcmeHstsAndHostRouting() throws Exception {
        start("edge.cfg", List.of(":80", ":443"), List.of("acme", "app", "api", "static"));
        compare("http", ":80", "www.example.com", "/a/b?x=1");
        compare("http", ":80", "www.example.com", "/.well-known/acme-challenge/token1");
        compare("https", ":443", "www.example.com", "/");
        compare("https", ":443", "api.example.com", "/v1/users?id=3");
        compare("https", ":443", "static.example.com", "/logo.png");
        compare("https", ":443", "www.example.com", "/assets/site.css");
    }

    @Test
    void hostRouting() throws Exception {
        start("host-routing.cfg", List.of(":8080"), List.of("web", "api", "admin", "preview", "write", "legacy"));
        compare("http", ":8080", "www.example.com", "/healthz");
        compare("http", ":8080", "api.example.com", "/v1/");
        compare("http", ":8080", "pr-12.preview.example.com", "/");
        compare("http", ":8080", "www.example.com", "/form", "-X", "POST", "-d", "a=1");
        compare("http", ":8080", "www.example.com", "/index.php");
        compare("http", ":8080", "www.example.com", "/other");
        compare("http", ":8080", "admin.example.com", "/"); // from 127.0.0.1: not the office, so 403
    }

    @Test
    void headerRulesAndRedirects() throws Exception {
        start("headers.cfg", List.of(":8080"), List.of("app"));
        compare("http", ":8080", "www.example.com", "/page", "-H", "X-Debug: 1");
        compare("http", ":8080", "old.example.com", "/p/q?x=1");
        compare("http", ":8080", "www.example.com", "/closed/now");
    }

    private void start(String resource, List<String> binds, List<String> names) throws Exception {
        for (String name : names) {
            backends.add(echoBackend(name));
        }
        haproxyPorts = ports(binds);
        stapledPorts = ports(binds);
        String original = RealWorldConfigsTest.resource(resource).replace("${CERTS}", dir.resolve("certs").toString());
        String forHaproxy = rewrite(original, haproxyPorts).replace("${RUN}/admin.sock", "${socket}");
        if (!forHaproxy.contains("${socket}")) {
            forHaproxy = "global\n    stats socket ${socket} level admin\n" + forHaproxy;
        }
        haproxy = HaproxyProcess.start(Files.createDirectories(dir.resolve("haproxy")), forHaproxy);
        String forStapled = rewrite(original, stapledPorts);
        HaproxyImporter.Result r = HaproxyImporter.convert(HaproxyParser.parse(forStapled, resource,
                Map.of("RUN", dir.resolve("run").toString())), resource);
        Path yaml = Files.writeString(dir.resolve("stapled.yaml"), r.yaml());
        stapled = StapledServer.builder(ConfigLoader.load(yaml)).start();
    }

    private void compare(String scheme, String bind, String host, String target, String... more) throws Exception {
        // Host without the port, as browsers send it to :80 and :443 (HAProxy's hdr(host) would not match
        // "api.example.com:8080"; stapled's host compares without the port)
        List<String> all = new ArrayList<>(List.of("-H", "Host: " + host));
        all.addAll(List.of(more));
        String[] args = all.toArray(String[]::new);
        Curl.Response reference = curl.get(scheme, host, haproxyPorts.get(bind), target, args);
        Curl.Response ours = curl.get(scheme, host, stapledPorts.get(bind), target, args);
        String what = scheme + " " + host + target;
        assertEquals(reference.status(), ours.status(), what);
        assertEquals(reference.header("location"), ours.header("location"), what);
        assertEquals(reference.header("cache-control"), ours.header("cache-control"), what);
        assertEquals(reference.header("content-type"), ours.header("content-type"), what);
        for (String h : List.of("strict-transport-security", "x-frame-options", "x-served-by", "server",
                "x-internal-id")) {
            assertEquals(reference.header(h), ours.header(h), what + " " + h);
        }
        assertEquals(reference.body(), ours.body(), what);
    }

    private static Map<String, Integer> ports(List<String> binds) throws IOException {
        Map<String, Integer> ports = new LinkedHashMap<>();
        for (String b : binds) {
            try (ServerSocket s = new ServerSocket(0)) {
                ports.put(b, s.getLocalPort());
            }
        }
        return ports;
    }

    /** The binds on loopback at {@code ports}, the servers at their backend's echo server. */
    private String rewrite(String cfg, Map<String, Integer> ports) {
        StringBuilder out = new StringBuilder();
        String backend = null;
        for (String line : cfg.split("\n", -1)) {
            String s = line.strip();
            if (s.startsWith("backend ") || s.startsWith("frontend ") || s.startsWith("defaults")
                    || s.startsWith("global")) {
                backend = s.startsWith("backend ") ? s.substring(8).strip() : null;
            }
            Matcher bind = BIND.matcher(line);
            Matcher server = SERVER.matcher(line);
            if (DROPPED.matcher(line).matches()) {
                continue;
            } else if (bind.matches()) {
                line = bind.group(1) + "127.0.0.1:" + ports.get(bind.group(2)) + bind.group(3);
            } else if (server.matches() && backend != null) {
                line = server.group(1) + "127.0.0.1:" + backendPorts.get(backend) + server.group(3);
            }
            out.append(line).append('\n');
        }
        return out.toString();
    }

    /** Answers every request with which backend it is and the request headers the rules touch. */
    private HttpServer echoBackend(String name) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            Map<String, String> seen = new TreeMap<>();
            for (String h : ECHOED) {
                String v = exchange.getRequestHeaders().getFirst(h);
                seen.put(h, v == null ? "-" : v.toLowerCase(Locale.ROOT));
            }
            byte[] body = ("backend=" + name + " method=" + exchange.getRequestMethod() + " uri="
                    + exchange.getRequestURI() + " " + seen + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/plain");
            exchange.getResponseHeaders().add("Server", "echo");
            exchange.getResponseHeaders().add("X-Internal-Id", "42");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        backendPorts.put(name, server.getAddress().getPort());
        return server;
    }
}
