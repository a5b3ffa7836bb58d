package io.stapled.config;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks that names of one kind (frontends, backends, the servers of one backend) are well-formed and
 * unique. Names appear in logs, metrics labels and runtime-API commands ({@code backend/server}), hence
 * the conservative alphabet.
 */
final class UniqueNames {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    private final String kind;
    private final Map<String, Integer> firstLine = new HashMap<>();

    UniqueNames(String kind) {
        this.kind = kind;
    }

    /** Reads the required {@code name} key of {@code map}, reporting bad or repeated names. */
    String read(YamlMap map) {
        YamlValue value = map.required("name");
        if (value == null) {
            return null;
        }
        String name = value.string();
        if (name == null) {
            return null;
        }
        if (!NAME.matcher(name).matches()) {
            value.error("a " + kind + " name is 1 to 64 letters, digits, '_', '.' or '-' and starts with a letter "
                    + "or digit, got " + value.describe());
            return name;
        }
        Integer previous = firstLine.putIfAbsent(name, value.line());
        if (previous != null) {
            value.error("duplicate " + kind + " name \"" + name + "\" (first used on line " + previous + ")");
        }
        return name;
    }

    boolean contains(String name) {
        return firstLine.containsKey(name);
    }
}
