package io.stapled.haproxy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;

/**
 * HAProxy ACL conditions ({@code if|unless} words, named {@code acl} lines, anonymous {@code { }} ACLs)
 * as route conditions, in disjunctive normal form: a list of terms, each a mapping of route keys that
 * must all hold (an AND); the list is their OR. {@code [{}]} always holds, {@code []} never does.
 * Values are String, List of String, Boolean, or Map (a {@code header}/{@code query} condition).
 */
final class Conditions {
    static final List<Map<String, Object>> ALWAYS = List.of(Map.of());
    static final List<Map<String, Object>> NEVER = List.of();

    /** Keys whose list values are exact strings, so that an AND of two is their intersection. */
    private static final Set<String> EXACT_LISTS = Set.of("host", "path", "method", "sni");
    /** Keys whose value may be a list (an OR of one kind). */
    private static final Set<String> LISTABLE = Set.of("host", "path", "path_prefix", "method", "sni", "source");
    private static final Map<String, List<String>> METHOD_ACLS = Map.of(
            "METH_GET", List.of("GET", "HEAD"), "METH_HEAD", List.of("HEAD"), "METH_POST", List.of("POST"),
            "METH_PUT", List.of("PUT"), "METH_DELETE", List.of("DELETE"), "METH_OPTIONS", List.of("OPTIONS"),
            "METH_CONNECT", List.of("CONNECT"), "METH_TRACE", List.of("TRACE"));

    private final Map<String, List<HaproxyLine>> acls;
    private final boolean tls;
    private final boolean http;

    /**
     * @param acls the frontend's named ACLs (each name's lines, OR'd)
     * @param tls  whether the listener this is for terminates TLS ({@code ssl_fc} is then a constant)
     * @param http whether the frontend is in mode http
     */
    Conditions(Map<String, List<HaproxyLine>> acls, boolean tls, boolean http) {
        this.acls = acls;
        this.tls = tls;
        this.http = http;
    }

    /**
     * A condition as a positive part and the negations stapled cannot express as a condition, which the
     * route builder turns into exception routes: it holds where {@code positive} holds and
     * {@code exception} does not. {@code exception} is null when there is none.
     */
    record Parsed(List<Map<String, Object>> positive, List<Map<String, Object>> exception) { }

    /** The condition after {@code if} or {@code unless}, every negation translated or refused. */
    List<Map<String, Object>> parse(List<String> words) throws Untranslatable {
        Parsed p = parseWithException(words);
        if (p.exception() != null) {
            throw new Untranslatable("stapled routes cannot negate a condition (\"!\" or \"unless\" on it)");
        }
        return p.positive();
    }

    /**
     * The condition after {@code if}: as {@link #parse}, except that in a condition without {@code or},
     * negated ACLs stapled cannot negate are returned as the exception ({@code a !b !c}: a, except where
     * b or c holds).
     */
    Parsed parseWithException(List<String> words) throws Untranslatable {
        List<Map<String, Object>> result = new ArrayList<>();
        List<Map<String, Object>> term = ALWAYS;
        List<Map<String, Object>> exception = null;
        int i = 0;
        boolean any = false;
        while (i < words.size()) {
            String w = words.get(i);
            if (w.equals("or") || w.equals("||")) {
                if (!any) {
                    throw new Untranslatable("an empty condition before \"" + w + "\"");
                }
                result.addAll(term);
                term = ALWAYS;
                any = false;
                i++;
                continue;
            }
            boolean negate = false;
            if (w.startsWith("!")) {
                negate = true;
                w = w.substring(1);
                if (w.isEmpty()) {
                    i++;
                    w = i < words.size() ? words.get(i) : "";
                }
            }
            List<Map<String, Object>> operand;
            if (w.equals("{")) {
                int close = words.subList(i, words.size()).indexOf("}");
                if (close < 0) {
                    throw new Untranslatable("an anonymous ACL without its closing \"}\"");
                }
                operand = criterion(words.subList(i + 1, i + close));
                i += close + 1;
            } else {
                operand = named(w);
                i++;
            }
            any = true;
            if (negate) {
                List<Map<String, Object>> negated = negatable(operand);
                if (negated == null) {
                    exception = exception == null ? new ArrayList<>() : exception;
                    exception.addAll(operand);
                    continue;
                }
                operand = negated;
            }
            term = and(term, operand);
        }
        if (!any) {
            throw new Untranslatable("an empty condition");
        }
        if (exception != null && !result.isEmpty()) {
            throw new Untranslatable("stapled routes cannot negate a condition (\"!\") within an or");
        }
        result.addAll(term);
        return new Parsed(result, exception == null ? null : collapse(exception));
    }

