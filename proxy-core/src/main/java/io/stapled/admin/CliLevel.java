package io.stapled.admin;

import java.util.Locale;

/** Privilege of a runtime API connection, as HAProxy's {@code level} on a stats socket. Ordered. */
public enum CliLevel {
    USER, OPERATOR, ADMIN;

    /** Parses {@code user}, {@code operator} or {@code admin} (any case). */
    public static CliLevel parse(String text) {
        if (text == null) {
            return ADMIN;
        }
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "user" -> USER;
            case "operator" -> OPERATOR;
            case "admin" -> ADMIN;
            default -> throw new IllegalArgumentException(
                    "runtime API level '" + text + "' is not one of user, operator, admin");
        };
    }

    public boolean allows(CliLevel required) {
        return compareTo(required) >= 0;
    }

    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}
