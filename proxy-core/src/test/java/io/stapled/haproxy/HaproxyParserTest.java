package io.stapled.haproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Words as HAProxy 2.6's parse_line splits them. */
class HaproxyParserTest {
    private static List<String> words(String line) {
        return HaproxyParser.words(line, Map.of("CERTS", "/etc/ssl", "EMPTY", ""));
    }

    @Test
    void blanksSeparateWordsAndHashStartsAComment() {
        assertEquals(List.of("bind", ":443", "ssl"), words("  bind\t:443   ssl  # the edge"));
        assertEquals(List.of(), words("   # only a comment"));
    }

    @Test
    void doubleQuotesKeepBlanksAndEscapes() {
        assertEquals(List.of("http-response", "set-header", "Strict-Transport-Security",
                "max-age=31536000; includeSubDomains"),
                words("http-response set-header Strict-Transport-Security \"max-age=31536000; includeSubDomains\""));
        assertEquals(List.of("string", "say \"hi\" # not a comment"), words("string \"say \\\"hi\\\" # not a comment\""));
    }

    @Test
    void singleQuotesAreLiteral() {
        assertEquals(List.of("x", "a\\ $CERTS b"), words("x 'a\\ $CERTS b'"));
    }

    @Test
    void backslashEscapesOutsideQuotes() {
        assertEquals(List.of("option", "httpchk", "GET", "/", "HTTP/1.1\r\nHost: app"),
                words("option httpchk GET / HTTP/1.1\\r\\nHost:\\ app"));
        assertEquals(List.of("a#b", "c d", "A"), words("a\\#b c\\ d \\x41"));
    }

    @Test
    void quotesJoinWithTheWordAroundThem() {
        assertEquals(List.of("foobar baz", ""), words("foo\"bar baz\" \"\""));
    }

    @Test
    void environmentVariablesExpandOutsideSingleQuotes() {
        assertEquals(List.of("crt", "/etc/ssl/site.pem", "/etc/ssl/x", "[]"),
                words("crt ${CERTS}/site.pem \"$CERTS/x\" [$EMPTY]"));
        assertEquals(List.of("crt", "/site.pem"), words("crt ${UNSET}/site.pem"));
    }

    @Test
    void aTrailingBackslashIsNoContinuation() {
        // HAProxy 2.6 has no line continuation: `maxconn 100 \` is an error there ("unexpected argument '\'")
        HaproxyConfig cfg = HaproxyParser.parse("global\n  maxconn 100 \\\n  nbthread 2\n", "h.cfg", Map.of());
        List<HaproxyLine> lines = cfg.sections().get(0).lines();
        assertEquals(List.of("maxconn", "100", "\\"), lines.get(0).words());
        assertEquals(3, lines.get(1).number());
    }

    @Test
    void sectionsCarryTheirLinesWithNumbers() {
        HaproxyConfig cfg = HaproxyParser.parse("""
                # header
                global
                  nbthread 4

                frontend web
                  bind :80
                backend app
                  server a 10.0.0.1:80
                """, "h.cfg", Map.of());
        assertEquals(List.of("global", "frontend", "backend"), cfg.sections().stream().map(HaproxySection::kind).toList());
        assertEquals("web", cfg.sections().get(1).name());
        assertEquals(6, cfg.sections().get(1).lines().get(0).number());
        assertEquals("h.cfg:6", cfg.sections().get(1).lines().get(0).where());
    }
}
