package io.stapled.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte sizes as written in the config: {@code 512}, {@code 16k}, {@code 1m}, {@code 1g}, case-insensitive,
 * 1024-based; an optional trailing {@code b} is accepted ({@code 16kb}).
 */
public final class Sizes {

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmg]?)b?");

    private Sizes() {
    }

    /**
     * Parses a size in bytes.
     *
     * @throws IllegalArgumentException with a message fit for a config error
     */
    public static long parse(String text) {
        Matcher m = SIZE.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("expected a size like 512, 16k or 1m, got \"" + text + "\"");
        }
        int shift = switch (m.group(2)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            default -> 0;
        };
        if (m.group(1).length() > 12) {
            throw new IllegalArgumentException("size is too large: \"" + text + "\"");
        }
        return Long.parseLong(m.group(1)) << shift;
    }

    /** The shortest config spelling of {@code bytes}, e.g. {@code 16384} becomes {@code 16k}. */
    public static String format(long bytes) {
        if (bytes != 0 && bytes % (1L << 30) == 0) {
            return bytes / (1L << 30) + "g";
        }
        if (bytes != 0 && bytes % (1L << 20) == 0) {
            return bytes / (1L << 20) + "m";
        }
        if (bytes != 0 && bytes % 1024 == 0) {
            return bytes / 1024 + "k";
        }
        return Long.toString(bytes);
    }
}
