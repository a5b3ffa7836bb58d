package io.stapled.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

/** {@code --on-change} is split like a shell splits words, and nothing more. */
class CommandWordsTest {
    @Test
    void blanksSeparateWords() {
        assertEquals(List.of("nginx", "-s", "reload"), CommandWords.split("  nginx -s\treload "));
    }

    @Test
    void quotesKeepBlanksAndSingleQuotesAreLiteral() {
        assertEquals(List.of("sh", "-c", "echo \"$STAPLED_CERT\" >> /tmp/log"),
                CommandWords.split("sh -c 'echo \"$STAPLED_CERT\" >> /tmp/log'"));
        assertEquals(List.of("a b", "c\"d", "e\\f"), CommandWords.split("\"a b\" \"c\\\"d\" \"e\\\\f\""));
        assertEquals(List.of("x y"), CommandWords.split("x\\ y"));
        assertEquals(List.of("ab"), CommandWords.split("a'b'"), "quotes join a word");
    }

    @Test
    void nothingElseIsInterpreted() {
        assertEquals(List.of("$HOME", "*", "|", ">", "`id`"), CommandWords.split("$HOME * | > `id`"));
    }

    @Test
    void brokenCommandsAreRefusedSayingWhy() {
        assertEquals("unclosed ' in: a 'b", assertThrows(IllegalArgumentException.class,
                () -> CommandWords.split("a 'b")).getMessage());
        assertEquals("unclosed \" in: \"b", assertThrows(IllegalArgumentException.class,
                () -> CommandWords.split("\"b")).getMessage());
        assertEquals("trailing \\ in: a\\", assertThrows(IllegalArgumentException.class,
                () -> CommandWords.split("a\\")).getMessage());
        assertEquals("empty command", assertThrows(IllegalArgumentException.class,
                () -> CommandWords.split("  ")).getMessage());
    }
}
