package io.stapled.ocsp;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Objects;

/**
 * HAProxy's {@code <certfile>.ocsp} convention: the DER OCSPResponse beside the certificate. Writes
 * go to a temporary file in the same directory, then a rename, so a reader (stapled, HAProxy) sees the
 * old file or the new one, never half of one.
 */
public final class StapleFiles {
    private StapleFiles() { }

    /** What a file looked like when last seen; a different stamp means someone changed it. */
    public record Stamp(FileTime modified, long size, Object fileKey) {
        static final Stamp ABSENT = new Stamp(FileTime.fromMillis(0), -1, null);

        public boolean sameAs(Stamp o) {
            return modified.equals(o.modified) && size == o.size && Objects.equals(fileKey, o.fileKey);
        }
    }

    public static Path ocspFile(Path certFile) {
        return certFile.resolveSibling(certFile.getFileName() + ".ocsp");
    }

    public static Stamp stamp(Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new Stamp(a.lastModifiedTime(), a.size(), a.fileKey());
        } catch (IOException e) {
            return Stamp.ABSENT;
        }
    }

    /**
     * The file's bytes, or null if it does not exist; refuses files over {@code maxSize} and anything
     * but a regular file ({@link RegularFiles}), so a FIFO cannot stall the OCSP threads.
     */
    public static byte[] read(Path file, int maxSize) throws IOException {
        try {
            return RegularFiles.read(file, maxSize);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Writes {@code der} to {@code target} atomically (temp file + rename). */
    public static void writeAtomically(Path target, byte[] der) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        try {
            Files.write(tmp, der);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
