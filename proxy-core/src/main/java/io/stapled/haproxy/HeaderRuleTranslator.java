package io.stapled.haproxy;

import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HAProxy's {@code set-header}, {@code add-header} and {@code del-header} actions (of {@code http-request},
 * {@code http-response} and {@code http-after-response}) as stapled header rules, and the log-format
 * values they take as stapled templates.
 */
final class HeaderRuleTranslator {
    private static final Pattern FETCH = Pattern.compile("%(\\{[^}]*})?\\[([^\\]]*)]");
    private static final Set<String> FETCHES = Set.of("src", "src_port", "ssl_fc_sni", "ssl_fc_protocol",
            "ssl_fc_cipher", "unique-id", "ssl_c_s_dn", "ssl_c_serial", "ssl_c_verify");
    private static final Pattern HDR = Pattern.compile("(?:req\\.)?hdr\\(([A-Za-z0-9!#$&'*+.^_`|~-]+)\\)");
    private static final Pattern HSTS = Pattern.compile(
            "max-age=([0-9]+)(; includeSubDomains)?(; preload)?");
    private static final long YEAR = 365L * 86400;

    private HeaderRuleTranslator() {
    }

    /**
     * The rule of {@code action} with its words after the action ({@code NAME [VALUE] [-m METHOD]}), the
     * condition already removed.
     */
    static YamlTree.Map rule(String action, List<String> args) throws Untranslatable {
        if (args.isEmpty()) {
            throw new Untranslatable(action + " without a header name");
        }
        String name = args.get(0);
        switch (action) {
            case "set-header", "add-header" -> {
                if (args.size() != 2) {
                    throw new Untranslatable(action + " takes a name and one value (quote a value with spaces)");
                }
                return new YamlTree.Map().put(action.equals("set-header") ? "set" : "add", name)
                        .put("value", template(args.get(1)));
            }
            case "del-header" -> {
                String method = "str";
                if (args.size() == 3 && args.get(1).equals("-m")) {
                    method = args.get(2);
                } else if (args.size() != 1) {
                    throw new Untranslatable("del-header takes a name and an optional -m METHOD");
                }
                return switch (method) {
                    case "str" -> new YamlTree.Map().put("delete", name);
                    case "reg" -> new YamlTree.Map().put("delete_regex", name);
                    case "beg" -> new YamlTree.Map().put("delete_regex", "^" + name.replaceAll("[.+*?()|\\[\\]{}^$\\\\]", "\\\\$0"));
                    default -> throw new Untranslatable("del-header -m " + method + " is not translated");
                };
            }
            default -> throw new Untranslatable(action + " has no stapled header rule");
        }
    }

    /** An HAProxy log-format value as a stapled template: {@code %[fetch]}, {@code %{+Q}[fetch]}, {@code %%}. */
    static String template(String value) throws Untranslatable {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < value.length()) {
            char c = value.charAt(i);
            if (c != '%') {
                out.append(c);
                i++;
                continue;
            }
            if (value.startsWith("%%", i)) {
                out.append("%%");
                i += 2;
                continue;
            }
            Matcher m = FETCH.matcher(value);
            if (!m.find(i) || m.start() != i) {
                throw new Untranslatable("log-format variables such as " + value.substring(i, Math.min(i + 3,
                        value.length())) + " are not translated; stapled takes %[fetch] only");
            }
            out.append("%[").append(fetch(m.group(2))).append(']');
            i = m.end();
        }
        return out.toString();
    }

    private static String fetch(String expr) throws Untranslatable {
        String e = expr.strip();
        if (e.equals("ssl_c_serial,hex")) {
            return "ssl_c_serial";
        }
        if (FETCHES.contains(e)) {
            return e;
        }
        Matcher hdr = HDR.matcher(e);
        if (hdr.matches()) {
            return "req.hdr(" + hdr.group(1) + ")";
        }
        throw new Untranslatable("the sample fetch %[" + expr + "] has no stapled template (known: src, src_port, "
                + "ssl_fc_sni, ssl_fc_protocol, ssl_fc_cipher, req.hdr(name), unique-id, ssl_c_s_dn, ssl_c_serial, "
                + "ssl_c_verify)");
    }

    /**
     * The {@code hsts:} mapping for a {@code Strict-Transport-Security} value, when stapled's would send
     * exactly that value; else null (the header then stays a response rule).
     */
    static YamlTree.Map hsts(String value) {
        Matcher m = HSTS.matcher(value);
        if (!m.matches()) {
            return null;
        }
        long seconds = Long.parseLong(m.group(1));
        boolean sub = m.group(2) != null;
        boolean preload = m.group(3) != null;
        if (seconds == 0 || (preload && (!sub || seconds < YEAR))) {
            return null;
        }
        String age = seconds % YEAR == 0 ? (seconds / YEAR) + "y"
                : io.stapled.config.Durations.format(java.time.Duration.ofSeconds(seconds));
        YamlTree.Map h = new YamlTree.Map().put("max_age", age);
        if (sub) {
            h.put("include_subdomains", true);
        }
        if (preload) {
            h.put("preload", true);
        }
        return h;
    }
}
