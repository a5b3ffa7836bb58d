package io.stapled.config;

import java.time.Duration;
import java.util.Objects;

import io.stapled.ocsp.OcspSettings;

/**
 * The {@code ocsp:} section of the YAML: the engine's own {@link OcspSettings} (every key but one binds
 * straight into them, defaults included), plus what only the proxy's start-up uses.
 *
 * @param startupWait how long start-up waits for missing staples before opening listeners (0: not at all)
 * @param settings    how the OCSP engine fetches, verifies, refreshes and persists staples
 */
public record OcspConfig(Duration startupWait, OcspSettings settings) {

    public OcspConfig {
        Objects.requireNonNull(startupWait, "startupWait");
        Objects.requireNonNull(settings, "settings");
    }

    public static OcspConfig defaults() {
        return new OcspConfig(Duration.ofSeconds(5), OcspSettings.defaults());
    }

    public OcspConfig withStartupWait(Duration v) {
        return new OcspConfig(v, settings);
    }

    public OcspConfig withSettings(OcspSettings v) {
        return new OcspConfig(startupWait, v);
    }
}
