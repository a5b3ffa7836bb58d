package io.stapled.haproxy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Splits an HAProxy configuration into sections and words the way HAProxy 2.6's {@code parse_line} does:
 * words separated by unquoted blanks; {@code #} outside quotes ends the line; {@code "..."} with
 * backslash escapes and {@code $VAR} / {@code ${VAR}} expansion, {@code '...'} taken literally; outside
 * quotes {@code \ } {@code \"} {@code \'} {@code \#} {@code \$} {@code \\}, {@code \r} {@code \n}
 * {@code \t} and {@code \xHH}. HAProxy has no line continuation: a trailing backslash is a word of its
 * own (and an error in HAProxy), so it is here.
 */
public final class HaproxyParser {
    /** Keywords that start a section; any other first word belongs to the current one. */
    static final Set<String> SECTIONS = Set.of("global", "defaults", "frontend", "backend", "listen",
            "resolvers", "userlist", "peers", "mailers", "program", "http-errors", "ring", "cache",
            "crt-store", "traces", "log-forward", "fcgi-app");

    private HaproxyParser() {
    }

    /**
     * Parses {@code text}; {@code file} names it in messages, {@code env} fills {@code $VAR} (an unset
     * one is empty, as in HAProxy).
     */
    public static HaproxyConfig parse(String text, String file, Map<String, String> env) {
        List<HaproxySection> sections = new ArrayList<>();
        List<HaproxyLine> outside = new ArrayList<>();
        String kind = null;
        String name = null;
        HaproxyLine header = null;
        List<HaproxyLine> lines = new ArrayList<>();
        String[] raw = text.split("\r?\n", -1);
        for (int i = 0; i < raw.length; i++) {
            List<String> words = words(raw[i], env);
            if (words.isEmpty()) {
                continue;
            }
            HaproxyLine line = new HaproxyLine(file, i + 1, raw[i].strip(), words);
            if (SECTIONS.contains(line.keyword())) {
                if (kind != null) {
                    sections.add(new HaproxySection(kind, name, header, lines));
                }
                kind = line.keyword();
                name = line.word(1);
                header = line;
                lines = new ArrayList<>();
            } else if (kind == null) {
                outside.add(line);
            } else {
                lines.add(line);
            }
        }
        if (kind != null) {
            sections.add(new HaproxySection(kind, name, header, lines));
        }
        return new HaproxyConfig(sections, outside);
    }

    /** The words of one line, as HAProxy splits it. */
    static List<String> words(String line, Map<String, String> env) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        int n = line.length();
        for (int i = 0; i < n; i++) {
            char c = line.charAt(i);
            if (quote == '\'') {
                if (c == '\'') {
                    quote = 0;
                } else {
                    word.append(c);
                }
                continue;
            }
            if (c == '\\' && i + 1 < n) {
                char e = line.charAt(i + 1);
                int consumed = 1;
                switch (e) {
                    case ' ', '\\', '"', '\'', '#', '$' -> word.append(e);
                    case 'r' -> word.append('\r');
                    case 'n' -> word.append('\n');
                    case 't' -> word.append('\t');
                    case 'x' -> {
                        if (i + 3 < n && isHex(line.charAt(i + 2)) && isHex(line.charAt(i + 3))) {
                            word.append((char) Integer.parseInt(line.substring(i + 2, i + 4), 16));
                            consumed = 3;
                        } else {
                            word.append('\\');
                            consumed = 0;
                        }
                    }
                    default -> {
                        word.append('\\');
                        consumed = 0;
                    }
                }
                i += consumed;
                inWord = true;
                continue;
            }
            if (quote == '"') {
                if (c == '"') {
                    quote = 0;
                } else if (c == '$') {
                    i = expand(line, i, env, word);
                } else {
                    word.append(c);
                }
                continue;
            }
            if (c == '"' || c == '\'') {
                quote = c;
                inWord = true;
            } else if (c == '#') {
                break;
            } else if (c == ' ' || c == '\t') {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else if (c == '$') {
                i = expand(line, i, env, word);
                inWord = true;
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }

    /** Expands {@code $NAME} or {@code ${NAME}} at {@code i}; returns the index of its last character. */
    private static int expand(String line, int i, Map<String, String> env, StringBuilder word) {
        int start = i + 1;
        boolean braced = start < line.length() && line.charAt(start) == '{';
        int j = braced ? start + 1 : start;
        int nameStart = j;
        while (j < line.length() && (Character.isLetterOrDigit(line.charAt(j)) || line.charAt(j) == '_')) {
            j++;
        }
        if (j == nameStart || (braced && (j >= line.length() || line.charAt(j) != '}'))) {
            word.append('$');
            return i;
        }
        word.append(env.getOrDefault(line.substring(nameStart, j), ""));
        return braced ? j : j - 1;
    }

    private static boolean isHex(char c) {
        return Character.digit(c, 16) >= 0;
    }
}