    private List<Map<String, Object>> named(String name) throws Untranslatable {
        List<String> methods = METHOD_ACLS.get(name);
        if (methods != null) {
            return List.of(Map.of("method", methods));
        }
        switch (name) {
            case "TRUE":
                return ALWAYS;
            case "FALSE":
                return NEVER;
            case "HTTP":
                return http ? ALWAYS : NEVER;
            case "LOCALHOST":
                return List.of(Map.of("source", List.of("127.0.0.0/8")));
            default:
                break;
        }
        List<HaproxyLine> lines = acls.get(name);
        if (lines == null) {
            throw new Untranslatable("no acl named \"" + name + "\" in this section");
        }
        List<Map<String, Object>> or = new ArrayList<>();
        for (HaproxyLine line : lines) {
            try {
                or.addAll(criterion(line.words().subList(2, line.size())));
            } catch (Untranslatable e) {
                throw new Untranslatable("acl " + name + " (" + line.where() + "): " + e.getMessage());
            }
        }
        return collapse(or);
    }

    /** One ACL criterion: {@code fetch [flags] values...}. */
    List<Map<String, Object>> criterion(List<String> words) throws Untranslatable {
        if (words.isEmpty()) {
            throw new Untranslatable("an ACL without a criterion");
        }
        String fetch = words.get(0);
        String method = null;
        boolean ignoreCase = false;
        List<String> values = new ArrayList<>();
        boolean flags = true;
        for (int i = 1; i < words.size(); i++) {
            String w = words.get(i);
            if (flags && w.startsWith("-") && w.length() > 1) {
                switch (w) {
                    case "-i" -> ignoreCase = true;
                    case "-m" -> {
                        if (++i >= words.size()) {
                            throw new Untranslatable("-m without a match method");
                        }
                        method = words.get(i);
                    }
                    case "--" -> flags = false;
                    case "-n" -> { }
                    case "-f" -> throw new Untranslatable("ACL patterns from a file (-f) are not translated: "
                            + "list the values in the condition");
                    default -> throw new Untranslatable("the ACL flag " + w + " is not translated");
                }
            } else {
                flags = false;
                values.add(w);
            }
        }
        String name = fetch;
        String arg = null;
        int paren = fetch.indexOf('(');
        if (paren > 0 && fetch.endsWith(")")) {
            name = fetch.substring(0, paren);
            arg = fetch.substring(paren + 1, fetch.length() - 1);
        }
        if (fetch.contains(",")) {
            throw new Untranslatable("converters (" + fetch + ") are not translated");
        }
        for (String suffix : List.of("_beg", "_end", "_dom", "_reg", "_sub", "_dir", "_len", "_cnt", "_found")) {
            if (name.endsWith(suffix)) {
                name = name.substring(0, name.length() - suffix.length());
                if (method == null) {
                    method = suffix.substring(1);
                }
                break;
            }
        }
        if (name.startsWith("req.") && !name.equals("req.ssl_sni")) {
            name = name.substring(4);
        }
        return switch (name) {
            case "hdr", "fhdr" -> header(arg, method, ignoreCase, values);
            case "path" -> path(method, ignoreCase, values);
            case "src" -> {
                need(values, fetch);
                yield one("source", values);
            }
            case "ssl_fc_sni", "req.ssl_sni", "req_ssl_sni" -> sni(method, values, fetch);
            case "method" -> {
                need(values, fetch);
                yield one("method", values.stream().map(v -> v.toUpperCase(Locale.ROOT)).toList());
            }
            case "ssl_fc" -> {
                if (!values.isEmpty()) {
                    throw new Untranslatable("ssl_fc takes no value");
                }
                yield tls ? ALWAYS : NEVER;
            }
            case "ssl_c_verify" -> {
                if (!values.equals(List.of("0"))) {
                    throw new Untranslatable("ssl_c_verify is translated only as \"ssl_c_verify 0\" "
                            + "(client_verified: true): stapled knows verified or not, not the error code");
                }
                yield List.of(Map.of("client_verified", Boolean.TRUE));
            }
            case "urlp" -> query(arg, method, values);
            default -> throw new Untranslatable("the ACL fetch " + fetch + " has no stapled route condition");
        };
    }

