package io.stapled.haproxy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The YAML the importer writes, built in order and written as block YAML with a comment above an entry
 * where one was given (the HAProxy line it came from). Values are {@link Map}, {@link Seq}, String,
 * Number or Boolean. A small writer rather than SnakeYAML's emitter, which cannot place comments.
 */
final class YamlTree {
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_/.][A-Za-z0-9_/.+@=-]*(?::[A-Za-z0-9_/.+@=-]+)*");
    private static final Set<String> RESERVED = Set.of("true", "false", "yes", "no", "on", "off", "null", "y", "n");
    private static final Pattern NUMBERLIKE = Pattern.compile("[-+]?[0-9._]+([eE][-+]?[0-9]+)?|0x[0-9a-fA-F]+|0o[0-7]+");

    private YamlTree() {
    }

    /** An ordered mapping; putting an existing key replaces its value in place. */
    static final class Map {
        private final List<Entry> entries = new ArrayList<>();

        Map put(String key, Object value) {
            return put(key, value, null);
        }

        Map put(String key, Object value, String comment) {
            for (Entry e : entries) {
                if (e.key.equals(key)) {
                    e.value = value;
                    return this;
                }
            }
            entries.add(new Entry(key, value, comment));
            return this;
        }

        void remove(String key) {
            entries.removeIf(e -> e.key.equals(key));
        }

        Object get(String key) {
            for (Entry e : entries) {
                if (e.key.equals(key)) {
                    return e.value;
                }
            }
            return null;
        }

        /** The mapping at {@code key}, made empty there first if absent. */
        Map map(String key) {
            Object v = get(key);
            if (v instanceof Map m) {
                return m;
            }
            Map m = new Map();
            put(key, m);
            return m;
        }

        /** The sequence at {@code key}, made empty there first if absent. */
        Seq seq(String key) {
            Object v = get(key);
            if (v instanceof Seq s) {
                return s;
            }
            Seq s = new Seq();
            put(key, s);
            return s;
        }

        boolean isEmpty() {
            return entries.isEmpty();
        }

        /** A deep copy of this mapping (the scalars shared). */
        Map copy() {
            Map m = new Map();
            for (Entry e : entries) {
                m.put(e.key, copyOf(e.value), e.comment);
            }
            return m;
        }
    }

    /** A sequence; each item may carry a comment. */
    static final class Seq {
        private final List<Object> items = new ArrayList<>();
        private final List<String> comments = new ArrayList<>();

        Seq add(Object value) {
            return add(value, null);
        }

        Seq add(Object value, String comment) {
            items.add(value);
            comments.add(comment);
            return this;
        }

        boolean isEmpty() {
            return items.isEmpty();
        }

        static Seq of(List<?> values) {
            Seq s = new Seq();
            values.forEach(s::add);
            return s;
        }
    }

    private static final class Entry {
        final String key;
        Object value;
        final String comment;

        Entry(String key, Object value, String comment) {
            this.key = key;
            this.value = value;
            this.comment = comment;
        }
    }

    private static Object copyOf(Object v) {
        if (v instanceof Map m) {
            return m.copy();
        }
        if (v instanceof Seq s) {
            Seq c = new Seq();
            for (int i = 0; i < s.items.size(); i++) {
                c.add(copyOf(s.items.get(i)), s.comments.get(i));
            }
            return c;
        }
        return v;
    }

    /** The document, {@code header} lines first as comments. */
    static String write(Map root, List<String> header) {
        StringBuilder out = new StringBuilder();
        header.forEach(h -> out.append("# ").append(h).append('\n'));
        writeMap(root, 0, out);
        return out.toString();
    }

    private static void writeMap(Map m, int indent, StringBuilder out) {
        for (Entry e : m.entries) {
            comment(e.comment, indent, out);
            pad(indent, out);
            out.append(scalar(e.key)).append(':');
            writeValue(e.value, indent, out);
        }
    }

    private static void writeValue(Object v, int indent, StringBuilder out) {
        if (v instanceof Map m) {
            if (m.isEmpty()) {
                out.append(" {}\n");
            } else {
                out.append('\n');
                writeMap(m, indent + 2, out);
            }
        } else if (v instanceof Seq s) {
            if (s.isEmpty()) {
                out.append(" []\n");
            } else if (isFlat(s)) {
                out.append(" [");
                for (int i = 0; i < s.items.size(); i++) {
                    out.append(i == 0 ? "" : ", ").append(scalar(s.items.get(i)));
                }
                out.append("]\n");
            } else {
                out.append('\n');
                writeSeq(s, indent + 2, out);
            }
        } else {
            out.append(' ').append(scalar(v)).append('\n');
        }
    }

    private static boolean isFlat(Seq s) {
        for (int i = 0; i < s.items.size(); i++) {
            if (s.items.get(i) instanceof Map || s.items.get(i) instanceof Seq || s.comments.get(i) != null) {
                return false;
            }
        }
        return true;
    }

    private static void writeSeq(Seq s, int indent, StringBuilder out) {
        for (int i = 0; i < s.items.size(); i++) {
            comment(s.comments.get(i), indent, out);
            Object item = s.items.get(i);
            if (item instanceof Map m && !m.isEmpty()) {
                // the first entry's comment goes above the "- ", where a reader looks for it
                Entry first = m.entries.get(0);
                comment(first.comment, indent, out);
                Map rest = new Map();
                rest.entries.add(new Entry(first.key, first.value, null));
                rest.entries.addAll(m.entries.subList(1, m.entries.size()));
                pad(indent, out);
                out.append("- ");
                StringBuilder inner = new StringBuilder();
                writeMap(rest, indent + 2, inner);
                out.append(inner.substring(indent + 2));
            } else if (item instanceof Seq || item instanceof Map) {
                pad(indent, out);
                out.append("-");
                writeValue(item, indent, out);
            } else {
                pad(indent, out);
                out.append("- ").append(scalar(item)).append('\n');
            }
        }
    }

    private static void comment(String comment, int indent, StringBuilder out) {
        if (comment == null) {
            return;
        }
        for (String line : comment.split("\n")) {
            pad(indent, out);
            out.append("# ").append(line.replace('\r', ' ')).append('\n');
        }
    }

    private static void pad(int indent, StringBuilder out) {
        out.append(" ".repeat(indent));
    }

    /** A scalar: plain where YAML reads it back as the same string, else double-quoted. */
    static String scalar(Object v) {
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        String s = (String) v;
        if (PLAIN.matcher(s).matches() && !RESERVED.contains(s.toLowerCase(Locale.ROOT))
                && !NUMBERLIKE.matcher(s).matches()) {
            return s;
        }
        StringBuilder q = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> q.append("\\\"");
                case '\\' -> q.append("\\\\");
                case '\n' -> q.append("\\n");
                case '\r' -> q.append("\\r");
                case '\t' -> q.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        q.append(String.format("\\x%02x", (int) c));
                    } else {
                        q.append(c);
                    }
                }
            }
        }
        return q.append('"').toString();
    }
}
