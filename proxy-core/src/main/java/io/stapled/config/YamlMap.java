package io.stapled.config;

import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A YAML mapping read key by key. Every key the binder asks for becomes a known key; {@link #finish()}
 * then reports every key present that nobody asked for, with a "did you mean" hint. Typed getters return
 * the default when the key is absent (or {@code ~}) and also when the value is bad, after recording the
 * error, so binding can carry on and find the next problem.
 */
final class YamlMap {

    private final YamlValue self;
    private final Map<String, Entry> entries;
    private final Set<String> known = new LinkedHashSet<>();
    private final boolean valid;

    private record Entry(Node keyNode, YamlValue value) { }

    private YamlMap(YamlValue self, Map<String, Entry> entries, boolean valid) {
        this.self = self;
        this.entries = entries;
        this.valid = valid;
    }

    static YamlMap of(YamlValue self, Node node) {
        if (!(node instanceof MappingNode mapping)) {
            self.error("expected a mapping of keys to values, got " + self.describe());
            return new YamlMap(self, Map.of(), false);
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (NodeTuple tuple : mapping.getValue()) {
            Node keyNode = tuple.getKeyNode();
            int keyLine = keyNode.getStartMark().getLine() + 1;
            if (!(keyNode instanceof ScalarNode scalarKey)) {
                self.context().error(keyLine, self.keyPath(), "keys must be plain words, got a list or mapping as a key");
                continue;
            }
            String key = scalarKey.getValue();
            String keyPath = child(self.keyPath(), key);
            if (keyNode.getTag().equals(Tag.MERGE)) {
                self.context().error(keyLine, self.keyPath(),
                        "YAML merge keys (<<) are not supported; write the keys out");
                continue;
            }
            Entry previous = entries.get(key);
            if (previous != null) {
                self.context().error(keyLine, keyPath, "duplicate key (first set on line "
                        + (previous.keyNode.getStartMark().getLine() + 1) + ")");
                continue;
            }
            entries.put(key, new Entry(keyNode, new YamlValue(tuple.getValueNode(), keyPath, self.context())));
        }
        return new YamlMap(self, entries, true);
    }

    private static String child(String parent, String key) {
        return parent.isEmpty() ? key : parent + "." + key;
    }

    /** False when the value was not a mapping at all (that error is already reported). */
    boolean isValid() {
        return valid;
    }

    YamlValue self() {
        return self;
    }

    boolean has(String key) {
        known.add(key);
        YamlValue v = entries.containsKey(key) ? entries.get(key).value : null;
        return v != null && !v.isNull();
    }

    /** The value of {@code key}, or null when absent or {@code ~}. */
    YamlValue get(String key) {
        return has(key) ? entries.get(key).value : null;
    }

    /** Like {@link #get} but records "missing required key" when there is no value. */
    YamlValue required(String key) {
        YamlValue v = get(key);
        if (v == null && valid) {
            Entry e = entries.get(key);
            int line = e != null ? e.value.line() : self.line();
            self.context().error(line, child(self.keyPath(), key), "missing required key");
        }
        return v;
    }

    /** An error at {@code key}'s line (or this mapping's line when the key is absent). */
    void error(String key, String message) {
        Entry e = entries.get(key);
        int line = e != null ? e.keyNode.getStartMark().getLine() + 1 : self.line();
        self.context().error(line, child(self.keyPath(), key), message);
    }

    String string(String key, String defaultValue) {
        YamlValue v = get(key);
        return orDefault(v == null ? null : v.string(), defaultValue);
    }

    Duration duration(String key, Duration defaultValue) {
        YamlValue v = get(key);
        return orDefault(v == null ? null : v.duration(false), defaultValue);
    }

    Duration durationOrZero(String key, Duration defaultValue) {
        YamlValue v = get(key);
        return orDefault(v == null ? null : v.duration(true), defaultValue);
    }

    int size(String key, int defaultValue, long min, long max) {
        YamlValue v = get(key);
        return orDefault(v == null ? null : v.size(min, max), defaultValue);
    }

    int integer(String key, int defaultValue, int min, int max) {
        YamlValue v = get(key);
        return orDefault(v == null ? null : v.integer(min, max), defaultValue);
    }

    boolean bool(String key, boolean defaultValue) {
        YamlValue v = get(key);
        return orDefault(v == null ? null : v.bool(), defaultValue);
    }

    <T> T choice(String key, Map<String, T> choices, T defaultValue) {
        YamlValue v = get(key);
        return orDefault(v == null ? null : v.choice(choices), defaultValue);
    }

    /** A list of strings; a single scalar is not accepted (lists are written {@code [a, b]}). */
    List<String> strings(String key, List<String> defaultValue) {
        YamlValue v = get(key);
        if (v == null) {
            return defaultValue;
        }
        List<String> out = new ArrayList<>();
        for (YamlValue item : v.list("a list like [a, b]")) {
            String s = item.string();
            if (s != null) {
                out.add(s.strip());
            }
        }
        return out;
    }

    /** Reports every key present that was never asked for. Call after reading all keys. */
    void finish() {
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            if (known.contains(e.getKey())) {
                continue;
            }
            String hint = KeyHints.closest(e.getKey(), known);
            String message = hint != null
                    ? "unknown key \"" + e.getKey() + "\", did you mean \"" + hint + "\"?"
                    : "unknown key \"" + e.getKey() + "\" (known keys here: " + String.join(", ", known) + ")";
            int line = e.getValue().keyNode.getStartMark().getLine() + 1;
            self.context().error(line, child(self.keyPath(), e.getKey()), message);
        }
    }

    private static <T> T orDefault(T value, T defaultValue) {
        return value != null ? value : defaultValue;
    }
}
