package io.stapled.config;

import io.stapled.ocsp.RegularFiles;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * A YAML node together with its key path, so every conversion can report an error with the file, the
 * line and the path. Conversions never throw: on bad input they record an error and return null, and
 * the caller carries on with a default so that all problems in a file are found in one pass.
 */
final class YamlValue {

    private static final int MAX_QUOTED_LENGTH = 80;

    private final Node node;
    private final String path;
    private final LoadContext context;

    YamlValue(Node node, String path, LoadContext context) {
        this.node = node;
        this.path = path;
        this.context = context;
    }

    String keyPath() {
        return path;
    }

    int line() {
        return node.getStartMark().getLine() + 1;
    }

    LoadContext context() {
        return context;
    }

    /** This value's place in the config, for errors found once the config is loaded. */
    ConfigOrigin origin() {
        return new ConfigOrigin(context.file(), line(), LoadContext.escapeControls(path));
    }

    void error(String message) {
        context.error(line(), path, message);
    }

    void warn(String message) {
        context.warn(line(), path, message);
    }

    boolean isNull() {
        return node instanceof ScalarNode s && s.getTag().equals(Tag.NULL);
    }

    boolean isScalar() {
        return node instanceof ScalarNode;
    }

    boolean isList() {
        return node instanceof SequenceNode;
    }

    /** How the value looks, for "got ..." in messages. */
    String describe() {
        if (node instanceof ScalarNode s) {
            return "\"" + printable(s.getValue()) + "\"";
        }
        return node instanceof SequenceNode ? "a list" : "a mapping";
    }

    /** Long values are cut so the error stays readable; control characters are escaped later. */
    private static String printable(String value) {
        return value.length() > MAX_QUOTED_LENGTH ? value.substring(0, MAX_QUOTED_LENGTH) + "..." : value;
    }

    /** The text of a scalar, or null (with an error naming {@code expected}) for a list or mapping. */
    String scalar(String expected) {
        if (node instanceof ScalarNode s) {
            return s.getValue();
        }
        error("expected " + expected + ", got " + describe());
        return null;
    }

    YamlMap map() {
        return YamlMap.of(this, node);
    }

    /** Elements of a list, each with its indexed path; an error and an empty list for anything else. */
    List<YamlValue> list(String expected) {
        if (node instanceof SequenceNode seq) {
            List<YamlValue> values = new ArrayList<>(seq.getValue().size());
            for (int i = 0; i < seq.getValue().size(); i++) {
                values.add(new YamlValue(seq.getValue().get(i), path + "[" + i + "]", context));
            }
            return values;
        }
        error("expected " + expected + ", got " + describe());
        return List.of();
    }

    String string() {
        String s = scalar("a string");
        if (s != null && s.isBlank()) {
            error("must not be empty");
            return null;
        }
        return s;
    }

    Duration duration(boolean allowZero) {
        Duration d = convert("a duration like 5s", Durations::parse);
        if (d != null && d.isZero() && !allowZero) {
            error("must be longer than 0s");
            return null;
        }
        return d;
    }

    Integer size(long min, long max) {
        Long bytes = convert("a size like 16k", Sizes::parse);
        if (bytes == null) {
            return null;
        }
        if (bytes < min || bytes > max) {
            error("must be from " + Sizes.format(min) + " to " + Sizes.format(max) + ", got " + describe());
            return null;
        }
        return bytes.intValue();
    }

    Integer integer(int min, int max) {
        String expected = "an integer from " + min + " to " + max;
        String text = scalar(expected);
        if (text == null) {
            return null;
        }
        String digits = text.strip().replace("_", "");
        if (!digits.matches("[-+]?\\d{1,10}")) {
            error("expected " + expected + ", got " + describe());
            return null;
        }
        long n = Long.parseLong(digits);
        if (n < min || n > max) {
            error("expected " + expected + ", got " + n);
            return null;
        }
        return (int) n;
    }

    Double decimal(double minExclusive, double max) {
        String expected = "a number above " + stripZero(minExclusive) + " and at most " + stripZero(max);
        String text = scalar(expected);
        if (text == null) {
            return null;
        }
        double n;
        try {
            n = Double.parseDouble(text.strip().replace("_", ""));
        } catch (NumberFormatException e) {
            error("expected " + expected + ", got " + describe());
            return null;
        }
        if (!(n > minExclusive && n <= max)) {
            error("expected " + expected + ", got " + describe());
            return null;
        }
        return n;
    }

    private static String stripZero(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    Boolean bool() {
        String text = scalar("true or false");
        if (text == null) {
            return null;
        }
        switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on":
                return true;
            case "false", "no", "off":
                return false;
            default:
                error("expected true or false, got " + describe());
                return null;
        }
    }

