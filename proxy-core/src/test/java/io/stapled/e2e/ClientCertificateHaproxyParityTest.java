package io.stapled.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.stapled.testing.Crls;
import io.stapled.testing.ExternalTool;
import io.stapled.testing.HaproxyProcess;
import io.stapled.testing.OpenSslOcspResponder;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;

/**
 * {@code verify required ca-file crl-file} in stapled and in HAProxy 2.6 on the same files, with a client
 * CA below a root: the same curl clients get the same answer from both. HAProxy checks the CRL of
 * every CA of the chain, not only the leaf's issuer; so does stapled.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ClientCertificateHaproxyParityTest {
    private static final IssuedCertificate ROOT = CertificateBuilder.subject("CN=parity root").ca().build();
    private static final IssuedCertificate INTERMEDIATE = CertificateBuilder.subject("CN=parity intermediate")
            .issuer(ROOT).ca().build();
    private static final IssuedCertificate ALICE = client("CN=alice");
    private static final IssuedCertificate MALLORY = client("CN=mallory");
    private static final IssuedCertificate OUTSIDER = CertificateBuilder.subject("CN=outsider")
            .issuer(CertificateBuilder.subject("CN=elsewhere").ca().build()).clientAuth().build();

    private static IssuedCertificate client(String subject) {
        return CertificateBuilder.subject(subject).issuer(INTERMEDIATE).clientAuth().build();
    }

    @RegisterExtension
    static final StapledServerExtension stapled = StapledServerExtension.fromYaml("""
            frontends:
              - name: intonly
                bind: 127.0.0.1:0
                backend: app
                certificates: [ { crt: ${cert:site.test} } ]
                tls: { client_auth: { mode: required, ca_file: cas.pem, crl_file: int.crl } }
              - name: both
                bind: 127.0.0.1:0
                backend: app
                certificates: [ { crt: ${cert:site.test} } ]
                tls: { client_auth: { mode: required, ca_file: cas.pem, crl_file: both.crl } }
              - name: nocrl
                bind: 127.0.0.1:0
                backend: app
                certificates: [ { crt: ${cert:site.test} } ]
                tls: { client_auth: { mode: required, ca_file: cas.pem } }
            backends:
              - name: app
                servers: [ { name: app1, address: 127.0.0.1:${backend} } ]
            """)
            .beforeServer(x -> {
                TestPki.write(x.dir().resolve("cas.pem"), ROOT.certificatePem() + INTERMEDIATE.certificatePem());
                Path intCrl = Crls.write(x.dir().resolve("int.crl"), INTERMEDIATE, List.of(serial(MALLORY)));
                Path rootCrl = Crls.write(x.dir().resolve("root.crl"), ROOT, List.of());
                try {
                    Files.writeString(x.dir().resolve("both.crl"), Files.readString(intCrl) + Files.readString(rootCrl));
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
                for (IssuedCertificate c : List.of(ALICE, MALLORY, OUTSIDER)) {
                    TestPki.write(x.dir().resolve(name(c) + ".crt"), c.certificatePem());
                    TestPki.write(x.dir().resolve(name(c) + ".key"), c.privateKeyPem());
                }
                TestPki.write(x.dir().resolve("root.pem"), IssuedCertificate.pem(x.root()));
            });

    private static BigInteger serial(IssuedCertificate c) {
        return c.certificate().getSerialNumber();
    }

    private static String name(IssuedCertificate c) {
        return c.certificate().getSubjectX500Principal().getName().substring(3);
    }

    /** curl's exit code and HTTP status, as "rc/status" (curl sends the leaf only, no chain). */
    private static String curl(int port, IssuedCertificate client) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                "--max-time", "10", "--cacert", stapled.dir().resolve("root.pem").toString(),
                "--resolve", "site.test:" + port + ":127.0.0.1",
                "--cert", stapled.dir().resolve(name(client) + ".crt").toString(),
                "--key", stapled.dir().resolve(name(client) + ".key").toString(),
                "https://site.test:" + port + "/"));
        ExternalTool.Result r = ExternalTool.run(20, cmd);
        return (r.exitCode() == 0 ? "ok" : "refused") + "/" + r.output();
    }

    @Test
    void stapledAndHaproxyAnswerTheSameClientsTheSame() throws Exception {
        ExternalTool.assumeInstalled("curl");
        Path dir = stapled.dir();
        int intOnly = OpenSslOcspResponder.freePort();
        int both = OpenSslOcspResponder.freePort();
        int noCrl = OpenSslOcspResponder.freePort();
        Path site = stapled.certificateFile("site.test");
        String bind = "ssl crt " + site + " verify required ca-file " + dir.resolve("cas.pem");
        try (HaproxyProcess haproxy = HaproxyProcess.start(Files.createDirectories(dir.resolve("haproxy")), """
                global
                  stats socket ${socket} level admin
                defaults
                  mode http
                  timeout client 5s
                  timeout connect 5s
                  timeout server 5s
                frontend intonly
                  bind 127.0.0.1:%d %s crl-file %s
                  http-request return status 200
                frontend both
                  bind 127.0.0.1:%d %s crl-file %s
                  http-request return status 200
                frontend nocrl
                  bind 127.0.0.1:%d %s
                  http-request return status 200
                """.formatted(intOnly, bind, dir.resolve("int.crl"), both, bind, dir.resolve("both.crl"), noCrl,
                bind))) {
            Map<String, int[]> ports = Map.of("intonly", new int[] {intOnly, stapled.port("intonly")},
                    "both", new int[] {both, stapled.port("both")}, "nocrl", new int[] {noCrl, stapled.port("nocrl")});
            Map<String, String> expected = new LinkedHashMap<>();
            // the intermediate has no CRL in int.crl: HAProxy refuses everyone there, and so does stapled
            expected.put("intonly alice", "refused/000");
            expected.put("both alice", "ok/200");
            expected.put("both mallory", "refused/000");
            expected.put("both outsider", "refused/000");
            expected.put("nocrl mallory", "ok/200");
            Map<IssuedCertificate, String> names = Map.of(ALICE, "alice", MALLORY, "mallory", OUTSIDER, "outsider");
            for (String frontend : List.of("intonly", "both", "nocrl")) {
                for (IssuedCertificate c : List.of(ALICE, MALLORY, OUTSIDER)) {
                    String key = frontend + " " + names.get(c);
                    String fromHaproxy = curl(ports.get(frontend)[0], c);
                    String fromStapled = curl(ports.get(frontend)[1], c);
                    assertEquals(fromHaproxy, fromStapled, key + ": stapled answers as HAProxy does");
                    if (expected.containsKey(key)) {
                        assertEquals(expected.get(key), fromStapled, key);
                    }
                }
            }
        }
    }
}
