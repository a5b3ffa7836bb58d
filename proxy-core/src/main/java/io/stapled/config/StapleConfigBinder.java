package io.stapled.config;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Binds the file of {@code stapled staple --config}: {@code staple:} (what to staple and where the staples
 * go), and the proxy's own {@code ocsp:} and {@code admin_http:} sections and the certificate-file part of
 * {@code global:}, read by the proxy's binders so that they mean exactly what they mean there; and the
 * proxy's {@code fleet:} section ({@link FleetBinder}), so that a staple instance joins the same fleet.
 */
final class StapleConfigBinder {
    private final LoadContext context;

    StapleConfigBinder(LoadContext context) {
        this.context = context;
    }

    StapleConfig bind(YamlValue root) {
        StapleConfig d = StapleConfig.of(List.of());
        YamlMap m = root.map();
        CertificateFiles files = CertificateFiles.DEFAULT;
        String logLevel = d.logLevel();
        YamlValue globalValue = m.get("global");
        if (globalValue != null) {
            YamlMap g = globalValue.map();
            logLevel = StapledConfigBinder.bindLogLevel(g, logLevel);
            files = StapledConfigBinder.bindCertificateFiles(g);
            g.finish();
        }
        OcspConfig ocsp = OcspBinder.bind(m.get("ocsp"));
        AdminHttpConfig admin = new StapledConfigBinder(context).bindAdminHttp(m.get("admin_http"), false);
        FleetConfig fleet = bindFleet(m.get("fleet"));
        YamlValue stapleValue = m.required("staple");
        m.finish();
        if (admin != null && admin.readyMinStapleValidity() == null) {
            // Here staples are the whole job: not ready while one is missing or expired.
            admin = admin.withReadyMinStapleValidity(Duration.ZERO);
        }
        StapleConfig config = d.withFiles(files).withOcsp(ocsp).withAdminHttp(admin).withLogLevel(logLevel)
                .withFleet(fleet);
        if (stapleValue == null) {
            return config;
        }
        YamlMap s = stapleValue.map();
        List<CertificateSource> certificates = FrontendBinder.bindCertificates(s.required("certificates"), files);
        YamlValue socketValue = s.get("haproxy_socket");
        Path socket = socketValue == null ? null : socketValue.filePath();
        if (socket != null && socket.toString().getBytes(StandardCharsets.UTF_8).length
                > StapledConfigBinder.MAX_UNIX_SOCKET_PATH_BYTES) {
            socketValue.error("unix socket path is too long (the limit is "
                    + StapledConfigBinder.MAX_UNIX_SOCKET_PATH_BYTES + " bytes): " + socket);
        }
        List<String> onChange = onChange(s);
        Duration onChangeTimeout = s.duration("on_change_timeout", d.onChangeTimeout());
        Duration pushTimeout = s.duration("push_timeout", d.pushTimeout());
        Duration rescan = s.durationOrZero("rescan", d.rescan());
        s.finish();
        return config.withCertificates(certificates).withHaproxySocket(socket).withOnChange(onChange)
                .withOnChangeTimeout(onChangeTimeout).withPushTimeout(pushTimeout).withRescan(rescan);
    }

    /** The file of {@code stapled staple --fleet-config}: a {@code fleet:} section and nothing else. */
    FleetConfig bindFleetOnly(YamlValue root) {
        YamlMap m = root.map();
        YamlValue fleetValue = m.required("fleet");
        m.finish();
        return bindFleet(fleetValue);
    }

    /** The proxy's {@code fleet:} section, read by its own binder, less what needs listeners. */
    private static FleetConfig bindFleet(YamlValue fleetValue) {
        FleetConfig fleet = FleetBinder.bind(fleetValue);
        if (fleet != null && fleet.ticketKeyFile() != null) {
            // Refused rather than ignored: with no listeners there are no session tickets, and an operator who
            // copied the proxy's section should not believe this instance takes part in rotating them.
            fleetValue.map().error("ticket_key_file", "stapled staple has no TLS listeners, so no session-ticket "
                    + "keys to share; remove it here (the proxy's fleet members use it)");
        }
        return fleet;
    }

    /** A command line split into words ({@link CommandWords}), or a YAML list of the words themselves. */
    private static List<String> onChange(YamlMap s) {
        YamlValue v = s.get("on_change");
        if (v == null) {
            return List.of();
        }
        if (v.isList()) {
            List<String> words = s.strings("on_change", List.of());
            if (words.isEmpty()) {
                v.error("needs the command's words, e.g. [nginx, -s, reload]");
            }
            return words;
        }
        String text = v.string();
        if (text == null) {
            return List.of();
        }
        try {
            return CommandWords.split(text);
        } catch (IllegalArgumentException e) {
            v.error(e.getMessage());
            return List.of();
        }
    }
}
