package io.stapled.haproxy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A frontend's {@code http-request redirect|return} and {@code use_backend} rules as stapled routes.
 * HAProxy runs the redirect and return rules first, then the first {@code use_backend} whose condition
 * holds, then {@code default_backend}; stapled has one ordered list. An {@code if} whose condition is an
 * OR of several terms becomes one route per term (or one route with a list, where the terms test one
 * key). An {@code unless C} becomes, for the requests where C holds, the rules after it restricted to C
 * and a route to where those requests would end up, then the rule itself as a catch-all; an
 * {@code if a !b} likewise, with {@code a} where the catch-all would be.
 */
final class RouteBuilder {
    private static final int MAX_ROUTES = 500;

    private final Conditions conditions;
    private final Report report;
    private final UnaryOperator<String> backendName;
    private final boolean http;

    /** {@code exception}: where the rule does not apply although {@code condition} holds (its "!" ACLs), or null. */
    private record Rule(HaproxyLine line, List<Map<String, Object>> condition, List<Map<String, Object>> exception,
            boolean unless, Object action) { }

    private record Route(Map<String, Object> term, Object action, HaproxyLine line) { }

    RouteBuilder(Conditions conditions, Report report, UnaryOperator<String> backendName, boolean http) {
        this.conditions = conditions;
        this.report = report;
        this.backendName = backendName;
        this.http = http;
    }

    void build(YamlTree.Map fe, List<HaproxyLine> localRules, List<HaproxyLine> backendRules, String defaultBackend,
            HaproxyLine defaultLine) {
        List<Rule> rules = new ArrayList<>();
        if (http) {
            localRules.forEach(l -> rule(l, true).ifPresent(rules::add));
        } else {
            localRules.forEach(l -> report.skip(l, "http-request rules do not apply in mode tcp"));
        }
        backendRules.forEach(l -> rule(l, false).ifPresent(rules::add));
        Object fallback = defaultBackend;
        List<Route> routes = new ArrayList<>();
        try {
            expand(rules, 0, Map.of(), fallback, routes);
        } catch (Untranslatable e) {
            report.skip(rules.get(0).line(), e.getMessage());
            return;
        }
        // a route with the very conditions of one before it can never match: the expansion of "unless" and
        // "!" makes such copies, which would only confuse a reader
        List<Map<String, Object>> seen = new ArrayList<>();
        routes.removeIf(r -> {
            boolean dead = seen.contains(r.term());
            seen.add(r.term());
            return dead;
        });
        Route last = routes.isEmpty() ? null : routes.get(routes.size() - 1);
        boolean catchAll = last != null && last.term().isEmpty();
        if (catchAll) {
            routes.remove(routes.size() - 1);
        }
        if (!routes.isEmpty()) {
            YamlTree.Seq seq = new YamlTree.Seq();
            for (Route r : routes) {
                seq.add(route(r), r.line() == null ? null : r.line().where() + ": " + r.line().text());
            }
            fe.put("routes", seq);
        }
        if (catchAll && last.action() instanceof String backend) {
            fe.put("default_backend", backend, last.line() == null ? "from " + defaultLine.where()
                    : "from " + last.line().where());
        } else if (catchAll) {
            YamlTree.Map answer = (YamlTree.Map) last.action();
            String key = answer.get("redirect") != null ? "redirect" : "return";
            fe.put(key, answer.get(key), "from " + last.line().where() + ": " + last.line().text());
        }
    }

    private Optional<Rule> rule(HaproxyLine line, boolean local) {
        try {
            List<String> words = line.words();
            int cond = -1;
            for (int i = local ? 2 : 1; i < words.size(); i++) {
                if (words.get(i).equals("if") || words.get(i).equals("unless")) {
                    cond = i;
                    break;
                }
            }
            List<String> body = words.subList(local ? 2 : 1, cond < 0 ? words.size() : cond);
            boolean unless = cond >= 0 && words.get(cond).equals("unless");
            List<Map<String, Object>> condition = Conditions.ALWAYS;
            List<Map<String, Object>> exception = null;
            if (unless) {
                condition = conditions.parse(words.subList(cond + 1, words.size()));
            } else if (cond >= 0) {
                Conditions.Parsed parsed = conditions.parseWithException(words.subList(cond + 1, words.size()));
                condition = parsed.positive();
                exception = parsed.exception();
            }
            Object action;
            if (!local) {
                if (body.size() != 1) {
                    throw new Untranslatable("use_backend takes one backend name");
                }
                if (body.get(0).contains("%[")) {
                    throw new Untranslatable("a backend name from a sample fetch is not translated");
                }
                action = backendName.apply(body.get(0));
            } else if (line.word(1).equals("redirect")) {
                action = new YamlTree.Map().put("redirect", redirect(body));
            } else {
                action = new YamlTree.Map().put("return", answer(body));
            }
            return Optional.of(new Rule(line, Conditions.collapse(condition), exception, unless, action));
        } catch (Untranslatable e) {
            report.skip(line, e.getMessage());
            return Optional.empty();
        }
    }

