package io.stapled.ocsp;

import java.nio.file.Path;

/**
 * Notices when someone else changes a certificate's {@code .ocsp} file. Polled once per scheduler tick
 * (the scheduler is the only caller of {@link #changed}); a file is reported only once it has held still
 * for a whole tick, because a writer that is not atomic (truncate, then write) may be caught half-way.
 */
final class StapleFileWatch {
    private final Path file;
    private volatile StapleFiles.Stamp seen = StapleFiles.Stamp.ABSENT;
    private volatile StapleFiles.Stamp pending;

    StapleFileWatch(Path file) {
        this.file = file;
    }

    /** The file as it is now counts as seen: before the engine reads it, and after the engine writes it. */
    void markSeen() {
        seen = StapleFiles.stamp(file);
    }

    /** True when the file changed since last seen, has held still since the last poll, and exists. */
    boolean changed() {
        StapleFiles.Stamp now = StapleFiles.stamp(file);
        if (now.sameAs(seen)) {
            pending = null;
            return false;
        }
        if (pending != null && now.sameAs(pending)) {
            seen = now;
            pending = null;
            return now != StapleFiles.Stamp.ABSENT;
        }
        pending = now;
        return false;
    }
}
