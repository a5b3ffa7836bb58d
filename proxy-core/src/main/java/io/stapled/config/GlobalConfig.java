package io.stapled.config;

import java.time.Duration;

/**
 * Process-wide settings.
 *
 * @param workers        event-loop threads for connections; 0 means one per core
 * @param tlsProvider    which TLS implementation; {@code OPENSSL} (BoringSSL) unless the config asks
 * @param shutdownGrace  how long in-flight requests may run after SIGTERM before connections close
 * @param logLevel       root log level (ERROR, WARN, INFO, DEBUG, TRACE)
 * @param certificateFiles where certificate files and their siblings are found (HAProxy's {@code crt-base},
 *                       {@code key-base}, {@code ssl-load-extra-del-ext}, {@code issuers-chain-path})
 * @param logFormat      how the process's own log lines are written ({@code log_format})
 */
public record GlobalConfig(
        int workers,
        TlsProvider tlsProvider,
        Duration shutdownGrace,
        String logLevel,
        CertificateFiles certificateFiles,
        LogFormat logFormat) {

    public GlobalConfig {
        certificateFiles = certificateFiles == null ? CertificateFiles.DEFAULT : certificateFiles;
        logFormat = logFormat == null ? LogFormat.TEXT : logFormat;
    }

    public GlobalConfig(int workers, TlsProvider tlsProvider, Duration shutdownGrace, String logLevel,
                        CertificateFiles certificateFiles) {
        this(workers, tlsProvider, shutdownGrace, logLevel, certificateFiles, LogFormat.TEXT);
    }

    public GlobalConfig(int workers, TlsProvider tlsProvider, Duration shutdownGrace, String logLevel) {
        this(workers, tlsProvider, shutdownGrace, logLevel, CertificateFiles.DEFAULT);
    }

    public static GlobalConfig defaults() {
        return new GlobalConfig(0, TlsProvider.OPENSSL, Duration.ofSeconds(10), "INFO");
    }

    public GlobalConfig withCertificateFiles(CertificateFiles files) {
        return new GlobalConfig(workers, tlsProvider, shutdownGrace, logLevel, files, logFormat);
    }

    public enum TlsProvider { OPENSSL, JDK }

    /** {@code text}: one human-readable line per event; {@code json}: one JSON object per line (logback's encoder). */
    public enum LogFormat { TEXT, JSON }
}
