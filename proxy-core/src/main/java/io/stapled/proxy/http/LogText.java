package io.stapled.proxy.http;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** What the access log formats share: the combined format's date, and values made safe for one line. */
final class LogText {
    /** Apache's {@code %t}: {@code [02/Dec/2026:17:54:35 +0000]} without the brackets. */
    static final DateTimeFormatter COMBINED_TIME =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);

    private LogText() { }

    /** {@code "value"}, or {@code "-"} for null, made {@link #sanitize safe}. */
    static void quoted(StringBuilder line, String value) {
        if (value == null) {
            line.append("\"-\"");
        } else {
            line.append('"').append(sanitize(value)).append('"');
        }
    }

    /**
     * A request line or header must not be able to forge another log line or break the quoting: control
     * characters, quote, backslash and non-ASCII become {@code \xNN}, as Apache writes them.
     */
    static String sanitize(String value) {
        StringBuilder out = null;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == '"' || c == '\\' || c >= 0x7f) {
                if (out == null) {
                    out = new StringBuilder(value.length() + 8).append(value, 0, i);
                }
                out.append(String.format("\\x%02x", (int) c & 0xff));
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? value : out.toString();
    }

    /** The path of a request target: up to its {@code ?}. */
    static String path(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }

    /** The query of a request target with its {@code ?}, or the empty string. */
    static String query(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? "" : uri.substring(q);
    }
}