    private List<Map<String, Object>> header(String arg, String method, boolean ignoreCase, List<String> values)
            throws Untranslatable {
        if (arg == null || arg.isEmpty() || arg.contains(",")) {
            throw new Untranslatable("hdr() needs one header name (occurrences are not translated)");
        }
        String m = method == null ? "str" : method;
        if (arg.equalsIgnoreCase("host")) {
            need(values, "hdr(host)");
            switch (m) {
                case "str":
                    return one("host", values);
                case "end": {
                    List<String> hosts = new ArrayList<>();
                    for (String v : values) {
                        if (!v.startsWith(".")) {
                            throw new Untranslatable("hdr_end(host) " + v + " also matches names that merely end in "
                                    + "those letters; only a suffix starting with \".\" is a *.suffix host");
                        }
                        hosts.add("*" + v);
                    }
                    return one("host", hosts);
                }
                case "dom": {
                    List<String> hosts = new ArrayList<>();
                    for (String v : values) {
                        hosts.add(v);
                        hosts.add("*." + v);
                    }
                    return one("host", hosts);
                }
                case "reg":
                    return List.of(Map.of("host_regex", regex(values)));
                case "beg":
                    return List.of(Map.of("host_regex", "^(?:" + String.join("|", quoted(values)) + ")"));
                default:
                    throw new Untranslatable("hdr(host) with match method " + m + " is not translated");
            }
        }
        if (m.equals("found")) {
            if (!values.isEmpty()) {
                throw new Untranslatable("-m found takes no value");
            }
            return List.of(Map.of("header", Map.of("name", arg)));
        }
        if (ignoreCase) {
            throw new Untranslatable("stapled compares header values case-sensitively (-i)");
        }
        if (m.equals("str")) {
            List<Map<String, Object>> or = new ArrayList<>();
            need(values, "hdr(" + arg + ")");
            for (String v : values) {
                or.add(Map.of("header", Map.of("name", arg, "value", v)));
            }
            return or;
        }
        if (m.equals("reg")) {
            return List.of(Map.of("header", Map.of("name", arg, "regex", regex(values))));
        }
        throw new Untranslatable("hdr(" + arg + ") with match method " + m + " is not translated");
    }

    private List<Map<String, Object>> path(String method, boolean ignoreCase, List<String> values)
            throws Untranslatable {
        need(values, "path");
        if (ignoreCase) {
            throw new Untranslatable("stapled compares paths case-sensitively (-i)");
        }
        String m = method == null ? "str" : method;
        return switch (m) {
            case "str" -> one("path", values);
            case "beg" -> one("path_prefix", values);
            case "reg" -> List.of(Map.of("path_regex", regex(values)));
            case "end" -> List.of(Map.of("path_regex", "(?:" + String.join("|", quoted(values)) + ")$"));
            default -> throw new Untranslatable("path with match method " + m + " is not translated");
        };
    }

    private List<Map<String, Object>> sni(String method, List<String> values, String fetch) throws Untranslatable {
        need(values, fetch);
        String m = method == null ? "str" : method;
        switch (m) {
            case "str":
                return one("sni", values);
            case "end": {
                List<String> names = new ArrayList<>();
                for (String v : values) {
                    if (!v.startsWith(".")) {
                        throw new Untranslatable(fetch + " -m end " + v + ": only a suffix starting with \".\" is a "
                                + "*.suffix name");
                    }
                    names.add("*" + v);
                }
                return one("sni", names);
            }
            case "reg":
                return List.of(Map.of("sni_regex", regex(values)));
            default:
                throw new Untranslatable(fetch + " with match method " + m + " is not translated");
        }
    }

    private List<Map<String, Object>> query(String arg, String method, List<String> values) throws Untranslatable {
        if (arg == null || arg.isEmpty()) {
            throw new Untranslatable("urlp() needs a parameter name");
        }
        String m = method == null ? "str" : method;
        if (m.equals("found")) {
            return List.of(Map.of("query", Map.of("name", arg)));
        }
        need(values, "urlp(" + arg + ")");
        if (m.equals("str") && values.size() == 1) {
            return List.of(Map.of("query", Map.of("name", arg, "value", values.get(0))));
        }
        if (m.equals("reg")) {
            return List.of(Map.of("query", Map.of("name", arg, "regex", regex(values))));
        }
        throw new Untranslatable("urlp(" + arg + ") with match method " + m + " is not translated");
    }

    private static List<Map<String, Object>> one(String key, List<String> values) {
        return List.of(Map.of(key, values.size() == 1 ? values.get(0) : List.copyOf(values)));
    }

