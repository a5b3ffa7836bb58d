package io.stapled.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as written in the config: a number and a unit, {@code 500ms 5s 2m 1h 1d}, or several in a row
 * ({@code 1m30s}). A bare number is refused: {@code timeout: 5} could mean seconds or milliseconds, and
 * guessing wrong is a silent outage.
 */
public final class Durations {

    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final Pattern WHOLE = Pattern.compile("(?:\\d+(?:ms|s|m|h|d))+");

    private Durations() {
    }

    /**
     * Parses a duration.
     *
     * @throws IllegalArgumentException with a message fit for a config error
     */
    public static Duration parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (!t.isEmpty() && t.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("a duration needs a unit (ms, s, m, h or d), got \"" + text
                    + "\"; write e.g. \"" + t + "s\"");
        }
        if (!WHOLE.matcher(t).matches()) {
            throw new IllegalArgumentException(
                    "expected a duration like 500ms, 5s, 2m, 1h or 1d, got \"" + text + "\"");
        }
        Duration total = Duration.ZERO;
        Matcher m = PART.matcher(t);
        try {
            while (m.find()) {
                long n = Long.parseLong(m.group(1));
                total = total.plus(switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                });
            }
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("duration is too large: \"" + text + "\"");
        }
        if (total.compareTo(Duration.ofDays(3650)) > 0) {
            throw new IllegalArgumentException("duration is too large (over 10 years): \"" + text + "\"");
        }
        return total;
    }

    /** The shortest config spelling of {@code d}, e.g. {@code 90s} becomes {@code 1m30s}. */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        StringBuilder sb = new StringBuilder();
        long ms = d.toMillis();
        long[] sizes = {86_400_000L, 3_600_000L, 60_000L, 1000L, 1L};
        String[] units = {"d", "h", "m", "s", "ms"};
        for (int i = 0; i < sizes.length; i++) {
            if (ms >= sizes[i]) {
                sb.append(ms / sizes[i]).append(units[i]);
                ms %= sizes[i];
            }
        }
        return sb.toString();
    }
}
