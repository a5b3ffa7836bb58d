package io.stapled.ocsp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.responder.OcspResponderServer;
import io.stapled.testkit.responder.OcspResponderServer.Behaviour;
import io.stapled.testkit.Poll;
import io.stapled.testkit.TestPki;

/** {@code <cert>.ocsp} persistence, restart from files, and files changed by someone else. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class PersistenceTest {
    private final TestPki pki = new TestPki("Persist");
    private OcspResponderServer responder;
    @TempDir
    Path dir;

    @BeforeEach
    void setUp() {
        responder = OcspResponderServer.builder(pki.ca).start();
    }

    @AfterEach
    void tearDown() {
        responder.close();
    }

    private static OcspManager manager(boolean watch) {
        return manager(watch, new OcspListener() { });
    }

    private static OcspManager manager(boolean watch, OcspListener listener) {
        return OcspManager.builder().settings(OcspSettings.builder().persist(true).watchFiles(watch)
                .pollInterval(Duration.ofMillis(30)).requestsPerSecond(1000).build()).listener(listener).build();
    }

    private OcspSubject subjectWithFile(IssuedCertificate leaf, Path certFile) {
        leaf.writeBundle(certFile);
        return new OcspSubject(certFile.toString(), leaf.certificate(), pki.ca.certificate(), certFile, null, true);
    }

    private List<String> filesIn(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void fetchedResponseIsWrittenAtomicallyAndARestartStaplesFromTheFileWithoutFetching() throws Exception {
        IssuedCertificate leaf = pki.leaf(responder.url());
        Path certFile = dir.resolve("site.pem");
        byte[] written;
        try (OcspManager m = manager(false)) {
            ManagedCertificate c = m.manage(subjectWithFile(leaf, certFile));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));
            assertNotNull(c.staple());
            Path ocsp = dir.resolve("site.pem.ocsp");
            assertEquals(ocsp, c.ocspFile());
            written = Files.readAllBytes(ocsp);
            assertArrayEquals(c.staple().der(), written);
            // temp + rename: no temporary file is left beside it
            assertEquals(List.of("site.pem", "site.pem.ocsp"), filesIn(dir));
        }
        assertEquals(1, responder.requestCount());

        responder.defaultBehaviour(Behaviour.HTTP_500); // a restart must not need the responder
        try (OcspManager m = manager(false)) {
            ManagedCertificate c = m.manage(subjectWithFile(leaf, certFile));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));
            assertNotNull(c.staple());
            assertEquals(Staple.Origin.FILE, c.staple().origin());
            assertArrayEquals(written, c.slot().derIfValid(System.currentTimeMillis()));
            assertNotNull(c.nextRefresh());
        }
        assertEquals(1, responder.requestCount(), "restart fetched although the .ocsp file was fresh");
    }

    @Test
    void staleFileIsLoadedAndThenRefreshedAtStartup() throws Exception {
        IssuedCertificate leaf = pki.leaf(responder.url());
        Path certFile = dir.resolve("stale.pem");
        // a file past its midpoint: valid for 10 more minutes out of 2 hours
        responder.validity(Duration.ofMinutes(-110), Duration.ofMinutes(10));
        Files.write(StapleFiles.ocspFile(certFile), responder.responseFor(TestPki.serial(leaf), Behaviour.GOOD));
        responder.validity(Duration.ofMinutes(-1), Duration.ofHours(1));
        try (OcspManager m = manager(false)) {
            ManagedCertificate c = m.manage(subjectWithFile(leaf, certFile));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));
            assertEquals(1, responder.requestCount());
            assertEquals(Staple.Origin.FETCHED, c.staple().origin());
            assertArrayEquals(c.staple().der(), Files.readAllBytes(c.ocspFile()));
        }
    }

    @Test
    void unwritableOcspFileIsAWarningNotACrash() throws Exception {
        IssuedCertificate leaf = pki.leaf(responder.url());
        Path certFile = dir.resolve("ro.pem");
        // The tests run as root, where chmod cannot make a directory read-only; a non-empty directory in
        // the way of the rename fails the write the same way for everyone.
        Path blocker = Files.createDirectories(StapleFiles.ocspFile(certFile));
        Files.writeString(blocker.resolve("keep"), "x");
        try (OcspManager m = manager(false)) {
            ManagedCertificate c = m.manage(subjectWithFile(leaf, certFile));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));
            assertNotNull(c.staple(), "the staple is served from memory even if it cannot be persisted");
            assertEquals(UpdateResult.OK, c.lastResult());
            RefreshOutcome again = m.refreshNow(c.id()).get(5, TimeUnit.SECONDS);
            assertTrue(again.installed(), again.detail());
        }
        assertTrue(Files.isDirectory(blocker));
        assertEquals(List.of("ro.pem", "ro.pem.ocsp"), filesIn(dir), "temporary file left behind");
    }

    @Test
    void readOnlyDirectoryIsAWarningNotACrash() throws Exception {
        IssuedCertificate leaf = pki.leaf(responder.url());
        Path ro = Files.createDirectories(dir.resolve("ro"));
        Path certFile = ro.resolve("site.pem");
        OcspSubject subject = subjectWithFile(leaf, certFile);
        Files.setPosixFilePermissions(ro, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
        boolean chmodBinds = !Files.isWritable(ro);
        if (!chmodBinds) {
            // Running as root (as CI does), where chmod does not bind. A regular file where the directory
            // should be fails the same step for any user: the temporary file cannot be created beside the
            // certificate. (Reading the .ocsp at load then fails too, "Not a directory": a warning of its
            // own, which is why the assertions below count only the write warnings.)
            Files.setPosixFilePermissions(ro, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.delete(certFile);
            Files.delete(ro);
            Files.writeString(ro, "not a directory");
        }
        ch.qos.logback.classic.Logger engineLog = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
                .getLogger(OcspManager.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs =
                new ch.qos.logback.core.read.ListAppender<>();
        logs.start();
        engineLog.addAppender(logs);
        try (OcspManager m = manager(false)) {
            ManagedCertificate c = m.manage(subject);
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));
            assertNotNull(c.staple(), "the staple is served from memory even if it cannot be persisted");
            assertEquals(Staple.Origin.FETCHED, c.staple().origin());
            assertEquals(UpdateResult.OK, c.lastResult());
            // a second write of a newer staple fails the same way: served again, warned about only once
            responder.validity(Duration.ofSeconds(30), Duration.ofHours(2));
            RefreshOutcome again = m.refreshNow(c.id()).get(5, TimeUnit.SECONDS);
            assertEquals(RefreshOutcome.Result.UPDATED, again.result(), again.detail());
            assertEquals(again.staple(), c.staple());
            assertEquals(UpdateResult.OK, c.lastResult());
            assertEquals(2, responder.requestCount());
            List<String> writeWarnings;
            synchronized (logs) { // the engine's threads append under the appender's lock
                writeWarnings = logs.list.stream().map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                        .filter(l -> l.startsWith("OCSP: cannot write")).collect(Collectors.toList());
            }
            assertEquals(1, writeWarnings.size(), writeWarnings.toString());
            assertTrue(writeWarnings.get(0).contains(c.ocspFile().toString()), writeWarnings.get(0));
            assertTrue(writeWarnings.get(0).contains("staple kept in memory only"), writeWarnings.get(0));
        } finally {
            engineLog.detachAppender(logs);
            if (chmodBinds) {
                Files.setPosixFilePermissions(ro, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
        assertFalse(Files.exists(StapleFiles.ocspFile(certFile)));
        if (chmodBinds) {
            assertEquals(List.of("site.pem"), filesIn(ro), "temporary file left behind");
        } else {
            assertTrue(Files.isRegularFile(ro));
        }
    }

    @Test
    void externallyReplacedFileIsPickedUpAndABadOneIsRefused() throws Exception {
        IssuedCertificate leaf = pki.leaf(responder.url());
        Path certFile = dir.resolve("watched.pem");
        List<String> refusals = new java.util.concurrent.CopyOnWriteArrayList<>();
        OcspListener listener = new OcspListener() {
            @Override
            public void responseRefused(ManagedCertificate c, Staple.Origin origin, String reason) {
                refusals.add(origin + ": " + reason);
            }
        };
        try (OcspManager m = manager(true, listener)) {
            ManagedCertificate c = m.manage(subjectWithFile(leaf, certFile));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));
            Staple fetched = c.staple();
            assertNotNull(fetched);

            // HAProxy's cron script writes a newer response (temp file + rename, as scripts do)
            responder.validity(Duration.ofSeconds(30), Duration.ofHours(2));
            byte[] newer = responder.responseFor(TestPki.serial(leaf), Behaviour.GOOD);
            Path tmp = dir.resolve("cron.tmp");
            Files.write(tmp, newer);
            Files.move(tmp, c.ocspFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            assertTrue(Poll.within(Duration.ofSeconds(5), () -> c.staple() != fetched), "replaced file not picked up");
            assertArrayEquals(newer, c.staple().der());
            assertEquals(Staple.Origin.FILE, c.staple().origin());

            // a forged one written in place is refused and the good staple stays
            Staple good = c.staple();
            Files.write(c.ocspFile(), responder.responseFor(TestPki.serial(leaf), Behaviour.FORGED));
            assertTrue(Poll.within(Duration.ofSeconds(5), () -> !refusals.isEmpty()), "forged file not examined");
            assertTrue(refusals.get(0).startsWith("FILE: signature"), refusals.toString());
            assertEquals(good, c.staple());
            assertFalse(c.mustStapleAlarm());
            // an expired one likewise
            Files.write(c.ocspFile(), responder.responseFor(TestPki.serial(leaf), Behaviour.EXPIRED));
            assertTrue(Poll.within(Duration.ofSeconds(5), () -> refusals.size() >= 2), "expired file not examined");
            assertTrue(refusals.get(1).contains("expired"), refusals.toString());
            assertEquals(good, c.staple());
            // the watcher never fetches
            assertEquals(1, responder.requestCount());
        }
    }

    /** HAProxy 2.6's way to turn stapling on: an empty file, neither a staple nor a refused response. */
    @Test
    void anEmptyOcspFileIsNoStapleAndNoRefusalAndIsOverwrittenByTheFetch() throws Exception {
        IssuedCertificate leaf = pki.leaf(responder.url());
        Path certFile = dir.resolve("site.pem");
        Path ocsp = Files.write(dir.resolve("site.pem.ocsp"), new byte[0]);
        List<String> refusals = new java.util.concurrent.CopyOnWriteArrayList<>();
        OcspListener listener = new OcspListener() {
            @Override
            public void responseRefused(ManagedCertificate c, Staple.Origin origin, String reason) {
                refusals.add(reason);
            }
        };
        try (OcspManager m = manager(true, listener)) {
            ManagedCertificate c = m.manage(subjectWithFile(leaf, certFile));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));
            assertNotNull(c.staple());
            assertArrayEquals(c.staple().der(), Files.readAllBytes(ocsp));
            assertEquals(List.of(), refusals);
        }
    }

    @Test
    void pushedStapleIsWrittenAtomicallyAndARestartServesIt() throws Exception {
        IssuedCertificate leaf = pki.leaf(responder.url());
        Path certFile = dir.resolve("pushed.pem");
        byte[] pushed;
        try (OcspManager m = manager(false)) {
            ManagedCertificate c = m.manage(subjectWithFile(leaf, certFile));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));
            byte[] fetched = Files.readAllBytes(c.ocspFile());
            // newer than the fetched staple, and other bytes (a delegated signer)
            responder.validity(Duration.ofSeconds(5), Duration.ofHours(2));
            pushed = responder.responseFor(TestPki.serial(leaf), Behaviour.DELEGATED);
            AcceptOutcome o = m.accept(pushed, Staple.Origin.RUNTIME_API);
            assertTrue(o.accepted(), o.detail());
            assertFalse(java.util.Arrays.equals(fetched, pushed));
            assertArrayEquals(pushed, Files.readAllBytes(c.ocspFile()), "the pushed staple is persisted");
            assertEquals(List.of("pushed.pem", "pushed.pem.ocsp"), filesIn(dir), "temporary file left behind");
        }
        assertEquals(1, responder.requestCount());

        responder.defaultBehaviour(Behaviour.HTTP_500);
        try (OcspManager m = manager(false)) {
            ManagedCertificate c = m.manage(subjectWithFile(leaf, certFile));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));
            assertArrayEquals(pushed, c.slot().derIfValid(System.currentTimeMillis()),
                    "a restart serves the newest verified staple, the pushed one");
            assertEquals(Staple.Origin.FILE, c.staple().origin());
        }
        assertEquals(1, responder.requestCount(), "restart fetched although the pushed staple was fresh");
    }

    @Test
    void refusedPushWritesNothing() throws Exception {
        IssuedCertificate leaf = pki.leaf(responder.url());
        Path certFile = dir.resolve("refused.pem");
        try (OcspManager m = manager(false)) {
            ManagedCertificate c = m.manage(subjectWithFile(leaf, certFile));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));
            byte[] onDisk = Files.readAllBytes(c.ocspFile());
            StapleFiles.Stamp stamp = StapleFiles.stamp(c.ocspFile());
            responder.validity(Duration.ofSeconds(5), Duration.ofHours(2));
            for (Behaviour bad : List.of(Behaviour.FORGED, Behaviour.OTHER_HASH, Behaviour.REVOKED, Behaviour.EXPIRED)) {
                AcceptOutcome o = m.accept(responder.responseFor(TestPki.serial(leaf), bad), Staple.Origin.RUNTIME_API);
                assertFalse(o.accepted(), bad + ": " + o.detail());
                assertArrayEquals(onDisk, Files.readAllBytes(c.ocspFile()), bad + " was written");
                assertTrue(stamp.sameAs(StapleFiles.stamp(c.ocspFile())), bad + " touched the file");
            }
            assertEquals(List.of("refused.pem", "refused.pem.ocsp"), filesIn(dir), "temporary file left behind");
        }
    }

    @Test
    void ocspFileWithAnotherHashCertIdIsRefusedAtStartAndWhenChanged() throws Exception {
        IssuedCertificate leaf = pki.leaf(responder.url());
        Path certFile = dir.resolve("sha256.pem");
        Files.write(StapleFiles.ocspFile(certFile), responder.responseFor(TestPki.serial(leaf), Behaviour.OTHER_HASH));
        List<String> refusals = new java.util.concurrent.CopyOnWriteArrayList<>();
        OcspListener listener = new OcspListener() {
            @Override
            public void responseRefused(ManagedCertificate c, Staple.Origin origin, String reason) {
                refusals.add(origin + ": " + reason);
            }
        };
        try (OcspManager m = manager(true, listener)) {
            ManagedCertificate c = m.manage(subjectWithFile(leaf, certFile));
            m.start();
            assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)));
            assertEquals(1, refusals.size(), refusals.toString());
            assertTrue(refusals.get(0).startsWith("FILE: response CertID hash algorithm SHA-256, expected SHA-1"),
                    refusals.toString());
            // so it was fetched instead, and the fetched (SHA-1) staple replaced the useless file
            assertEquals(1, responder.requestCount());
            Staple good = c.staple();
            assertEquals(Staple.Origin.FETCHED, good.origin());
            assertArrayEquals(good.der(), Files.readAllBytes(c.ocspFile()));

            // a cron job writing a SHA-256 response later: refused, the good staple stays
            responder.validity(Duration.ofSeconds(5), Duration.ofHours(2));
            Path tmp = dir.resolve("cron.tmp");
            Files.write(tmp, responder.responseFor(TestPki.serial(leaf), Behaviour.OTHER_HASH));
            Files.move(tmp, c.ocspFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            assertTrue(Poll.within(Duration.ofSeconds(5), () -> refusals.size() >= 2), "changed file not examined");
            assertTrue(refusals.get(1).startsWith("FILE: response CertID hash algorithm SHA-256, expected SHA-1"),
                    refusals.toString());
            assertEquals(good, c.staple());
        }
    }
}
