package io.stapled.admin;

import io.stapled.text.Json;

/**
 * HAProxy's typed-output vocabulary ({@code show info typed|json}, {@code show stat typed|json}): the
 * three tag letters (origin, nature, scope) and the value types ({@code str}, {@code u32}, {@code u64},
 * {@code s32}), spelled as HAProxy's {@code stats.c} spells them.
 */
final class TypedValue {
    private TypedValue() { }

    /** The JSON {@code tags} object for three tag letters such as {@code MCP}. */
    static String jsonTags(String tags) {
        return "{\"origin\":\"" + origin(tags.charAt(0)) + "\",\"nature\":\"" + nature(tags.charAt(1))
                + "\",\"scope\":\"" + scope(tags.charAt(2)) + "\"}";
    }

    /** The JSON {@code value} object: numbers bare, strings quoted. */
    static String jsonValue(String type, String value) {
        String v = "str".equals(type) ? Json.quote(value) : value;
        return "{\"type\":\"" + type + "\",\"value\":" + v + "}";
    }

    private static String origin(char c) {
        return switch (c) {
            case 'M' -> "Metric";
            case 'S' -> "Status";
            case 'K' -> "Key";
            case 'C' -> "Config";
            case 'P' -> "Product";
            default -> "Unknown";
        };
    }

    private static String nature(char c) {
        return switch (c) {
            case 'G' -> "Gauge";
            case 'L' -> "Limit";
            case 'M' -> "Max";
            case 'R' -> "Rate";
            case 'C' -> "Counter";
            case 'D' -> "Duration";
            case 'A' -> "Age";
            case 'T' -> "Time";
            case 'N' -> "Name";
            case 'O' -> "Output";
            case 'a' -> "Avg";
            default -> "Unknown";
        };
    }

    private static String scope(char c) {
        return switch (c) {
            case 'P' -> "Process";
            case 'S' -> "Service";
            case 's' -> "System";
            case 'C' -> "Cluster";
            default -> "Unknown";
        };
    }
}
