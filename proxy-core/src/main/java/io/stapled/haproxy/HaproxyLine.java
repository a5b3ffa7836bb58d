package io.stapled.haproxy;

import java.util.List;

/**
 * One configuration line as HAProxy splits it into words (quotes, escapes and environment variables
 * resolved, the comment dropped), with where it came from.
 *
 * @param file   the file as named on the command line, for messages
 * @param number the 1-based line number
 * @param text   the line as written, stripped, for messages and comments in the output
 * @param words  the words; never empty
 */
public record HaproxyLine(String file, int number, String text, List<String> words) {
    public HaproxyLine {
        words = List.copyOf(words);
    }

    public String keyword() {
        return words.get(0);
    }

    /** Word {@code i} (0 is the keyword), or null past the end. */
    public String word(int i) {
        return i < words.size() ? words.get(i) : null;
    }

    public int size() {
        return words.size();
    }

    /** {@code haproxy.cfg:12}. */
    public String where() {
        return file + ":" + number;
    }
}
