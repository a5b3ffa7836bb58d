package io.stapled.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.google.re2j.Pattern;

/**
 * Binds {@code request_headers:} and {@code response_headers:} (of a frontend or a route), a
 * frontend's {@code hsts:} and {@code request_id:}. Templates are compiled here, so an unknown fetch
 * or a stray {@code %} is an error at its line, and a request never parses one.
 */
final class HeaderRulesBinder {
    private static final Pattern TOKEN = Pattern.compile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$");
    private static final Map<String, HeaderTemplate.Kind> FETCHES;
    /** Headers that frame the message or the connection: a rule changing them would desynchronise it. */
    static final java.util.Set<String> FRAMING = java.util.Set.of("content-length", "transfer-encoding",
            "connection", "upgrade", "keep-alive", "te", "trailer", "proxy-connection");
    /** HSTS preload lists refuse less than a year (hstspreload.org). */
    private static final long YEAR_SECONDS = 365L * 24 * 3600;

    static {
        Map<String, HeaderTemplate.Kind> m = new java.util.HashMap<>();
        for (HeaderTemplate.Kind k : HeaderTemplate.Kind.values()) {
            m.put(k.haproxyName(), k);
        }
        FETCHES = Map.copyOf(m);
    }

    private HeaderRulesBinder() { }

    /** {@code hstsRule} (or null) is appended to the response rules, so it wins over them. */
    static HeaderRules bind(YamlMap m, boolean plain, HeaderRule hstsRule) {
        List<HeaderRule> request = rules(m.get("request_headers"), plain);
        List<HeaderRule> response = rules(m.get("response_headers"), plain);
        if (hstsRule != null) {
            response.add(hstsRule);
        }
        return new HeaderRules(request, response);
    }

    /** A frontend's {@code after_response_headers}: the same rules, run on every response it sends. */
    static List<HeaderRule> afterResponse(YamlMap frontend, boolean plain) {
        return rules(frontend.get("after_response_headers"), plain);
    }

    private static List<HeaderRule> rules(YamlValue value, boolean plain) {
        List<HeaderRule> rules = new ArrayList<>();
        if (value == null) {
            return rules;
        }
        for (YamlValue item : value.list("a list of rules like [{ set: X-Forwarded-Port, value: \"443\" }, "
                + "{ delete: Server }]")) {
            HeaderRule rule = rule(item, plain);
            if (rule != null) {
                rules.add(rule);
            }
        }
        return rules;
    }

    private static HeaderRule rule(YamlValue item, boolean plain) {
        YamlMap m = item.map();
        if (!m.isValid()) {
            return null;
        }
        YamlValue set = m.get("set");
        YamlValue add = m.get("add");
        YamlValue delete = m.get("delete");
        YamlValue deleteRegex = m.get("delete_regex");
        YamlValue value = m.get("value");
        m.finish();
        List<String> kinds = new ArrayList<>();
        for (var e : List.of(Map.entry("set", java.util.Optional.ofNullable(set)),
                Map.entry("add", java.util.Optional.ofNullable(add)),
                Map.entry("delete", java.util.Optional.ofNullable(delete)),
                Map.entry("delete_regex", java.util.Optional.ofNullable(deleteRegex)))) {
            if (e.getValue().isPresent()) {
                kinds.add(e.getKey());
            }
        }
        if (kinds.size() != 1) {
            item.error(kinds.isEmpty() ? "a header rule needs one of set, add, delete or delete_regex"
                    : "conflicting keys: a header rule takes one of set, add, delete or delete_regex, got "
                    + String.join(" and ", kinds));
            return null;
        }
        if (deleteRegex != null) {
            if (value != null) {
                m.error("value", "delete_regex removes headers; it takes no value");
                return null;
            }
            Pattern p = RouteBinder.regex(deleteRegex, Pattern.CASE_INSENSITIVE);
            return p == null ? null : new HeaderRule.DeleteRegex(p);
        }
        YamlValue nameValue = set != null ? set : add != null ? add : delete;
        String name = headerName(nameValue);
        if (name != null && FRAMING.contains(name)) {
            nameValue.error(name + " frames the message and is stapled's to set; a rule cannot change it");
            return null;
        }
        if (delete != null) {
            if (value != null) {
                m.error("value", "delete removes a header; it takes no value");
                return null;
            }
            return name == null ? null : new HeaderRule.Delete(name);
        }
        if (value == null) {
            item.error((set != null ? "set" : "add") + " needs a value (a template like \"%[src]\")");
            return null;
        }
        HeaderTemplate template = template(value, plain);
        if (name == null || template == null) {
            return null;
        }
        return set != null ? new HeaderRule.Set(name, template) : new HeaderRule.Add(name, template);
    }

    private static String headerName(YamlValue v) {
        String name = v.string();
        if (name == null) {
            return null;
        }
        if (!TOKEN.matcher(name).find()) {
            v.error("expected a header name like X-Client-Ip, got " + v.describe());
            return null;
        }
        if (name.startsWith(":")) {
            v.error("pseudo-headers cannot be set");
            return null;
        }
        return name.toLowerCase(Locale.ROOT);
    }

