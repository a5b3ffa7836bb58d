package io.stapled.haproxy;

/**
 * A line, or a part of one, the importer did not translate.
 *
 * @param where  {@code haproxy.cfg:12}
 * @param text   the line as written
 * @param reason why
 */
public record Skipped(String where, String text, String reason) {
    /** {@code haproxy.cfg:12: not translated: REASON: LINE}. */
    public String format() {
        return where + ": not translated: " + reason + ": " + text;
    }
}
