package io.stapled.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** State of one load: where relative paths start, whether files are checked, and the errors so far. */
final class LoadContext {

    private final Path fileForMessages;
    private final Path baseDirectory;
    private final boolean checkFiles;
    private final List<ConfigError> errors = new ArrayList<>();
    private final List<ConfigError> warnings = new ArrayList<>();

    LoadContext(Path fileForMessages, boolean checkFiles) {
        this.fileForMessages = fileForMessages;
        Path parent = fileForMessages == null ? null : fileForMessages.toAbsolutePath().getParent();
        this.baseDirectory = parent != null ? parent : Path.of("").toAbsolutePath();
        this.checkFiles = checkFiles;
    }

    Path file() {
        return fileForMessages;
    }

    /** The config file's directory; relative paths in the config are resolved against it. */
    Path baseDirectory() {
        return baseDirectory;
    }

    boolean checkFiles() {
        return checkFiles;
    }

    void error(int line, String keyPath, String message) {
        errors.add(new ConfigError(fileForMessages, line, escapeControls(keyPath), escapeControls(message)));
    }

    /** Something that loads but is probably not what was meant (a route that can never match). */
    void warn(int line, String keyPath, String message) {
        warnings.add(new ConfigError(fileForMessages, line, escapeControls(keyPath), escapeControls(message)));
    }

    List<ConfigError> warnings() {
        List<ConfigError> sorted = new ArrayList<>(warnings);
        sorted.sort(Comparator.comparingInt(ConfigError::line));
        return sorted;
    }

    /** Values quoted in messages may hold newlines or worse; an error must stay one readable line. */
    static String escapeControls(String text) {
        StringBuilder sb = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c != 0x7f) {
                if (sb != null) {
                    sb.append(c);
                }
                continue;
            }
            if (sb == null) {
                sb = new StringBuilder(text.length() + 8).append(text, 0, i);
            }
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> sb.append(String.format("\\u%04x", (int) c));
            }
        }
        return sb == null ? text : sb.toString();
    }

    boolean hasErrors() {
        return !errors.isEmpty();
    }

    /** Errors by line (stable, so errors on one line keep the order they were found in). */
    List<ConfigError> errors() {
        List<ConfigError> sorted = new ArrayList<>(errors);
        sorted.sort(Comparator.comparingInt(ConfigError::line));
        return sorted;
    }
}
