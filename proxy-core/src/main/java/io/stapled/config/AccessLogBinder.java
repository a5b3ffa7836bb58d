package io.stapled.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import io.stapled.config.AccessLogConfig.Format;
import io.stapled.config.AccessLogConfig.Kind;

/**
 * Binds a frontend's {@code access_log}: {@code true}/{@code false}, or
 * {@code { format: combined|json|template, template: "...", queue: 8192 }}. A template is compiled
 * here, so a request only concatenates its words.
 */
final class AccessLogBinder {
    private static final Map<String, Format> FORMATS = Choices.of("combined", Format.COMBINED, "json", Format.JSON,
            "template", Format.TEMPLATE);
    private static final Map<String, Kind> WORDS = Arrays.stream(Kind.values())
            .collect(Collectors.toUnmodifiableMap(Kind::haproxyName, Function.identity()));

    private AccessLogBinder() { }

    /** Null when there is no access log. */
    static AccessLogConfig bind(YamlValue value, boolean plain) {
        if (value == null) {
            return null;
        }
        if (value.isScalar()) {
            Boolean on = value.bool();
            return AccessLogConfig.of(Boolean.TRUE.equals(on));
        }
        YamlMap m = value.map();
        Format format = m.choice("format", FORMATS, Format.COMBINED);
        YamlValue templateValue = m.get("template");
        List<AccessLogConfig.LogWord> template = List.of();
        if (format == Format.TEMPLATE) {
            YamlValue t = m.required("template");
            if (t != null) {
                template = template(t, plain);
            }
        } else if (templateValue != null) {
            templateValue.error("template needs format: template");
        }
        int queue = m.integer("queue", AccessLogConfig.DEFAULT_QUEUE, 1, 1_000_000);
        m.finish();
        return new AccessLogConfig(format, template, queue);
    }

    /** HAProxy's log-format: {@code %word}, {@code %[fetch]}, {@code %%}; anything else is literal. */
    static List<AccessLogConfig.LogWord> template(YamlValue v, boolean plain) {
        String text = v.scalar("a string");
        if (text == null) {
            return List.of();
        }
        if (text.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            v.error("a log template cannot hold control characters (one line per request)");
            return List.of();
        }
        List<AccessLogConfig.LogWord> words = new ArrayList<>();
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
            AccessLogConfig.LogWord word;
            int next;
            if (i + 1 < text.length() && text.charAt(i + 1) == '[') {
                int end = text.indexOf(']', i);
                if (end < 0) {
                    v.error("at character " + (i + 1) + ": %[ without its ], in " + v.describe());
                    return List.of();
                }
                HeaderTemplate.Fetch fetch = HeaderRulesBinder.fetch(v, text.substring(i + 2, end).strip(), plain);
                if (fetch == null) {
                    return List.of();
                }
                word = new AccessLogConfig.Fetch(fetch);
                next = end + 1;
            } else {
                int end = i + 1;
                while (end < text.length() && Character.isLetter(text.charAt(end))) {
                    end++;
                }
                String name = text.substring(i + 1, end);
                Kind kind = WORDS.get(name);
                if (kind == null) {
                    v.error("at character " + (i + 1) + ": unknown log-format word %" + name
                            + (name.isEmpty() && end < text.length() && text.charAt(end) == '{'
                                    ? " (%{...} flags are not supported)" : "")
                            + "; known: " + WORDS.keySet().stream().sorted().map(w -> "%" + w)
                                    .collect(Collectors.joining(" ")) + ", %[fetch] and %% for a literal %");
                    return List.of();
                }
                if (plain && kind.needsTls()) {
                    v.error("%" + name + " reads the TLS connection; this frontend is plain HTTP (tls: false)");
                    return List.of();
                }
                word = new AccessLogConfig.Variable(kind);
                next = end;
            }
            if (literal.length() > 0) {
                words.add(new AccessLogConfig.Literal(literal.toString()));
                literal.setLength(0);
            }
            words.add(word);
            i = next;
        }
        if (literal.length() > 0) {
            words.add(new AccessLogConfig.Literal(literal.toString()));
        }
        return words;
    }
}
