package io.stapled.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.stapled.testing.HaproxyProcess;
import io.stapled.testing.OpenSslOcspResponder;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.pki.KeyPairs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Debian's HAProxy 2.6 and stapled read the same certificate directory (an ECDSA and an RSA bundle, each with
 * its {@code .ocsp} sibling); the runtime-API answers a script parses must be the same from both sockets.
 * Where they differ on purpose (docs/RUNTIME-API.md) the test says so and compares the rest.
 */
@Timeout(60)
class HaproxySideBySideTest {
    private static final Pattern CERTIFICATE_ID = Pattern.compile("(?m)^Certificate ID key : ([0-9a-f]+)$");

    @RegisterExtension
    final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            ocsp: { enabled: true, startup_wait: 5s, persist: false, watch_files: false }
            frontends:
              - name: https
                bind: 127.0.0.1:0
                mode: http
                backend: web
                certificates:
                  - dir: ${dir}/certs
            backends:
              - name: web
                servers:
                  - { name: web1, address: 127.0.0.1:${backend} }
            runtime_api: { socket: ${socket}, level: admin }
            # certificates: ${cert:ecdsa.test:EC01}
            """).beforeServer(HaproxySideBySideTest::addRsaAndStaples);

    private HaproxyProcess haproxy;

    /** An RSA bundle beside the extension's ECDSA one, and a valid {@code .ocsp} file for each. */
    private static void addRsaAndStaples(StapledServerExtension ext) {
        IssuedCertificate rsa = CertificateBuilder.subject("CN=rsa.test").issuer(ext.intermediate())
                .keyPair(KeyPairs.rsa(2048)).dnsNames("rsa.test").ocspUrl(ext.responder().url())
                .serial(java.math.BigInteger.valueOf(0x5A01)).build();
        Path certs = ext.dir().resolve("certs");
        rsa.writeBundle(certs.resolve("rsa.test.pem"));
        Instant now = Instant.now();
        writeStaple(certs.resolve("rsa.test.pem.ocsp"), rsa, now);
        writeStaple(certs.resolve("ecdsa.test.pem.ocsp"), ext.leaf("ecdsa.test"), now);
    }

    private static void writeStaple(Path file, IssuedCertificate leaf, Instant now) {
        try {
            Files.write(file, TestPki.goodOcspResponse(leaf, now.minusSeconds(60), now.minusSeconds(60),
                    now.plus(Duration.ofDays(4))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @BeforeEach
    void startHaproxy() throws Exception {
        Path dir = Files.createDirectories(stapled.dir().resolve("haproxy"));
        haproxy = HaproxyProcess.start(dir, """
                global
                  stats socket ${socket} level admin
                defaults
                  mode http
                  timeout client 5s
                  timeout server 5s
                  timeout connect 5s
                frontend https
                  bind 127.0.0.1:%d ssl crt %s
                  default_backend web
                backend web
                  server web1 127.0.0.1:%d
                """.formatted(OpenSslOcspResponder.freePort(), stapled.dir().resolve("certs"),
                stapled.backend().address().getPort()));
    }

    @AfterEach
    void stopHaproxy() {
        if (haproxy != null) {
            haproxy.close();
        }
    }

    private String both(String command, java.util.function.UnaryOperator<String> comparable) throws IOException {
        String expected = comparable.apply(CliClient.send(haproxy.socket(), command + "\n"));
        String actual = comparable.apply(CliClient.send(stapled.dir().resolve("admin.sock"), command + "\n"));
        assertEquals(expected, actual, "'" + command + "' from HAProxy 2.6 (expected) and stapled (actual)");
        return actual;
    }

    @Test
    void showSslCertListsAndDescribesEveryFileAsHaproxyDoes() throws Exception {
        String list = both("show ssl cert", s -> s);
        List<String> files = list.lines().filter(l -> l.startsWith("/")).toList();
        assertEquals(2, files.size(), list);
        for (String file : files) {
            String details = both("show ssl cert " + file, s -> s);
            assertTrue(details.contains("OCSP Response Key: "), details);
        }
    }

    /**
     * The IDs and each response's decoded data are HAProxy's. <b>Differs</b>: stapled names the certificate
     * under each ID ({@code Certificate path :}, as HAProxy 2.8+ does), and prints the responder certificate
     * that follows a response with the shorter layout of its own certificate dump.
     */
    @Test
    void showSslOcspResponseListsTheSameIdsAndDecodesTheSameResponses() throws Exception {
        String ids = both("show ssl ocsp-response", s -> s.lines()
                .filter(l -> !l.startsWith("Certificate path : ")).collect(Collectors.joining("\n")));
        Matcher m = CERTIFICATE_ID.matcher(ids);
        int seen = 0;
        while (m.find()) {
            seen++;
            String response = both("show ssl ocsp-response " + m.group(1), HaproxySideBySideTest::beforeCertificate);
            assertTrue(response.contains("Cert Status: good"), response);
        }
        assertEquals(2, seen, ids);
    }

    private static String beforeCertificate(String text) {
        int cut = text.indexOf("\nCertificate:\n");
        return cut < 0 ? text : text.substring(0, cut);
    }
}
