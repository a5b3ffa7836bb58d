package io.stapled.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * {@code stapled staple}: only the OCSP engine, for certificates another server (HAProxy, nginx) serves.
 * Built from the command line ({@code stapled staple --dir ...}); see docs/STAPLE.md.
 *
 * @param certificates     directories and crt-lists in HAProxy's layout; at least one
 * @param files            the global file rules ({@code load_extra_del_ext}, {@code issuers_chain_path})
 * @param ocsp             the engine's settings and how long start-up waits for the first staples
 * @param haproxySocket    HAProxy's stats socket (level admin) each new staple is pushed to, or null
 * @param onChange         a command (program and arguments, never a shell line) run after each new staple
 *                         stapled fetched and wrote; empty for none
 * @param onChangeTimeout  how long the command may run before it is killed
 * @param pushTimeout      how long one push to HAProxy may take (connect, write, answer)
 * @param adminHttp        the {@code /metrics}, {@code /readyz} listener, or null
 * @param logLevel         root log level
 * @param rescan           how often to look for certificates added, renewed or removed on disk; zero: never
 * @param fleet            the proxy's {@code fleet:} section: staples shared with other members through Redis
 *                         (docs/FLEET.md), or null for none; its ticket-key part means nothing here
 */
public record StapleConfig(List<CertificateSource> certificates, CertificateFiles files, OcspConfig ocsp,
                           Path haproxySocket, List<String> onChange, Duration onChangeTimeout, Duration pushTimeout,
                           AdminHttpConfig adminHttp, String logLevel, Duration rescan, FleetConfig fleet) {

    public StapleConfig {
        certificates = List.copyOf(certificates);
        onChange = List.copyOf(onChange);
        Objects.requireNonNull(files, "files");
        Objects.requireNonNull(ocsp, "ocsp");
        Objects.requireNonNull(onChangeTimeout, "onChangeTimeout");
        Objects.requireNonNull(pushTimeout, "pushTimeout");
        Objects.requireNonNull(logLevel, "logLevel");
        Objects.requireNonNull(rescan, "rescan");
    }

    /** The certificates of {@code certificates}, everything else at its default: no HAProxy, no hook, no listener. */
    public static StapleConfig of(List<CertificateSource> certificates) {
        return new StapleConfig(certificates, CertificateFiles.DEFAULT, OcspConfig.defaults(), null, List.of(),
                Duration.ofSeconds(30), Duration.ofSeconds(5), null, "info", Duration.ofMinutes(1), null);
    }

    public StapleConfig withCertificates(List<CertificateSource> v) {
        return new StapleConfig(v, files, ocsp, haproxySocket, onChange, onChangeTimeout, pushTimeout, adminHttp,
                logLevel, rescan, fleet);
    }

    public StapleConfig withFiles(CertificateFiles v) {
        return new StapleConfig(certificates, v, ocsp, haproxySocket, onChange, onChangeTimeout, pushTimeout, adminHttp,
                logLevel, rescan, fleet);
    }

    public StapleConfig withOcsp(OcspConfig v) {
        return new StapleConfig(certificates, files, v, haproxySocket, onChange, onChangeTimeout, pushTimeout, adminHttp,
                logLevel, rescan, fleet);
    }

    public StapleConfig withHaproxySocket(Path v) {
        return new StapleConfig(certificates, files, ocsp, v, onChange, onChangeTimeout, pushTimeout, adminHttp,
                logLevel, rescan, fleet);
    }

    public StapleConfig withOnChange(List<String> v) {
        return new StapleConfig(certificates, files, ocsp, haproxySocket, v, onChangeTimeout, pushTimeout, adminHttp,
                logLevel, rescan, fleet);
    }

    public StapleConfig withOnChangeTimeout(Duration v) {
        return new StapleConfig(certificates, files, ocsp, haproxySocket, onChange, v, pushTimeout, adminHttp,
                logLevel, rescan, fleet);
    }

    public StapleConfig withPushTimeout(Duration v) {
        return new StapleConfig(certificates, files, ocsp, haproxySocket, onChange, onChangeTimeout, v, adminHttp,
                logLevel, rescan, fleet);
    }

    public StapleConfig withAdminHttp(AdminHttpConfig v) {
        return new StapleConfig(certificates, files, ocsp, haproxySocket, onChange, onChangeTimeout, pushTimeout, v,
                logLevel, rescan, fleet);
    }

    public StapleConfig withLogLevel(String v) {
        return new StapleConfig(certificates, files, ocsp, haproxySocket, onChange, onChangeTimeout, pushTimeout,
                adminHttp, v, rescan, fleet);
    }

    public StapleConfig withRescan(Duration v) {
        return new StapleConfig(certificates, files, ocsp, haproxySocket, onChange, onChangeTimeout, pushTimeout,
                adminHttp, logLevel, v, fleet);
    }

    public StapleConfig withFleet(FleetConfig v) {
        return new StapleConfig(certificates, files, ocsp, haproxySocket, onChange, onChangeTimeout, pushTimeout,
                adminHttp, logLevel, rescan, v);
    }
}
