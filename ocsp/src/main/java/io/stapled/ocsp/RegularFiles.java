package io.stapled.ocsp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The one way stapled reads a file it was pointed at: the config, certificates, keys, {@code .issuer}
 * and {@code .ocsp} siblings, crt-lists. A device such as {@code /dev/zero} never ends, so reading it
 * whole exhausts the heap, and opening a FIFO blocks until something writes to it; both are refused
 * before the file is opened. A regular file is read only up to a cap, whatever size it claims (files
 * under {@code /proc} claim 0 bytes).
 *
 * <p>The type is checked and then the file opened: a file swapped for a FIFO in between would still
 * block. Those paths belong to the operator, so this guards against mistakes, not against an attacker.
 */
public final class RegularFiles {
    private static final int S_IFMT = 0170000;
    private static final int S_IFIFO = 0010000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFBLK = 0060000;
    private static final int S_IFSOCK = 0140000;

    private RegularFiles() { }

    /** The file exists but is a directory, a FIFO, a device or a socket. */
    public static final class NotRegularException extends IOException {
        private static final long serialVersionUID = 1L;
        private final String kind;

        NotRegularException(String kind) {
            super("not a regular file (" + kind + ")");
            this.kind = kind;
        }

        /** What the file is instead, e.g. {@code "a FIFO"}, {@code "a character device"}. */
        public String kind() {
            return kind;
        }
    }

    /** The file holds more than the reader allows. */
    public static final class TooLargeException extends IOException {
        private static final long serialVersionUID = 1L;
        private final long size;
        private final long limit;

        TooLargeException(long size, long limit) {
            super(size > limit ? "too large (" + size + " bytes, the limit is " + describe(limit) + ")"
                    : "too large (over the limit of " + describe(limit) + ")");
            this.size = size;
            this.limit = limit;
        }

        /** The size the file system reported, which may be below the limit for files that grow or lie. */
        public long size() {
            return size;
        }

        public long limit() {
            return limit;
        }
    }

    /**
     * Null when {@code file} (links followed) is a regular file, else what it is, for messages:
     * {@code "a directory"}, {@code "a FIFO"}, {@code "a character device"}, ...
     *
     * @throws java.nio.file.NoSuchFileException when it does not exist
     */
    public static String notRegular(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        return kindOf(file, a);
    }

    /**
     * The bytes of a regular file of at most {@code maxBytes}.
     *
     * @throws NotRegularException               when it is anything but a regular file
     * @throws TooLargeException                 when it holds more than {@code maxBytes}
     * @throws java.nio.file.NoSuchFileException when it does not exist
     */
    public static byte[] read(Path file, int maxBytes) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        String kind = kindOf(file, a);
        if (kind != null) {
            throw new NotRegularException(kind);
        }
        if (a.size() > maxBytes) {
            throw new TooLargeException(a.size(), maxBytes);
        }
        try (InputStream in = Files.newInputStream(file)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.max(16, Math.min(a.size(), maxBytes)));
            byte[] buffer = new byte[8192];
            long total = 0;
            int n;
            while ((n = in.read(buffer)) > 0) {
                total += n;
                if (total > maxBytes) {
                    throw new TooLargeException(a.size(), maxBytes);
                }
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        }
    }

    private static String kindOf(Path file, BasicFileAttributes a) {
        if (a.isRegularFile()) {
            return null;
        }
        if (a.isDirectory()) {
            return "a directory";
        }
        try {
            Object mode = Files.getAttribute(file, "unix:mode");
            if (mode instanceof Integer m) {
                switch (m & S_IFMT) {
                    case S_IFIFO: return "a FIFO";
                    case S_IFCHR: return "a character device";
                    case S_IFBLK: return "a block device";
                    case S_IFSOCK: return "a socket";
                    default: break;
                }
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            // not a unix file system: the generic name below will do
        }
        return "a special file";
    }

    private static String describe(long bytes) {
        if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
            return (bytes >> 20) + " MiB";
        }
        if (bytes >= 1024 && bytes % 1024 == 0) {
            return (bytes >> 10) + " KiB";
        }
        return bytes + " bytes";
    }
}
