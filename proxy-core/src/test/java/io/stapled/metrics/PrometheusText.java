package io.stapled.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests: HELP and TYPE lines, samples
 * with escaped label values, NaN/+Inf/-Inf, optional timestamps. It rejects what Prometheus would
 * reject (bad names, bad escapes, duplicate series, a TYPE after its samples, a family split in two,
 * histogram buckets that are not cumulative or lack {@code +Inf} = {@code _count}).
 */
public final class PrometheusText {
    /** One sample line. */
    public record Sample(String name, Map<String, String> labels, double value, String family) { }

    /** A metric family declared by TYPE (or implied by a bare sample, as untyped). */
    record Family(String name, String type, String help) { }

    private final List<Sample> samples;
    private final Map<String, Family> families;

    private PrometheusText(List<Sample> samples, Map<String, Family> families) {
        this.samples = samples;
        this.families = families;
    }

    public List<Sample> samples() {
        return samples;
    }

    Map<String, Family> families() {
        return families;
    }

    Family family(String name) {
        Family f = families.get(name);
        if (f == null) {
            throw new AssertionError("no metric family " + name + "; have " + new TreeMap<>(families).keySet());
        }
        return f;
    }

    /** The samples named {@code name} whose labels include all of {@code labels} (name, value, name, value...). */
    public List<Sample> find(String name, String... labels) {
        Map<String, String> want = pairs(labels);
        List<Sample> out = new ArrayList<>();
        for (Sample s : samples) {
            if (s.name.equals(name) && s.labels.entrySet().containsAll(want.entrySet())) {
                out.add(s);
            }
        }
        return out;
    }

