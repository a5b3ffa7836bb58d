package io.stapled.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The test parser must be strict, or tests that rely on it prove nothing. */
class PrometheusTextTest {

    @Test
    void readsHelpTypeLabelsEscapesAndSpecialValues() {
        PrometheusText t = PrometheusText.parse("""
                # HELP a_total Things\\\\done\\nsince start
                # TYPE a_total counter
                a_total{x="q\\"uote",y="back\\\\slash",z="new\\nline",} 3 1700000000000
                # TYPE g gauge
                g NaN
                g{k="v"} -Inf
                # TYPE h histogram
                h_bucket{le="0.5"} 1
                h_bucket{le="+Inf"} 2
                h_count 2
                h_sum 0.7
                """);
        assertEquals("Things\\done\nsince start", t.family("a_total").help());
        assertEquals(3, t.value("a_total", "x", "q\"uote", "y", "back\\slash", "z", "new\nline"));
        assertTrue(t.find("g").stream().anyMatch(g -> g.labels().isEmpty() && Double.isNaN(g.value())));
        assertEquals(Double.NEGATIVE_INFINITY, t.value("g", "k", "v"));
        assertEquals(2, t.value("h_count"));
        assertEquals("histogram", t.family("h").type());
    }

    @Test
    void rejectsWhatPrometheusRejects() {
        String[] bad = {
            "m{a=\"x} 1\n",                               // unterminated value
            "m{a=\"\\t\"} 1\n",                            // bad escape
            "m{a=\"1\",a=\"2\"} 1\n",                      // label twice
            "m 1\nm 2\n",                                   // duplicate series
            "m one\n",                                      // bad value
            "1m 1\n",                                       // bad name
            "m 1",                                          // no final newline
            "# TYPE m gauge\n# TYPE m gauge\nm 1\n",        // two TYPE lines
            "m 1\n# TYPE m gauge\n",                        // TYPE after samples
            "# TYPE m gauge\nm 1\n# TYPE n gauge\nn 1\nm{a=\"b\"} 1\n", // split family
            "# TYPE m wibble\n",                            // unknown type
            "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n", // not cumulative
            "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_count 1\n",  // no +Inf
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 1\n", // +Inf != count
            "# TYPE g gauge\ng_total 1\ng 2\n",             // counter suffix in a gauge family is its own family... then g splits
        };
        for (String text : bad) {
            assertThrows(AssertionError.class, () -> PrometheusText.parse(text), text);
        }
    }
}
