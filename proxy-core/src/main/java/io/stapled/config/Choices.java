package io.stapled.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The allowed spellings of an enumerated value, in the order error messages list them ({@code Map.of}
 * would list them in a different order on every run).
 */
final class Choices {

    private Choices() {
    }

    /** {@code of("http", HTTP, "tcp", TCP)}: lower-case spellings alternating with their values. */
    @SuppressWarnings("unchecked")
    static <T> Map<String, T> of(Object... spellingsAndValues) {
        Map<String, T> map = new LinkedHashMap<>();
        for (int i = 0; i < spellingsAndValues.length; i += 2) {
            map.put((String) spellingsAndValues[i], (T) spellingsAndValues[i + 1]);
        }
        return Collections.unmodifiableMap(map);
    }
}