    /** Routes for {@code rules[from..]} where {@code restrict} holds, ending in {@code fallback}. */
    private void expand(List<Rule> rules, int from, Map<String, Object> restrict, Object fallback, List<Route> out)
            throws Untranslatable {
        for (int j = from; j < rules.size(); j++) {
            Rule rule = rules.get(j);
            if (rule.unless()) {
                for (Map<String, Object> exception : Conditions.and(List.of(restrict), rule.condition())) {
                    expand(rules, j + 1, exception, fallback, out);
                    if (exception.equals(restrict)) {
                        return;
                    }
                }
                add(out, new Route(restrict, rule.action(), rule.line()));
                return;
            }
            for (Map<String, Object> term : Conditions.and(List.of(restrict), rule.condition())) {
                if (rule.exception() != null) {
                    // "if a !b": where b holds too, the rules after this one decide
                    boolean covered = false;
                    for (Map<String, Object> e : Conditions.and(List.of(term), rule.exception())) {
                        expand(rules, j + 1, e, fallback, out);
                        covered |= e.equals(term);
                    }
                    if (covered) {
                        continue;
                    }
                }
                add(out, new Route(term, rule.action(), rule.line()));
                if (term.equals(restrict)) {
                    return;
                }
            }
        }
        if (!restrict.isEmpty()) {
            if (fallback == null) {
                add(out, new Route(restrict, new YamlTree.Map().put("return", new YamlTree.Map().put("status", 503)),
                        null));
            } else {
                add(out, new Route(restrict, fallback, null));
            }
        } else if (fallback != null) {
            add(out, new Route(restrict, fallback, null));
        }
    }

    private static void add(List<Route> out, Route r) throws Untranslatable {
        if (out.size() >= MAX_ROUTES) {
            throw new Untranslatable("the unless conditions expand to more than " + MAX_ROUTES + " routes");
        }
        out.add(r);
    }

    private static YamlTree.Map route(Route r) {
        YamlTree.Map m = new YamlTree.Map();
        for (Map.Entry<String, Object> e : r.term().entrySet()) {
            m.put(e.getKey(), value(e.getValue()));
        }
        if (r.action() instanceof String backend) {
            m.put("backend", backend);
        } else {
            YamlTree.Map a = (YamlTree.Map) r.action();
            String key = a.get("redirect") != null ? "redirect" : "return";
            m.put(key, a.get(key));
        }
        return m;
    }

    @SuppressWarnings("unchecked")
    private static Object value(Object v) {
        if (v instanceof List<?> l) {
            return YamlTree.Seq.of(l);
        }
        if (v instanceof Map<?, ?> map) {
            YamlTree.Map m = new YamlTree.Map();
            for (String k : List.of("name", "value", "regex")) {
                if (map.get(k) != null) {
                    m.put(k, map.get(k));
                }
            }
            return m;
        }
        return v;
    }

    /** {@code scheme|location|prefix X [code N] [drop-query]}. */
    private static YamlTree.Map redirect(List<String> body) throws Untranslatable {
        if (body.size() < 2 || !List.of("scheme", "location", "prefix").contains(body.get(0))) {
            throw new Untranslatable("redirect needs scheme, location or prefix and its value");
        }
        String kind = body.get(0);
        String target = body.get(1);
        if (target.contains("%")) {
            throw new Untranslatable("a redirect target with log-format variables is not translated");
        }
        YamlTree.Map r = new YamlTree.Map().put(kind, target);
        for (int i = 2; i < body.size(); i++) {
            String w = body.get(i);
            switch (w) {
                case "code" -> {
                    if (i + 1 >= body.size()) {
                        throw new Untranslatable("code without a value");
                    }
                    r.put("code", FrontendTranslator.integer(body.get(++i)));
                }
                case "drop-query" -> {
                    if (!kind.equals("location")) {
                        r.put("drop_query", true);
                    }
                }
                default -> throw new Untranslatable("redirect option " + w + " is not translated");
            }
        }
        return r;
    }

    /** {@code [status N] [content-type T] [string S]}. */
    private static YamlTree.Map answer(List<String> body) throws Untranslatable {
        YamlTree.Map r = new YamlTree.Map();
        for (int i = 0; i < body.size(); i++) {
            String w = body.get(i);
            if (i + 1 >= body.size()) {
                throw new Untranslatable("return option " + w + " without its value");
            }
            String v = body.get(++i);
            switch (w) {
                case "status" -> r.put("status", FrontendTranslator.integer(v));
                case "content-type" -> r.put("content_type", v);
                case "string" -> r.put("body", v);
                default -> throw new Untranslatable("return " + w + " is not translated (status, content-type and "
                        + "string only)");
            }
        }
        return r;
    }
}
