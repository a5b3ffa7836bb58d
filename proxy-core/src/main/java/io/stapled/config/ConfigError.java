package io.stapled.config;

import java.nio.file.Path;

/**
 * One problem found in a configuration file.
 *
 * @param file    the file as it was given to the loader (for messages)
 * @param line    1-based line of the offending value, or 0 when no line applies (e.g. unreadable file)
 * @param keyPath where in the document, e.g. {@code frontends[0].bind}; empty for the document itself
 * @param message what is wrong, in one line
 */
public record ConfigError(Path file, int line, String keyPath, String message) {

    /** {@code stapled.yaml:14 frontends[0].bind: expected host:port, got "localhost"}. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        sb.append(file == null ? "<config>" : file.toString());
        if (line > 0) {
            sb.append(':').append(line);
        }
        sb.append(' ');
        if (!keyPath.isEmpty()) {
            sb.append(keyPath).append(": ");
        }
        return sb.append(message).toString();
    }

    @Override
    public String toString() {
        return format();
    }
}
