package io.stapled.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.config.AdminHttpConfig;
import io.stapled.config.CertificateSource;
import io.stapled.config.HostPort;
import io.stapled.config.StapleConfig;
import io.stapled.ocsp.ManagedCertificate;
import io.stapled.ocsp.RefreshOutcome;
import io.stapled.server.StapleService;
import io.stapled.config.CommandWords;
import io.stapled.testing.ExternalTool;
import io.stapled.testing.HaproxyProcess;
import io.stapled.testing.OpenSslOcspResponder;
import io.stapled.testkit.Poll;
import io.stapled.testkit.TestPki;
import io.stapled.testkit.pki.CertificateBuilder;
import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.pki.KeyPairs;

/**
 * {@code stapled staple} keeping Debian's real HAProxy 2.6 stapled: HAProxy serves a certificate directory
 * (or crt-list), a real {@code openssl ocsp} responder answers, and stapled — only its OCSP engine —
 * fetches, writes each {@code .ocsp} and pushes the staple over HAProxy's stats socket. What the tests
 * look at is what a client sees ({@code openssl s_client -status} on HAProxy's port), HAProxy's PID (no
 * reload), the files, the hook's output and {@code /readyz}.
 */
class StapleHaproxyEndToEndTest {
    private static final DateTimeFormatter OPENSSL_TIME = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss yyyy zzz",
            Locale.US);
    private static final Pattern OCSP_SERIAL = Pattern.compile("Serial Number: ([0-9A-F]+)");
    private static final Pattern THIS_UPDATE = Pattern.compile("This Update: (.+)");
    private static final List<String> RSA_ONLY = List.of("-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256");

    @TempDir
    Path dir;

    private final IssuedCertificate root = CertificateBuilder.subject("CN=staple root").ca().build();
    private final IssuedCertificate ca = CertificateBuilder.subject("CN=staple intermediate").issuer(root).ca().build();
    private final HttpClient http = HttpClient.newHttpClient();

    private IssuedCertificate leaf(String cn, String name, int responderPort, boolean rsa) {
        CertificateBuilder b = CertificateBuilder.subject("CN=" + cn).issuer(ca).dnsNames(name)
                .ocspUrl(OpenSslOcspResponder.url(responderPort));
        return (rsa ? b.keyPair(KeyPairs.rsa(2048)) : b).build();
    }

    private HaproxyProcess haproxy(int port, String crt) throws Exception {
        return haproxy(port, crt, "admin");
    }

    private HaproxyProcess haproxy(int port, String crt, String level) throws Exception {
        return HaproxyProcess.start(Files.createDirectories(dir.resolve("haproxy")), """
                global
                  stats socket ${socket} level %s
                defaults
                  mode http
                  timeout client 5s
                  timeout connect 5s
                  timeout server 5s
                frontend https
                  bind 127.0.0.1:%d ssl %s
                  http-request return status 200
                """.formatted(level, port, crt));
    }

    private static StapleConfig config(CertificateSource source, Path socket) {
        return StapleConfig.of(List.of(source)).withHaproxySocket(socket)
                .withAdminHttp(new AdminHttpConfig(new HostPort("127.0.0.1", 0), true, Duration.ZERO));
    }

    private static CertificateSource.Directory directory(Path d) {
        return new CertificateSource.Directory(d, CertificateSource.OcspOptions.DEFAULT);
    }

    @Test
    void aStaleStapleInHaproxyIsReplacedByAFreshOneWithoutAReload() throws Exception {
        int responderPort = OpenSslOcspResponder.freePort();
        IssuedCertificate leaf = leaf("site.test", "site.test", responderPort, false);
        Path cert = leaf.writeBundle(dir.resolve("certs/site.pem"));
        Path ocspFile = dir.resolve("certs/site.pem.ocsp");
        Instant now = Instant.now();
        Instant staleThisUpdate = now.minus(Duration.ofDays(2)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        byte[] stale = TestPki.goodOcspResponse(leaf, staleThisUpdate, staleThisUpdate, now.plus(Duration.ofHours(1)));
        Files.write(ocspFile, stale);
        int port = OpenSslOcspResponder.freePort();
        Path hookLog = dir.resolve("hook.log");

        try (HaproxyProcess haproxy = haproxy(port, "crt " + dir.resolve("certs"));
             OpenSslOcspResponder responder = OpenSslOcspResponder.start(dir.resolve("responder"), responderPort, ca,
                     List.of(leaf.certificate()))) {
            long pid = haproxy.pid();
            assertEquals(staleThisUpdate, thisUpdate(sClient(port, "site.test")), "HAProxy starts with the stale file");

            StapleConfig cfg = config(directory(dir.resolve("certs")), haproxy.socket())
                    .withOnChange(CommandWords.split("sh -c 'echo \"$STAPLED_CERT $STAPLED_OCSP_FILE\" >> " + hookLog + "'"));
            try (StapleService staple = StapleService.start(cfg)) {
                Poll.until(Duration.ofSeconds(30), "HAProxy staples a fresh response",
                        () -> fresh(sClientUnchecked(port, "site.test"), now));
                String out = sClient(port, "site.test");
                assertTrue(out.contains("Cert Status: good"), out);
                assertEquals(pid, haproxy.pid());
                assertTrue(haproxy.isAlive(), "no reload, no restart: the same process serves");
                assertFalse(haproxy.log().contains("Reexecuting") || haproxy.log().contains("reload"), haproxy.log());

                ManagedCertificate managed = staple.ocsp().certificate(cert.toString());
                byte[] fetched = managed.staple().der();
                assertArrayEquals(fetched, Files.readAllBytes(ocspFile), "the fresh staple is in site.pem.ocsp");
                // HAProxy serves a push before it answers: the counter may follow a moment later. The file's
                // staple may have been pushed first (it is installed too), so one or two pushes.
                Poll.until(Duration.ofSeconds(10), "the push counted", () -> staple.haproxy().pushed() >= 1
                        && staple.haproxy().waiting() == 0 && !staple.haproxy().busy());
                long pushed = staple.haproxy().pushed();
                assertEquals(0, staple.haproxy().refused());
                Poll.until(Duration.ofSeconds(10), "the on-change command ran with the certificate's path",
                        () -> readOrEmpty(hookLog).equals(cert + " " + ocspFile + "\n"));
                assertEquals(1, staple.onChange().succeeded());

                HttpResponse<String> ready = get(staple, "/readyz");
                assertEquals(200, ready.statusCode(), ready.body());
                String metrics = get(staple, "/metrics").body();
                assertTrue(metrics.contains("stapled_haproxy_pushes_total{result=\"ok\"} " + pushed + ".0"), metrics);
                assertTrue(metrics.contains("stapled_on_change_runs_total{result=\"ok\"} 1.0"), metrics);
                assertTrue(metrics.contains("stapled_haproxy_socket_up 1.0"), metrics);

                // The responder goes down: the refresh fails, nothing is clobbered, HAProxy keeps the good staple.
                Instant servedThisUpdate = thisUpdate(out);
                responder.close();
                RefreshOutcome failed = staple.ocsp().refreshNow(cert.toString()).get();
                assertEquals(RefreshOutcome.Result.FAILED, failed.result(), failed.detail());
                assertArrayEquals(fetched, Files.readAllBytes(ocspFile), "a failed fetch leaves the file alone");
                String after = sClient(port, "site.test");
                assertTrue(after.contains("Cert Status: good"), after);
                assertEquals(servedThisUpdate, thisUpdate(after));
                assertEquals(pushed, staple.haproxy().pushed(), "nothing new to push");
                assertEquals(1, staple.onChange().succeeded(), "nor to run the hook for");
                assertEquals(200, get(staple, "/readyz").statusCode(), "the held staple is still valid");
                assertEquals(pid, haproxy.pid());
            }
        }
    }

    @Test
    void everyCertificateOfACrtListWithABundleAndAnIssuerSiblingIsStapledInHaproxy() throws Exception {
        int responderPort = OpenSslOcspResponder.freePort();
        IssuedCertificate ecdsa = leaf("ecdsa.site.test", "site.test", responderPort, false);
        IssuedCertificate rsa = leaf("rsa.site.test", "site.test", responderPort, true);
        IssuedCertificate other = leaf("other.test", "other.test", responderPort, false);
        Path ssl = dir.resolve("ssl");
        ecdsa.writeWithSiblingKey(ssl.resolve("site.pem.ecdsa"));
        rsa.writeBundle(ssl.resolve("site.pem.rsa"));
        // a leaf-only file with its key and issuer beside it
        TestPki.write(ssl.resolve("other.pem"), other.certificatePem());
        TestPki.write(ssl.resolve("other.pem.key"), other.privateKeyPem());
        other.writeIssuerSibling(ssl.resolve("other.pem"));
        // HAProxy 2.6 takes pushed staples only for certificates it loaded with a .ocsp file, even an empty one
        for (String name : List.of("site.pem.ecdsa", "site.pem.rsa", "other.pem")) {
            Files.write(ssl.resolve(name + ".ocsp"), new byte[0]);
        }
        // absolute: HAProxy reads relative entries from its working directory, stapled from the list's
        Path list = TestPki.write(dir.resolve("list.txt"), ssl.resolve("site.pem") + "\n" + ssl.resolve("other.pem")
                + " other.test\n");
        int port = OpenSslOcspResponder.freePort();

        try (HaproxyProcess haproxy = haproxy(port, "crt-list " + list);
             OpenSslOcspResponder responder = OpenSslOcspResponder.start(dir.resolve("responder"), responderPort, ca,
                     List.of(ecdsa.certificate(), rsa.certificate(), other.certificate()))) {
            long pid = haproxy.pid();
            assertFalse(sClient(port, "site.test").contains("Cert Status"), "no staple before stapled runs");
            CertificateSource.CrtList source = new CertificateSource.CrtList(list, CertificateSource.OcspOptions.DEFAULT);
            try (StapleService staple = StapleService.start(config(source, haproxy.socket()))) {
                assertEquals(3, staple.ocsp().certificates().size());
                Poll.until(Duration.ofSeconds(30), "all three fetched and pushed", () -> staple.haproxy().pushed() == 3
                        && staple.ocsp().certificates().stream().allMatch(c -> c.staple() != null));
                assertServedWithOwnStaple(sClient(port, "site.test"), "CN = ecdsa.site.test", ecdsa);
                assertServedWithOwnStaple(sClient(port, "site.test", RSA_ONLY), "CN = rsa.site.test", rsa);
                assertServedWithOwnStaple(sClient(port, "other.test"), "CN = other.test", other);
                for (String name : List.of("site.pem.ecdsa", "site.pem.rsa", "other.pem")) {
                    ManagedCertificate c = staple.ocsp().certificate(ssl.resolve(name).toString());
                    assertNotNull(c, name + " managed under its file");
                    assertArrayEquals(c.staple().der(), Files.readAllBytes(ssl.resolve(name + ".ocsp")), name);
                }
                assertEquals(pid, haproxy.pid());
            }
        }
    }

    @Test
    void withHaproxyNotThereYetTheFilesAreWrittenAndThePushFollowsOnceItAnswers() throws Exception {
        int responderPort = OpenSslOcspResponder.freePort();
        IssuedCertificate leaf = leaf("late.test", "late.test", responderPort, false);
        Path cert = leaf.writeBundle(dir.resolve("certs/late.pem"));
        Path ocspFile = Files.write(dir.resolve("certs/late.pem.ocsp"), new byte[0]);
        Path later = dir.resolve("later.sock"); // where stapled is told HAProxy's socket is; absent for now
        int port = OpenSslOcspResponder.freePort();

        try (HaproxyProcess haproxy = haproxy(port, "crt " + dir.resolve("certs"));
             OpenSslOcspResponder responder = OpenSslOcspResponder.start(dir.resolve("responder"), responderPort, ca,
                     List.of(leaf.certificate()))) {
            try (StapleService staple = StapleService.start(config(directory(dir.resolve("certs")), later))) {
                assertEquals(Boolean.FALSE, staple.haproxy().reachable());
                Poll.until(Duration.ofSeconds(20), "the staple is written", () -> readOrEmpty(ocspFile).length() > 0);
                assertArrayEquals(staple.ocsp().certificate(cert.toString()).staple().der(), Files.readAllBytes(ocspFile));
                Poll.until(Duration.ofSeconds(10), "the push is waiting", () -> staple.haproxy().waiting() == 1);
                HttpResponse<String> ready = get(staple, "/readyz");
                assertEquals(200, ready.statusCode(), "files are written: ready; HAProxy's absence is a detail");
                assertTrue(ready.body().contains("HAProxy stats socket " + later + " does not answer (1 staple(s) "
                        + "waiting)"), ready.body());
                assertTrue(get(staple, "/metrics").body().contains("stapled_haproxy_socket_up 0.0"));
                assertFalse(sClient(port, "late.test").contains("Cert Status"), "HAProxy has no staple yet");

                Files.createSymbolicLink(later, haproxy.socket()); // HAProxy's socket appears there
                Poll.until(Duration.ofSeconds(40), "the waiting staple reaches HAProxy",
                        () -> sClientUnchecked(port, "late.test").contains("Cert Status: good"));
                Poll.until(Duration.ofSeconds(5), "the push counted", () -> staple.haproxy().pushed() == 1);
                assertEquals(0, staple.haproxy().waiting());
                assertFalse(get(staple, "/readyz").body().contains("does not answer"));
            }
        }
    }

    @Test
    void aCertificateHaproxyLoadedWithoutAnOcspFileIsRefusedByIt26AndTheFileIsStillWritten() throws Exception {
        int responderPort = OpenSslOcspResponder.freePort();
        IssuedCertificate leaf = leaf("bare.test", "bare.test", responderPort, false);
        leaf.writeBundle(dir.resolve("certs/bare.pem"));
        Path ocspFile = dir.resolve("certs/bare.pem.ocsp");
        int port = OpenSslOcspResponder.freePort();

        try (HaproxyProcess haproxy = haproxy(port, "crt " + dir.resolve("certs"));
             OpenSslOcspResponder responder = OpenSslOcspResponder.start(dir.resolve("responder"), responderPort, ca,
                     List.of(leaf.certificate()))) {
            try (StapleService staple = StapleService.start(config(directory(dir.resolve("certs")), haproxy.socket()))) {
                Poll.until(Duration.ofSeconds(20), "HAProxy answers the push", () -> staple.haproxy().refused() == 1);
                assertTrue(staple.haproxy().lastProblem().contains("Certificate ID does not match any certificate"),
                        staple.haproxy().lastProblem());
                assertTrue(Files.size(ocspFile) > 0, "the file HAProxy reads at its next reload is written");
                assertEquals(0, staple.haproxy().waiting(), "a refused staple is not retried");
                String metrics = get(staple, "/metrics").body();
                assertTrue(metrics.contains("stapled_haproxy_pushes_total{result=\"refused\"} 1.0"), metrics);
                assertTrue(metrics.contains("stapled_haproxy_certificates_refused 1.0"), metrics);
                HttpResponse<String> ready = get(staple, "/readyz");
                assertEquals(200, ready.statusCode(), ready.body());
                assertTrue(ready.body().contains("HAProxy refused the staple of " + dir.resolve("certs/bare.pem")
                        + ": OCSP single response: Certificate ID does not match any certificate or issuer."),
                        ready.body());
            }
        }
    }

    /** HAProxy 2.6 takes {@code set ssl ocsp-response} at any level: stapled can have a socket of the least level. */
    @Test
    void aStatsSocketAtLevelUserIsEnoughForHaproxy26() throws Exception {
        int responderPort = OpenSslOcspResponder.freePort();
        IssuedCertificate leaf = leaf("user.test", "user.test", responderPort, false);
        leaf.writeBundle(dir.resolve("certs/user.pem"));
        Files.write(dir.resolve("certs/user.pem.ocsp"), new byte[0]);
        int port = OpenSslOcspResponder.freePort();
        try (HaproxyProcess haproxy = haproxy(port, "crt " + dir.resolve("certs"), "user");
             OpenSslOcspResponder responder = OpenSslOcspResponder.start(dir.resolve("responder"), responderPort, ca,
                     List.of(leaf.certificate()));
             StapleService staple = StapleService.start(config(directory(dir.resolve("certs")), haproxy.socket()))) {
            Poll.until(Duration.ofSeconds(20), "the push is answered", () -> staple.haproxy().pushed() == 1);
            assertEquals(0, staple.haproxy().refused());
            assertTrue(sClient(port, "user.test").contains("Cert Status: good"));
        }
    }

    @Test
    void certificatesAddedRenewedAndRemovedOnDiskArePickedUpWhileRunning() throws Exception {
        int responderPort = OpenSslOcspResponder.freePort();
        IssuedCertificate first = leaf("renew.test", "renew.test", responderPort, false);
        // another CN: openssl ocsp refuses an index with two entries of one subject
        IssuedCertificate renewed = leaf("renewed.renew.test", "renew.test", responderPort, false);
        IssuedCertificate added = leaf("added.test", "added.test", responderPort, false);
        Path certs = dir.resolve("certs");
        Path renewFile = first.writeBundle(certs.resolve("renew.pem"));
        Path addedFile = certs.resolve("added.pem");
        StapleConfig cfg = config(directory(certs), null).withRescan(Duration.ofMillis(200));
        try (OpenSslOcspResponder responder = OpenSslOcspResponder.start(dir.resolve("responder"), responderPort, ca,
                List.of(first.certificate(), renewed.certificate(), added.certificate()));
             StapleService staple = StapleService.start(cfg)) {
            Poll.until(Duration.ofSeconds(20), "the first staple", () -> stapledSerial(staple, renewFile) != null);
            assertEquals(first.certificate().getSerialNumber(), stapledSerial(staple, renewFile));

            added.writeBundle(addedFile);
            Poll.until(Duration.ofSeconds(20), "the added certificate is stapled and its file written",
                    () -> stapledSerial(staple, addedFile) != null && readOrEmpty(dir.resolve("certs/added.pem.ocsp"))
                            .length() > 0);

            // a renewal as certbot's deploy step does it: the new file renamed over the old one
            Path tmp = renewed.writeBundle(dir.resolve("renew.pem.new"));
            Files.move(tmp, renewFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            Poll.until(Duration.ofSeconds(20), "the renewed leaf is stapled",
                    () -> renewed.certificate().getSerialNumber().equals(stapledSerial(staple, renewFile)));
            Poll.until(Duration.ofSeconds(10), "and its staple written", () -> java.util.Arrays.equals(
                    staple.ocsp().certificate(renewFile.toString()).staple().der(),
                    readBytes(dir.resolve("certs/renew.pem.ocsp"))));

            Files.delete(addedFile);
            Poll.until(Duration.ofSeconds(10), "the removed certificate is no longer managed",
                    () -> staple.ocsp().certificate(addedFile.toString()) == null);
            assertEquals(1, staple.ocsp().certificates().size());
            assertEquals(200, get(staple, "/readyz").statusCode(), "a removed certificate does not hold readiness");
        }
    }

    /** The serial of the leaf whose staple the engine holds for {@code file}, or null. */
    private static java.math.BigInteger stapledSerial(StapleService staple, Path file) {
        ManagedCertificate c = staple.ocsp().certificate(file.toString());
        return c == null || c.staple() == null ? null : c.subject().leaf().getSerialNumber();
    }

    private static byte[] readBytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            return new byte[0];
        }
    }

    @Test
    void readyzFailsUntilEveryCertificateHasAStaple() throws Exception {
        int responderPort = OpenSslOcspResponder.freePort();
        IssuedCertificate leaf = leaf("ready.test", "ready.test", responderPort, false);
        Path cert = leaf.writeBundle(dir.resolve("certs/ready.pem"));
        StapleConfig cfg = config(directory(dir.resolve("certs")), null)
                .withOcsp(io.stapled.config.OcspConfig.defaults().withStartupWait(Duration.ofSeconds(2)))
                .withOnChange(List.of("false")); // a hook that fails: counted, and nothing else changes
        try (StapleService staple = StapleService.start(cfg)) {
            assertEquals(null, staple.haproxy());
            HttpResponse<String> notReady = get(staple, "/readyz");
            assertEquals(503, notReady.statusCode(), notReady.body());
            assertTrue(notReady.body().contains("OCSP staple of " + cert + " is missing"), notReady.body());
            try (OpenSslOcspResponder responder = OpenSslOcspResponder.start(dir.resolve("responder"), responderPort,
                    ca, List.of(leaf.certificate()))) {
                RefreshOutcome out = staple.ocsp().refreshNow(cert.toString()).get();
                assertEquals(RefreshOutcome.Result.UPDATED, out.result(), out.detail());
                HttpResponse<String> ready = get(staple, "/readyz");
                assertEquals(200, ready.statusCode(), ready.body());
                Poll.until(Duration.ofSeconds(10), "the failing hook counted", () -> staple.onChange().failed() == 1);
                assertEquals(0, staple.onChange().succeeded());
                assertTrue(get(staple, "/metrics").body().contains("stapled_on_change_runs_total{result=\"failed\"} 1.0"));
            }
        }
    }

    @Test
    void asAProcessTheCommandStaplesHaproxyAndStopsCleanlyOnSigterm() throws Exception {
        int responderPort = OpenSslOcspResponder.freePort();
        IssuedCertificate leaf = leaf("proc.test", "proc.test", responderPort, false);
        leaf.writeBundle(dir.resolve("certs/proc.pem"));
        Path ocspFile = Files.write(dir.resolve("certs/proc.pem.ocsp"), new byte[0]);
        int port = OpenSslOcspResponder.freePort();
        Path log = dir.resolve("staple.log");
        Process process = null;
        try (HaproxyProcess haproxy = haproxy(port, "crt " + dir.resolve("certs"));
             OpenSslOcspResponder responder = OpenSslOcspResponder.start(dir.resolve("responder"), responderPort, ca,
                     List.of(leaf.certificate()))) {
            long pid = haproxy.pid();
            String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            process = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), "io.stapled.cli.Main",
                    "staple", "--dir", dir.resolve("certs").toString(), "--haproxy-socket", haproxy.socket().toString(),
                    "--on-change", "true").redirectErrorStream(true).redirectOutput(log.toFile()).start();
            Process running = process;
            // a second JVM starting on a loaded machine: the deadline only bounds a hang
            Poll.until(Duration.ofSeconds(75), "HAProxy staples what the process fetched",
                    () -> !running.isAlive() || sClientUnchecked(port, "proc.test").contains("Cert Status: good"));
            assertTrue(process.isAlive(), readOrEmpty(log));
            assertTrue(Files.size(ocspFile) > 0);
            assertEquals(pid, haproxy.pid());

            process.destroy(); // SIGTERM
            assertTrue(process.waitFor(40, java.util.concurrent.TimeUnit.SECONDS), "no exit after SIGTERM");
            String output = readOrEmpty(log);
            assertEquals(0, process.exitValue(), output);
            assertTrue(output.contains("staple of " + dir.resolve("certs/proc.pem") + " pushed (OCSP Response updated!)"),
                    output);
            assertTrue(output.contains("on-change command true ran for " + dir.resolve("certs/proc.pem")), output);
            assertTrue(output.strip().endsWith("staple: stopped"), output);
        } finally {
            if (process != null && process.isAlive()) {
                process.destroyForcibly().waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
    }

    private static void assertServedWithOwnStaple(String out, String subject, IssuedCertificate leaf) {
        assertTrue(out.contains("subject=" + subject) || out.contains("s:" + subject), out);
        assertTrue(out.contains("Cert Status: good"), out);
        Matcher m = OCSP_SERIAL.matcher(out);
        assertTrue(m.find(), out);
        assertEquals(leaf.certificate().getSerialNumber(), new java.math.BigInteger(m.group(1), 16), "its own staple");
    }

    private HttpResponse<String> get(StapleService staple, String path) throws IOException, InterruptedException {
        URI uri = URI.create("http://127.0.0.1:" + staple.admin().localAddress().getPort() + path);
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static boolean fresh(String sClientOutput, Instant testStart) {
        if (!sClientOutput.contains("Cert Status: good")) {
            return false;
        }
        Instant t = thisUpdate(sClientOutput);
        return !t.isBefore(testStart.minusSeconds(5)) && t.isBefore(Instant.now().plusSeconds(5));
    }

    private static Instant thisUpdate(String sClientOutput) {
        Matcher m = THIS_UPDATE.matcher(sClientOutput);
        assertTrue(m.find(), sClientOutput);
        return ZonedDateTime.parse(m.group(1).strip(), OPENSSL_TIME).toInstant();
    }

    private static String sClient(int port, String name) throws IOException, InterruptedException {
        return sClient(port, name, List.of());
    }

    private static String sClient(int port, String name, List<String> extra) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                "-servername", name, "-status"));
        command.addAll(extra);
        ExternalTool.Result r = ExternalTool.run(20, command);
        assertTrue(r.output().contains("CONNECTED"), r.output());
        return r.output();
    }

    private static String sClientUnchecked(int port, String name) {
        try {
            return sClient(port, name);
        } catch (IOException | InterruptedException | AssertionError e) {
            return "";
        }
    }

    private static String readOrEmpty(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, java.nio.charset.StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
