package io.stapled.ocsp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.stapled.testkit.pki.IssuedCertificate;
import io.stapled.testkit.responder.OcspResponderServer;
import io.stapled.testkit.TestPki;

/**
 * Files that are not regular files are refused before they are opened (a FIFO would block the open,
 * {@code /dev/zero} would fill the heap) and regular files are read only up to their cap. A hang
 * fails the test through the timeout.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class RegularFilesTest {
    @TempDir
    Path dir;

    static Path mkfifo(Path path) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("mkfifo", path.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertEquals(0, p.waitFor(), "mkfifo " + path);
        return path;
    }

    @Test
    void aDeviceAndAFifoAreRefusedWithoutBeingOpened() throws Exception {
        RegularFiles.NotRegularException zero = assertThrows(RegularFiles.NotRegularException.class,
                () -> RegularFiles.read(Path.of("/dev/zero"), 1 << 20));
        assertEquals("a character device", zero.kind());
        assertEquals("not a regular file (a character device)", zero.getMessage());
        assertEquals("a character device", RegularFiles.notRegular(Path.of("/dev/zero")));

        Path fifo = mkfifo(dir.resolve("staple.ocsp"));
        RegularFiles.NotRegularException f = assertThrows(RegularFiles.NotRegularException.class,
                () -> RegularFiles.read(fifo, 1 << 20));
        assertEquals("a FIFO", f.kind());
        assertEquals("a directory", RegularFiles.notRegular(dir));

        Path link = Files.createSymbolicLink(dir.resolve("link.ocsp"), Path.of("/dev/zero"));
        assertEquals("a character device", RegularFiles.notRegular(link), "links are followed");
    }

    @Test
    void aRegularFileIsReadUpToItsCap() throws Exception {
        Path small = Files.write(dir.resolve("small"), new byte[] {1, 2, 3});
        assertNull(RegularFiles.notRegular(small));
        assertArrayEquals(new byte[] {1, 2, 3}, RegularFiles.read(small, 3));
        RegularFiles.TooLargeException big = assertThrows(RegularFiles.TooLargeException.class,
                () -> RegularFiles.read(small, 2));
        assertEquals("too large (3 bytes, the limit is 2 bytes)", big.getMessage());
        // /proc files claim 0 bytes: the cap holds while reading, not only from the size
        Path proc = Path.of("/proc/self/status");
        if (Files.isRegularFile(proc) && Files.size(proc) == 0) {
            RegularFiles.TooLargeException lying = assertThrows(RegularFiles.TooLargeException.class,
                    () -> RegularFiles.read(proc, 16));
            assertEquals("too large (over the limit of 16 bytes)", lying.getMessage());
        }
    }

    @Test
    void staplesFilesReadRefusesAFifoAndADevice() throws Exception {
        Path fifo = mkfifo(dir.resolve("site.pem.ocsp"));
        IOException e = assertThrows(IOException.class, () -> StapleFiles.read(fifo, 64 * 1024));
        assertEquals("not a regular file (a FIFO)", e.getMessage());
        Path zero = Files.createSymbolicLink(dir.resolve("zero.pem.ocsp"), Path.of("/dev/zero"));
        e = assertThrows(IOException.class, () -> StapleFiles.read(zero, 64 * 1024));
        assertEquals("not a regular file (a character device)", e.getMessage());
        assertNull(StapleFiles.read(dir.resolve("absent.ocsp"), 64 * 1024), "a missing file is no staple");
    }

    @Test
    void aFifoOcspFileDoesNotStallTheEngine() throws Exception {
        TestPki pki = new TestPki("Fifo");
        try (OcspResponderServer responder = OcspResponderServer.builder(pki.ca).start()) {
            IssuedCertificate leaf = pki.leaf(responder.url());
            Path certFile = dir.resolve("fifo.pem");
            leaf.writeBundle(certFile);
            mkfifo(StapleFiles.ocspFile(certFile));
            try (OcspManager m = OcspManager.builder().settings(OcspSettings.builder().persist(false).watchFiles(true)
                    .pollInterval(Duration.ofMillis(30)).requestsPerSecond(1000).build()).build()) {
                ManagedCertificate c = m.manage(new OcspSubject(certFile.toString(), leaf.certificate(),
                        pki.ca.certificate(), certFile, null, true));
                m.start();
                assertTrue(m.awaitInitialRound(Duration.ofSeconds(5)), "the initial round finished");
                assertNotNull(c.staple(), "fetched although the .ocsp file is a FIFO");
                assertEquals(Staple.Origin.FETCHED, c.staple().origin());
                assertTrue(m.refreshNow(c.id()).get(5, TimeUnit.SECONDS).installed());
            }
        }
    }
}