    private static void need(List<String> values, String fetch) throws Untranslatable {
        if (values.isEmpty()) {
            throw new Untranslatable(fetch + " without a value to match");
        }
    }

    /** One RE2 pattern matching any of {@code values}, refused where RE2 cannot compile one (PCRE-only syntax). */
    private static String regex(List<String> values) throws Untranslatable {
        need(values, "a regex match");
        String joined = values.size() == 1 ? values.get(0) : "(?:" + String.join(")|(?:", values) + ")";
        try {
            Pattern.compile(joined);
        } catch (PatternSyntaxException e) {
            throw new Untranslatable("the regex is not RE2 syntax (no backreferences or lookaround): "
                    + e.getMessage());
        }
        return joined;
    }

    private static List<String> quoted(List<String> values) {
        List<String> q = new ArrayList<>();
        for (String v : values) {
            StringBuilder sb = new StringBuilder();
            for (char c : v.toCharArray()) {
                if ("\\.+*?()|[]{}^$".indexOf(c) >= 0) {
                    sb.append('\\');
                }
                sb.append(c);
            }
            q.add(sb.toString());
        }
        return q;
    }

    /** The negation of {@code c} as a condition, or null where stapled has none. */
    private static List<Map<String, Object>> negatable(List<Map<String, Object>> c) {
        if (c.isEmpty()) {
            return ALWAYS;
        }
        if (c.equals(ALWAYS)) {
            return NEVER;
        }
        if (c.size() == 1 && c.get(0).size() == 1 && c.get(0).get("client_verified") instanceof Boolean b) {
            return List.of(Map.of("client_verified", !b));
        }
        return null;
    }

    /** The AND of two conditions: every pair of terms merged; pairs that cannot both hold dropped. */
    static List<Map<String, Object>> and(List<Map<String, Object>> a, List<Map<String, Object>> b)
            throws Untranslatable {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> x : a) {
            for (Map<String, Object> y : b) {
                Map<String, Object> merged = merge(x, y);
                if (merged != null) {
                    out.add(merged);
                }
            }
        }
        return out;
    }

    /** Two terms as one, or null when no request satisfies both. */
    private static Map<String, Object> merge(Map<String, Object> x, Map<String, Object> y) throws Untranslatable {
        Map<String, Object> m = new LinkedHashMap<>(x);
        for (Map.Entry<String, Object> e : y.entrySet()) {
            Object mine = m.get(e.getKey());
            if (mine == null || mine.equals(e.getValue())) {
                m.put(e.getKey(), e.getValue());
                continue;
            }
            String key = e.getKey();
            if (EXACT_LISTS.contains(key) && !hasWildcard(mine) && !hasWildcard(e.getValue())) {
                List<String> both = new ArrayList<>(list(mine));
                both.retainAll(list(e.getValue()));
                if (both.isEmpty()) {
                    return null;
                }
                m.put(key, both.size() == 1 ? both.get(0) : both);
            } else if (key.equals("path_prefix") && mine instanceof String p && e.getValue() instanceof String q) {
                if (p.startsWith(q)) {
                    m.put(key, p);
                } else if (q.startsWith(p)) {
                    m.put(key, q);
                } else {
                    return null;
                }
            } else {
                throw new Untranslatable("two different " + key + " conditions would have to hold in one route");
            }
        }
        return m;
    }

    private static boolean hasWildcard(Object v) {
        return list(v).stream().anyMatch(s -> s.startsWith("*"));
    }

    @SuppressWarnings("unchecked")
    private static List<String> list(Object v) {
        return v instanceof List<?> l ? (List<String>) l : List.of((String) v);
    }

    /**
     * Terms that each test one key, the same listable one, as one term with the values listed (HAProxy's
     * OR as a list); anything else stays one term per route.
     */
    static List<Map<String, Object>> collapse(List<Map<String, Object>> dnf) {
        if (dnf.size() < 2) {
            return dnf;
        }
        String key = null;
        List<String> values = new ArrayList<>();
        for (Map<String, Object> t : dnf) {
            if (t.size() != 1) {
                return dnf;
            }
            String k = t.keySet().iterator().next();
            if (!LISTABLE.contains(k) || (key != null && !key.equals(k))) {
                return dnf;
            }
            key = k;
            for (String v : list(t.get(k))) {
                if (!values.contains(v)) {
                    values.add(v);
                }
            }
        }
        return List.of(Map.of(key, values.size() == 1 ? values.get(0) : List.copyOf(values)));
    }
}
