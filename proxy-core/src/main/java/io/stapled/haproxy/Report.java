package io.stapled.haproxy;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What the importer could not translate and where it translated with a difference worth knowing.
 * A defaults line reaches every proxy after it, so the same entry is kept once.
 */
final class Report {
    private final Set<Skipped> skipped = new LinkedHashSet<>();
    private final Set<String> notes = new LinkedHashSet<>();

    void skip(HaproxyLine line, String reason) {
        skipped.add(new Skipped(line.where(), line.text(), reason));
    }

    /** One translator's reading of a line: true when the line is its keyword. */
    interface LineTranslation {
        boolean take(HaproxyLine line) throws Untranslatable;
    }

    /** Runs {@code translation} on {@code line}; a line it cannot translate is recorded as skipped and taken. */
    boolean translate(HaproxyLine line, LineTranslation translation) {
        try {
            return translation.take(line);
        } catch (Untranslatable e) {
            skip(line, e.getMessage());
            return true;
        }
    }

    /** Translated, but stapled behaves differently in a way the operator must know. */
    void note(HaproxyLine line, String note) {
        notes.add(line.where() + ": " + note);
    }

    List<Skipped> skipped() {
        List<Skipped> list = new ArrayList<>(skipped);
        list.sort((a, b) -> Integer.compare(lineOf(a.where()), lineOf(b.where())));
        return list;
    }

    List<String> notes() {
        List<String> list = new ArrayList<>(notes);
        list.sort((a, b) -> Integer.compare(lineOf(a), lineOf(b)));
        return list;
    }

    private static int lineOf(String where) {
        int colon = where.indexOf(':');
        int end = colon + 1;
        while (end < where.length() && Character.isDigit(where.charAt(end))) {
            end++;
        }
        return end > colon + 1 ? Integer.parseInt(where.substring(colon + 1, end)) : 0;
    }
}