    /** Compiles {@code text %[fetch] text}; {@code %%} is a literal {@code %}. */
    static HeaderTemplate template(YamlValue v, boolean plain) {
        String text = v.scalar("a string");
        if (text == null) {
            return null;
        }
        if (text.chars().anyMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f)) {
            v.error("a header value cannot hold control characters (CR, LF, NUL...)");
            return null;
        }
        List<HeaderTemplate.Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c != '%') {
                literal.append(c);
                i++;
                continue;
            }
            if (i + 1 < text.length() && text.charAt(i + 1) == '%') {
                literal.append('%');
                i += 2;
                continue;
            }
            int end = text.indexOf(']', i);
            if (i + 1 >= text.length() || text.charAt(i + 1) != '[' || end < 0) {
                v.error("at character " + (i + 1) + ": expected %[fetch] or %% for a literal %, in "
                        + v.describe());
                return null;
            }
            HeaderTemplate.Fetch fetch = fetch(v, text.substring(i + 2, end).strip(), plain);
            if (fetch == null) {
                return null;
            }
            if (literal.length() > 0) {
                parts.add(new HeaderTemplate.Literal(literal.toString()));
                literal.setLength(0);
            }
            parts.add(fetch);
            i = end + 1;
        }
        if (literal.length() > 0) {
            parts.add(new HeaderTemplate.Literal(literal.toString()));
        }
        return new HeaderTemplate(parts);
    }

    /** One {@code %[...]} expression (without the brackets), or null after an error on {@code v}. */
    static HeaderTemplate.Fetch fetch(YamlValue v, String expr, boolean plain) {
        String name = expr;
        String arg = null;
        int open = expr.indexOf('(');
        if (open >= 0) {
            if (!expr.endsWith(")")) {
                v.error("unbalanced parenthesis in %[" + expr + "]");
                return null;
            }
            name = expr.substring(0, open).strip();
            arg = expr.substring(open + 1, expr.length() - 1).strip();
        }
        HeaderTemplate.Kind kind = FETCHES.get(name);
        if (kind == null) {
            v.error("unknown fetch %[" + expr + "]; known: " + String.join(", ", FETCHES.keySet().stream()
                    .sorted().map(n -> n.equals("req.hdr") ? "req.hdr(name)" : n).toList()));
            return null;
        }
        if (kind == HeaderTemplate.Kind.REQ_HDR) {
            if (arg == null || arg.isEmpty() || !TOKEN.matcher(arg).find()) {
                v.error("req.hdr needs a header name, as %[req.hdr(host)]");
                return null;
            }
            arg = arg.toLowerCase(Locale.ROOT);
        } else if (arg != null) {
            v.error("%[" + name + "] takes no argument");
            return null;
        }
        if (plain && kind.needsTls()) {
            v.error("%[" + name + "] reads the TLS connection; this frontend is plain HTTP (tls: false)");
            return null;
        }
        return new HeaderTemplate.Fetch(kind, arg);
    }

    /** {@code hsts: { max_age: 1y, include_subdomains: true, preload: false }}, as a set rule. */
    static HeaderRule hsts(YamlMap frontend, boolean plain) {
        YamlValue v = frontend.get("hsts");
        if (v == null) {
            return null;
        }
        if (plain) {
            frontend.error("hsts", "Strict-Transport-Security is ignored by browsers over plain HTTP "
                    + "(RFC 6797 section 8.1); this frontend is tls: false - redirect it to https instead");
            return null;
        }
        YamlMap m = v.map();
        if (!m.isValid()) {
            return null;
        }
        YamlValue ageValue = m.required("max_age");
        boolean sub = m.bool("include_subdomains", false);
        boolean preload = m.bool("preload", false);
        m.finish();
        Long seconds = ageValue == null ? null : maxAge(ageValue);
        if (seconds == null) {
            return null;
        }
        if (preload && (!sub || seconds < YEAR_SECONDS)) {
            m.error("preload", "the HSTS preload list requires include_subdomains: true and a max_age of at "
                    + "least 1y");
            return null;
        }
        String header = "max-age=" + seconds + (sub ? "; includeSubDomains" : "") + (preload ? "; preload" : "");
        return new HeaderRule.Set("strict-transport-security",
                new HeaderTemplate(List.of(new HeaderTemplate.Literal(header))));
    }

    /** A duration, or whole years as {@code 1y} (365 days), in seconds. */
    private static Long maxAge(YamlValue v) {
        String s = v.scalar("a duration like 1y or 180d");
        if (s == null) {
            return null;
        }
        String t = s.strip();
        if (t.matches("[0-9]{1,3}y")) {
            return Long.parseLong(t.substring(0, t.length() - 1)) * YEAR_SECONDS;
        }
        Duration d = v.duration(true);
        return d == null ? null : d.getSeconds();
    }

    /** {@code request_id: { header: X-Request-Id, trust_incoming: false }}, or null. */
    static RequestIdConfig requestId(YamlMap frontend) {
        YamlValue v = frontend.get("request_id");
        if (v == null) {
            return null;
        }
        YamlMap m = v.map();
        if (!m.isValid()) {
            return null;
        }
        YamlValue headerValue = m.get("header");
        boolean trust = m.bool("trust_incoming", false);
        m.finish();
        String header = headerValue == null ? "x-request-id" : headerName(headerValue);
        return header == null ? null : new RequestIdConfig(header, trust);
    }
}