    /** The value of the one sample matching; fails if there is none or more than one. */
    public double value(String name, String... labels) {
        List<Sample> found = find(name, labels);
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " samples of " + name + " " + pairs(labels) + ": " + found
                    + "\nsame name: " + samples.stream().filter(s -> s.name.equals(name)).map(Sample::labels)
                    .collect(Collectors.toList()));
        }
        return found.get(0).value;
    }

    /** The value of the one sample matching, or {@code absent} when there is none. */
    public double valueOr(String name, double absent, String... labels) {
        List<Sample> found = find(name, labels);
        if (found.isEmpty()) {
            return absent;
        }
        return value(name, labels);
    }

    private static Map<String, String> pairs(String... labels) {
        if (labels.length % 2 != 0) {
            throw new IllegalArgumentException("labels come in name/value pairs");
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            m.put(labels[i], labels[i + 1]);
        }
        return m;
    }

    public static PrometheusText parse(String text) {
        return new Parser(text).parse();
    }

    private static final class Parser {
        private static final List<String> TYPES = List.of("counter", "gauge", "histogram", "summary", "untyped");
        private final String text;
        private final Map<String, String> types = new LinkedHashMap<>();
        private final Map<String, String> helps = new LinkedHashMap<>();
        private final Set<String> closedFamilies = new HashSet<>();
        private final Set<String> seriesSeen = new HashSet<>();
        private final List<Sample> samples = new ArrayList<>();
        private String currentFamily;
        private int lineNo;

        Parser(String text) {
            this.text = text;
        }

        PrometheusText parse() {
            if (!text.isEmpty() && !text.endsWith("\n")) {
                throw fail("exposition does not end with a newline");
            }
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length - 1; i++) {
                lineNo = i + 1;
                String line = lines[i];
                if (line.isEmpty()) {
                    continue;
                }
                if (line.startsWith("#")) {
                    comment(line);
                } else {
                    sample(line);
                }
            }
            Map<String, Family> families = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : types.entrySet()) {
                families.put(e.getKey(), new Family(e.getKey(), e.getValue(), helps.get(e.getKey())));
            }
            checkHistograms();
            return new PrometheusText(Collections.unmodifiableList(samples), Collections.unmodifiableMap(families));
        }

        private void comment(String line) {
            String[] parts = line.split(" ", 4);
            if (parts.length < 3 || !parts[0].equals("#") || !(parts[1].equals("HELP") || parts[1].equals("TYPE"))) {
                return; // a plain comment
            }
            String name = parts[2];
            checkMetricName(name);
            if (parts[1].equals("TYPE")) {
                String type = parts.length == 4 ? parts[3] : "";
                if (!TYPES.contains(type)) {
                    throw fail("unknown type '" + type + "' for " + name);
                }
                if (types.containsKey(name)) {
                    throw fail("second TYPE line for " + name);
                }
                if (closedFamilies.contains(name) || seriesSeen.stream().anyMatch(s -> s.startsWith(name + "{"))) {
                    throw fail("TYPE for " + name + " after its samples");
                }
                types.put(name, type);
                enter(name);
            } else {
                if (helps.containsKey(name)) {
                    throw fail("second HELP line for " + name);
                }
                helps.put(name, unescapeHelp(parts.length == 4 ? parts[3] : ""));
                enter(name);
            }
        }

        private void enter(String family) {
            if (currentFamily != null && !currentFamily.equals(family)) {
                closedFamilies.add(currentFamily);
            }
            if (closedFamilies.contains(family)) {
                throw fail("metric family " + family + " is split in two");
            }
            currentFamily = family;
        }

        private void sample(String line) {
            int i = 0;
            int n = line.length();
            while (i < n && isNameChar(line.charAt(i), i == 0, true)) {
                i++;
            }
            String name = line.substring(0, i);
            checkMetricName(name);
            Map<String, String> labels = new TreeMap<>();
            if (i < n && line.charAt(i) == '{') {
                i = labels(line, i + 1, labels);
            }
            if (i >= n || line.charAt(i) != ' ') {
                throw fail("expected a space before the value of " + name);
            }
            String[] rest = line.substring(i + 1).split(" ", -1);
            if (rest.length < 1 || rest.length > 2 || rest[0].isEmpty()) {
                throw fail("bad value/timestamp in '" + line + "'");
            }
            double value = parseValue(rest[0]);
            if (rest.length == 2) {
                try {
                    Long.parseLong(rest[1]);
                } catch (NumberFormatException e) {
                    throw fail("bad timestamp '" + rest[1] + "'");
                }
            }
            String family = familyOf(name);
            enter(family);
            String series = name + labels;
            if (!seriesSeen.add(series)) {
                throw fail("duplicate series " + series);
            }
            samples.add(new Sample(name, Collections.unmodifiableMap(labels), value, family));
        }

        private String familyOf(String name) {
            if (types.containsKey(name)) {
                String t = types.get(name);
                if (t.equals("histogram") || t.equals("summary")) {
                    throw fail("bare sample " + name + " in a " + t + " family");
                }
                return name;
            }
            for (String suffix : List.of("_bucket", "_count", "_sum", "_created", "_total")) {
                if (name.endsWith(suffix)) {
                    String base = name.substring(0, name.length() - suffix.length());
                    String t = types.get(base);
                    if (t == null) {
                        continue;
                    }
                    boolean ok = switch (suffix) {
                        case "_bucket" -> t.equals("histogram");
                        case "_count", "_sum" -> t.equals("histogram") || t.equals("summary");
                        case "_total" -> t.equals("counter");
                        default -> true;
                    };
                    if (!ok) {
                        throw fail("sample " + name + " does not fit the " + t + " family " + base);
                    }
                    return base;
                }
            }
            types.put(name, "untyped"); // no TYPE: untyped, its own family
            return name;
        }

        private int labels(String line, int i, Map<String, String> out) {
            int n = line.length();
            while (true) {
                if (i >= n) {
                    throw fail("unterminated label set");
                }
                if (line.charAt(i) == '}') {
                    return i + 1;
                }
                int start = i;
                while (i < n && isNameChar(line.charAt(i), i == start, false)) {
                    i++;
                }
                String label = line.substring(start, i);
                if (label.isEmpty()) {
                    throw fail("empty label name at column " + i);
                }
                if (i + 1 >= n || line.charAt(i) != '=' || line.charAt(i + 1) != '"') {
                    throw fail("expected =\" after label " + label);
                }
                i += 2;
                StringBuilder value = new StringBuilder();
                while (true) {
                    if (i >= n) {
                        throw fail("unterminated value of label " + label);
                    }
                    char c = line.charAt(i++);
                    if (c == '"') {
                        break;
                    }
                    if (c == '\\') {
                        if (i >= n) {
                            throw fail("dangling escape in label " + label);
                        }
                        char e = line.charAt(i++);
                        switch (e) {
                            case '\\' -> value.append('\\');
                            case '"' -> value.append('"');
                            case 'n' -> value.append('\n');
                            default -> throw fail("bad escape \\" + e + " in label " + label);
                        }
                    } else {
                        value.append(c);
                    }
                }
                if (out.put(label, value.toString()) != null) {
                    throw fail("label " + label + " given twice");
                }
                if (i < n && line.charAt(i) == ',') {
                    i++;
                } else if (i >= n || line.charAt(i) != '}') {
                    throw fail("expected , or } after label " + label);
                }
            }
        }

        private double parseValue(String v) {
            switch (v) {
                case "NaN":
                    return Double.NaN;
                case "+Inf":
                    return Double.POSITIVE_INFINITY;
                case "-Inf":
                    return Double.NEGATIVE_INFINITY;
                default:
                    try {
                        return Double.parseDouble(v);
                    } catch (NumberFormatException e) {
                        throw fail("bad value '" + v + "'");
                    }
            }
        }

        private void checkHistograms() {
            for (Map.Entry<String, String> e : types.entrySet()) {
                if (!e.getValue().equals("histogram")) {
                    continue;
                }
                String base = e.getKey();
                Map<Map<String, String>, List<Sample>> buckets = new LinkedHashMap<>();
                for (Sample s : samples) {
                    if (s.name.equals(base + "_bucket")) {
                        if (!s.labels.containsKey("le")) {
                            throw fail("bucket of " + base + " without le: " + s.labels);
                        }
                        Map<String, String> key = new TreeMap<>(s.labels);
                        key.remove("le");
                        buckets.computeIfAbsent(key, k -> new ArrayList<>()).add(s);
                    }
                }
                for (Map.Entry<Map<String, String>, List<Sample>> b : buckets.entrySet()) {
                    double last = -1;
                    double lastLe = Double.NEGATIVE_INFINITY;
                    boolean inf = false;
                    for (Sample s : b.getValue()) {
                        double le = parseValue(s.labels.get("le"));
                        if (le <= lastLe) {
                            throw fail("buckets of " + base + b.getKey() + " not in increasing le order");
                        }
                        if (s.value < last) {
                            throw fail("buckets of " + base + b.getKey() + " not cumulative at le=" + s.labels.get("le"));
                        }
                        lastLe = le;
                        last = s.value;
                        inf = le == Double.POSITIVE_INFINITY;
                    }
                    if (!inf) {
                        throw fail("histogram " + base + b.getKey() + " has no +Inf bucket");
                    }
                    Sample count = samples.stream()
                            .filter(s -> s.name.equals(base + "_count") && s.labels.equals(b.getKey()))
                            .findFirst().orElseThrow(() -> fail("histogram " + base + b.getKey() + " has no _count"));
                    if (count.value != last) {
                        throw fail("histogram " + base + b.getKey() + ": +Inf bucket " + last + " != _count " + count.value);
                    }
                }
            }
        }

        private static String unescapeHelp(String s) {
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '\\' && i + 1 < s.length()) {
                    char e = s.charAt(++i);
                    out.append(e == 'n' ? '\n' : e == '\\' ? '\\' : e);
                } else {
                    out.append(c);
                }
            }
            return out.toString();
        }

        private void checkMetricName(String name) {
            if (name.isEmpty()) {
                throw fail("empty metric name");
            }
            for (int i = 0; i < name.length(); i++) {
                if (!isNameChar(name.charAt(i), i == 0, true)) {
                    throw fail("bad metric name '" + name + "'");
                }
            }
        }

        private static boolean isNameChar(char c, boolean first, boolean colonAllowed) {
            boolean alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colonAllowed && c == ':');
            return first ? alpha : alpha || (c >= '0' && c <= '9');
        }

        private AssertionError fail(String why) {
            return new AssertionError("Prometheus text line " + lineNo + ": " + why);
        }
    }
}
