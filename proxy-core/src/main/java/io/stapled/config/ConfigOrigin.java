package io.stapled.config;

import java.nio.file.Path;
import java.util.List;

/**
 * Where a value was written in the config, kept for problems only found after loading: a certificate
 * file that is read when the TLS side starts (a key that does not match, an encrypted key, bad PEM)
 * is reported like every other config error, {@code file:line key.path: message}.
 *
 * @param file    the config file as given to the loader
 * @param line    1-based line of the value
 * @param keyPath e.g. {@code frontends[0].certificates[1].key}
 */
public record ConfigOrigin(Path file, int line, String keyPath) {

    /** A one-error {@link ConfigException} at this place. */
    public ConfigException error(String message) {
        return new ConfigException(List.of(new ConfigError(file, line, keyPath, LoadContext.escapeControls(message))));
    }
}
