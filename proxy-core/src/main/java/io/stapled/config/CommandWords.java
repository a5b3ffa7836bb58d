package io.stapled.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits an {@code --on-change} command into a program and its arguments the way a shell splits words
 * (blanks separate; '...' is literal; "..." keeps blanks, and a backslash in it escapes {@code "} and
 * {@code \}; a backslash outside quotes escapes the next character), and does nothing else a shell does:
 * no variables, globs, pipes or redirections. The command is the operator's own; what stapled adds
 * (the certificate's path) goes in the environment, never into these words.
 */
public final class CommandWords {
    private CommandWords() { }

    /** @throws IllegalArgumentException for an unclosed quote, a trailing backslash or no words at all */
    public static List<String> split(String command) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        int i = 0;
        while (i < command.length()) {
            char c = command.charAt(i);
            if (c == ' ' || c == '\t' || c == '\n') {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
                i++;
            } else if (c == '\'') {
                int end = command.indexOf('\'', i + 1);
                if (end < 0) {
                    throw new IllegalArgumentException("unclosed ' in: " + command);
                }
                word.append(command, i + 1, end);
                inWord = true;
                i = end + 1;
            } else if (c == '"') {
                i++;
                while (true) {
                    if (i >= command.length()) {
                        throw new IllegalArgumentException("unclosed \" in: " + command);
                    }
                    char d = command.charAt(i);
                    if (d == '"') {
                        i++;
                        break;
                    }
                    if (d == '\\' && i + 1 < command.length()
                            && (command.charAt(i + 1) == '"' || command.charAt(i + 1) == '\\')) {
                        d = command.charAt(++i);
                    }
                    word.append(d);
                    i++;
                }
                inWord = true;
            } else if (c == '\\') {
                if (i + 1 >= command.length()) {
                    throw new IllegalArgumentException("trailing \\ in: " + command);
                }
                word.append(command.charAt(i + 1));
                inWord = true;
                i += 2;
            } else {
                word.append(c);
                inWord = true;
                i++;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        if (words.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        return List.copyOf(words);
    }
}
