package io.stapled.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Files that are not regular files, for the tests that stapled refuses them (and does not hang on them). */
public final class SpecialFiles {
    /** A device that never ends: read whole, it exhausts the heap. */
    public static final Path DEV_ZERO = Path.of("/dev/zero");

    private SpecialFiles() { }

    /** A named pipe at {@code path}; opening it for reading blocks until a writer comes. */
    public static Path fifo(Path path) {
        try {
            Files.createDirectories(path.toAbsolutePath().getParent());
            Process p = new ProcessBuilder("mkfifo", path.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (p.waitFor() != 0) {
                throw new IllegalStateException("mkfifo " + path + " failed");
            }
            return path;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A symbolic link at {@code path} to /dev/zero, for places where the name is fixed (a sibling). */
    public static Path devZeroAt(Path path) {
        try {
            Files.createDirectories(path.toAbsolutePath().getParent());
            return Files.createSymbolicLink(path, DEV_ZERO);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