    /** One of {@code choices} (keys lower case), matched case-insensitively. */
    <T> T choice(Map<String, T> choices) {
        String expected = "one of " + String.join(", ", choices.keySet());
        String text = scalar(expected);
        if (text == null) {
            return null;
        }
        T value = choices.get(text.strip().toLowerCase(Locale.ROOT));
        if (value == null) {
            error("expected " + expected + ", got " + describe());
        }
        return value;
    }

    HostPort hostPort(boolean allowPortZero) {
        HostPort hp = convert("host:port", HostPort::parse);
        if (hp != null && hp.port() == 0 && !allowPortZero) {
            error("port 0 (ephemeral) is only allowed for listening addresses, got " + describe());
            return null;
        }
        return hp;
    }

    /** An absolute http:// URL with a host. */
    URI httpUrl() {
        String text = string();
        if (text == null) {
            return null;
        }
        try {
            URI uri = new URI(text.strip());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                error("expected an http:// URL, got " + describe());
                return null;
            }
            if (uri.getHost() == null) {
                error("URL has no host: " + describe());
                return null;
            }
            return uri;
        } catch (URISyntaxException e) {
            error("not a valid URL: " + describe() + " (" + e.getReason() + ")");
            return null;
        }
    }

    Cidr cidr() {
        return convert("a CIDR like 10.0.0.0/8", Cidr::parse);
    }

    /** A path, resolved against the config file's directory when relative; nothing is checked on disk. */
    Path filePath() {
        return filePath(null);
    }

    /**
     * A path, resolved against {@code base} when relative (HAProxy's {@code crt-base}/{@code key-base}),
     * or against the config file's directory when {@code base} is null; nothing is checked on disk.
     */
    Path filePath(Path base) {
        String text = string();
        if (text == null) {
            return null;
        }
        try {
            return (base != null ? base : context.baseDirectory()).resolve(text.strip()).normalize();
        } catch (InvalidPathException e) {
            error("not a valid path: " + describe());
            return null;
        }
    }

    /**
     * A {@link #filePath()} that must be a readable regular file (unless file checks are off): a FIFO
     * would block whoever opens it and a device such as /dev/zero never ends.
     */
    Path existingFile() {
        return existingFile(null);
    }

    /** {@link #existingFile()} with relative paths resolved against {@code base} ({@link #filePath(Path)}). */
    Path existingFile(Path base) {
        return checkedFile(filePath(base));
    }

    /**
     * {@link #existingFile(Path)}, or a file that does not exist but names an HAProxy multi-certificate
     * bundle: one or more of {@code <file>.dsa}, {@code .ecdsa}, {@code .rsa} exist (each is checked when read).
     */
    Path existingCertificate(Path base) {
        Path p = filePath(base);
        if (p != null && context.checkFiles() && !Files.exists(p)) {
            for (String ext : CertificateSource.BUNDLE_EXTENSIONS) {
                if (Files.exists(p.resolveSibling(p.getFileName() + ext))) {
                    return p;
                }
            }
        }
        return checkedFile(p);
    }

    private Path checkedFile(Path p) {
        if (p != null && context.checkFiles()) {
            String notRegular = notRegular(p);
            if (!Files.exists(p)) {
                error("file not found: " + p);
            } else if (Files.isDirectory(p)) {
                error("expected a file, got a directory: " + p);
            } else if (notRegular != null) {
                error("expected a regular file, got " + notRegular + ": " + p);
            } else if (!Files.isReadable(p)) {
                error("file is not readable: " + p);
            }
        }
        return p;
    }

    private static String notRegular(Path p) {
        try {
            return RegularFiles.notRegular(p);
        } catch (IOException e) {
            return null; // missing or unreadable: said by the checks that follow
        }
    }

    /** A {@link #filePath()} that must be a readable directory (unless file checks are off). */
    Path existingDirectory() {
        return existingDirectory(null);
    }

    /** {@link #existingDirectory()} with relative paths resolved against {@code base}. */
    Path existingDirectory(Path base) {
        Path p = filePath(base);
        if (p != null && context.checkFiles()) {
            if (!Files.exists(p)) {
                error("directory not found: " + p);
            } else if (!Files.isDirectory(p)) {
                error("expected a directory, got a file: " + p);
            } else if (!Files.isReadable(p) || !Files.isExecutable(p)) {
                error("directory is not readable: " + p);
            }
        }
        return p;
    }

    private <T> T convert(String expected, Function<String, T> parser) {
        String text = scalar(expected);
        if (text == null) {
            return null;
        }
        try {
            return parser.apply(text);
        } catch (IllegalArgumentException e) {
            error(e.getMessage());
            return null;
        }
    }
}
