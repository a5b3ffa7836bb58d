package io.stapled.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.google.re2j.Pattern;

import io.stapled.config.CompressionConfig.Algorithm;

/**
 * Binds {@code compression:} of a frontend or a route: {@code true} (the defaults), {@code false} (none;
 * on a route, none whatever the frontend has), or {@code { algorithms, types, min_size }}.
 */
final class CompressionBinder {
    private static final Map<String, Algorithm> ALGORITHMS = Choices.of("gzip", Algorithm.GZIP, "br", Algorithm.BR,
            "zstd", Algorithm.ZSTD);
    private static final Pattern MEDIA_TYPE = Pattern.compile(
            "^[a-z0-9!#$&^_.+-]+/(\\*|[a-z0-9!#$&^_.+-]+)$");

    private CompressionBinder() {
    }

    /** Null when absent; {@link CompressionConfig#OFF} for {@code false}. */
    static CompressionConfig bind(YamlValue value) {
        if (value == null) {
            return null;
        }
        if (value.isScalar()) {
            Boolean on = value.bool();
            if (on == null) {
                return null;
            }
            return on ? new CompressionConfig(CompressionConfig.DEFAULT_ALGORITHMS, CompressionConfig.DEFAULT_TYPES,
                    CompressionConfig.DEFAULT_MIN_SIZE) : CompressionConfig.OFF;
        }
        YamlMap m = value.map();
        if (!m.isValid()) {
            return null;
        }
        YamlValue algorithmsValue = m.get("algorithms");
        YamlValue typesValue = m.get("types");
        int minSize = m.size("min_size", CompressionConfig.DEFAULT_MIN_SIZE, 0, 1 << 30);
        m.finish();
        List<Algorithm> algorithms = algorithmsValue == null ? CompressionConfig.DEFAULT_ALGORITHMS
                : algorithms(algorithmsValue);
        List<String> types = typesValue == null ? CompressionConfig.DEFAULT_TYPES : types(typesValue);
        if (algorithms == null || types == null) {
            return null;
        }
        return new CompressionConfig(algorithms, types, minSize);
    }

    private static List<Algorithm> algorithms(YamlValue value) {
        List<Algorithm> out = new ArrayList<>();
        List<YamlValue> items = value.list("a list like [zstd, br, gzip]");
        for (YamlValue item : items) {
            Algorithm a = item.choice(ALGORITHMS);
            if (a != null && out.contains(a)) {
                item.error(a.token() + " is listed twice");
            } else if (a != null) {
                out.add(a);
            }
        }
        if (out.isEmpty() && value.isList() && items.isEmpty()) {
            value.error("needs at least one of " + String.join(", ", ALGORITHMS.keySet())
                    + " (to turn compression off, write compression: false)");
            return null;
        }
        return out.size() == items.size() ? out : null;
    }

    private static List<String> types(YamlValue value) {
        List<String> out = new ArrayList<>();
        List<YamlValue> items = value.list("a list of media types like [text/html, application/json]");
        boolean valid = true;
        for (YamlValue item : items) {
            String s = item.string();
            String type = s == null ? null : s.strip().toLowerCase(Locale.ROOT);
            if (type == null) {
                valid = false;
            } else if (!MEDIA_TYPE.matcher(type).find()) {
                item.error("expected a media type like text/html or text/* (no parameters), got " + item.describe());
                valid = false;
            } else {
                out.add(type);
            }
        }
        if (valid && items.isEmpty() && value.isList()) {
            value.error("needs at least one media type (to turn compression off, write compression: false)");
            return null;
        }
        return valid ? out : null;
    }
}
