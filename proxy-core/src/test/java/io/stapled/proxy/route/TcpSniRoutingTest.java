package io.stapled.proxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.netty.channel.nio.NioEventLoopGroup;
import io.stapled.testing.ExternalTool;
import io.stapled.testing.NamedBackends;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.pki.IssuedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A {@code mode: tcp} frontend routing by SNI after TLS termination, on the real server: {@code openssl
 * s_client} to two names reaches two TCP backends (each greets with its name); another name, or none,
 * reaches the default backend.
 */
@Timeout(60)
class TcpSniRoutingTest {
    private static final NioEventLoopGroup GROUP = new NioEventLoopGroup(1);
    private static final NamedBackends BACKENDS = NamedBackends.tcp(GROUP, List.of("imap", "smtp", "other"));

    @RegisterExtension
    static final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            ocsp: { startup_wait: 5s, persist: false }
            frontends:
              - name: tcp
                bind: 127.0.0.1:0
                mode: tcp
                default_backend: other
                certificates:
                  - crt: ${cert:default.test}
                  - crt: ${cert:imap.test}
                  - crt: ${cert:smtp.test}
                routes:
                  - sni: imap.test
                    backend: imap
                  - sni_regex: "^smtp\\\\."
                    backend: smtp
              - name: plaintcp
                bind: 127.0.0.1:0
                mode: tcp
                tls: false
                default_backend: other
                routes:
                  - source: 127.0.0.0/8
                    backend: imap
            runtime_api: { socket: ${socket}, level: admin }
            """ + BACKENDS.yaml());

    private static Path root;

    @BeforeAll
    static void trustRoot() throws Exception {
        root = stapled.dir().resolve("root.pem");
        Files.writeString(root, IssuedCertificate.pem(stapled.root()));
    }

    @AfterAll
    static void stopBackends() {
        BACKENDS.close();
        GROUP.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static String greeting(String sni) throws Exception {
        ExternalTool.assumeInstalled("openssl");
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl", "s_client", "-connect",
                "127.0.0.1:" + stapled.port("tcp"), "-CAfile", root.toString(), "-verify_return_error",
                "-ign_eof", "-quiet"));
        if (sni != null) {
            cmd.addAll(List.of("-servername", sni));
        } else {
            cmd.add("-noservername");
        }
        ExternalTool.Result r = ExternalTool.run(20, cmd);
        int at = r.output().indexOf("backend=");
        assertTrue(at >= 0, r.output());
        return r.output().substring(at + "backend=".length()).lines().findFirst().orElseThrow();
    }

    @Test
    void twoNamesReachTwoBackends() throws Exception {
        assertEquals("imap", greeting("imap.test"));
        assertEquals("smtp", greeting("smtp.test"));
    }

    @Test
    void showStatGivesABackendOnlyARouteReachesItsFrontendsMode() throws Exception {
        ExternalTool.assumeInstalled("socat");
        String stat = ExternalTool.run(20, List.of("sh", "-c", "echo 'show stat' | socat - UNIX-CONNECT:"
                + stapled.dir().resolve("admin.sock"))).output();
        List<String> lines = stat.lines().toList();
        List<String> header = List.of(lines.get(0).substring(2).split(","));
        int mode = header.indexOf("mode");
        String imap = lines.stream().filter(l -> l.startsWith("imap,BACKEND,")).findFirst().orElseThrow();
        assertEquals("tcp", imap.split(",", -1)[mode], stat);
    }

    @Test
    void aPlainTcpFrontendRoutesBySource() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", stapled.port("plaintcp"))) {
            socket.setSoTimeout(10_000);
            String greeting = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
            assertEquals("backend=imap\n", greeting);
        }
    }

    @Test
    void anotherNameOrNoneReachesTheDefault() throws Exception {
        assertEquals("other", greeting("default.test"));
        assertEquals("other", greeting(null));
    }
}
