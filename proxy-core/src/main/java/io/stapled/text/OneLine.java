package io.stapled.text;

import java.util.regex.Pattern;

/**
 * Messages that end up on one line: a runtime-API answer (whose framing is lines), a config error
 * ({@code file:line key.path: message}), a start-up failure. Other libraries' messages (SnakeYAML's
 * problem marks, BouncyCastle's and the JDK's exceptions) may span lines; here every run of white
 * space becomes one space. Depends on nothing, so every package may use it.
 */
public final class OneLine {
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    private OneLine() {
    }

    /** {@code text} on one line, stripped; null is empty. */
    public static String oneLine(String text) {
        return text == null ? "" : WHITESPACE.matcher(text).replaceAll(" ").strip();
    }

    /** The throwable's message on one line, or its simple class name when it has none. */
    public static String oneLine(Throwable t) {
        String message = t.getMessage();
        return oneLine(message == null ? t.getClass().getSimpleName() : message);
    }
}
