package io.stapled.admin;

import java.util.ArrayList;
import java.util.List;

/** Splits one command into words as HAProxy does: spaces and tabs separate, a backslash escapes. */
final class CommandLine {
    private CommandLine() { }

    static List<String> split(String command) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        int n = command.length();
        for (int i = 0; i < n; i++) {
            char c = command.charAt(i);
            if (c == '\\') {
                if (word == null) {
                    word = new StringBuilder();
                }
                if (i + 1 < n) {
                    word.append(command.charAt(++i));
                }
            } else if (c == ' ' || c == '\t') {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
            } else {
                if (word == null) {
                    word = new StringBuilder();
                }
                word.append(c);
            }
        }
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }
}
