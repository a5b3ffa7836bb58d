package io.stapled.config;

import java.time.Duration;

/**
 * Process-wide settings.
 *
 * @param workers        event-loop threads for connections; 0 means one per core
 * @param tlsProvider    which TLS implementation; {@code OPENSSL} (BoringSSL) unless the config asks
 * @param shutdownGrace  how long in-flight requests may run after SIGTERM before connections close
 * @param logLevel       root log level (ERROR, WARN, INFO, DEBUG, TRACE)
 */
public record GlobalConfig(
        int workers,
        TlsProvider tlsProvider,
        Duration shutdownGrace,
        String logLevel) {

    public static GlobalConfig defaults() {
        return new GlobalConfig(0, TlsProvider.OPENSSL, Duration.ofSeconds(10), "INFO");
    }

    public enum TlsProvider { OPENSSL, JDK }
}
