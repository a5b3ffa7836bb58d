package io.stapled.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A configuration that cannot be used. Carries every problem found, not just the first, so one run of
 * {@code stapled check} shows everything to fix. {@link #getMessage()} is one line per error.
 */
public final class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient List<ConfigError> errors;

    public ConfigException(List<ConfigError> errors) {
        super(errors.stream().map(ConfigError::format).collect(Collectors.joining("\n")));
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one error");
        }
        this.errors = List.copyOf(errors);
    }

    /** Every problem, in document order as far as the loader could tell. */
    public List<ConfigError> errors() {
        return errors;
    }
}
