package io.stapled.haproxy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code stapled import-haproxy}: an HAProxy configuration as the equivalent stapled YAML, each entry
 * with a comment naming the line it came from, and the list of what was not translated. See
 * docs/IMPORT-HAPROXY.md.
 */
public final class HaproxyImporter {
    /** Why common lines stapled has no counterpart for are left out, by keyword. */
    private static final Map<String, String> REASONS = Map.ofEntries(
            Map.entry("log", "stapled logs to stdout/stderr (journald under systemd); access_log is per frontend"),
            Map.entry("log-format", "stapled's access log has its own format"),
            Map.entry("chroot", "run stapled under systemd's sandboxing (RootDirectory=, ProtectSystem=) instead"),
            Map.entry("user", "stapled runs as the user that starts it (systemd User=)"),
            Map.entry("group", "stapled runs as the group that starts it (systemd Group=)"),
            Map.entry("daemon", "stapled runs in the foreground under its supervisor"),
            Map.entry("master-worker", "stapled is one process"),
            Map.entry("maxconn", "stapled's connection limit is per frontend (max_connections)"),
            Map.entry("retries", "stapled retries a failed connect on another server, once per server"),
            Map.entry("errorfile", "stapled's error responses are fixed"),
            Map.entry("ssl-server-verify", "stapled always verifies servers unless tls.verify: none"),
            Map.entry("ssl-dh-param-file", "BoringSSL has no finite-field DHE"),
            Map.entry("tune.ssl.default-dh-param", "BoringSSL has no finite-field DHE"),
            Map.entry("http-reuse", "stapled reuses idle backend connections per event loop (max_idle_per_server)"),
            Map.entry("fullconn", "stapled has no dynamic maxconn"),
            Map.entry("description", "informational only"),
            Map.entry("compression", "stapled compresses per frontend (compression:): put it in the frontend"),
            Map.entry("http-request", "stapled's header rules, redirects and returns are per frontend (or route)"),
            Map.entry("http-response", "stapled's header rules are per frontend (or route)"),
            Map.entry("http-after-response", "stapled's header rules are per frontend"));

    private HaproxyImporter() {
    }

    /**
     * The result of one conversion.
     *
     * @param yaml    the stapled configuration
     * @param skipped what was not translated, in line order
     * @param notes   what was translated but behaves differently
     */
    public record Result(String yaml, List<Skipped> skipped, List<String> notes) {
        public Result {
            skipped = List.copyOf(skipped);
            notes = List.copyOf(notes);
        }
    }

    /** Converts {@code cfg}; {@code source} names the HAProxy file in the output's first comment. */
    public static Result convert(HaproxyConfig cfg, String source) {
        Report report = new Report();
        Globals globals = new Globals();
        YamlTree.Map global = new YamlTree.Map();
        YamlTree.Map runtimeApi = new YamlTree.Map();
        cfg.outsideSections().forEach(l -> report.skip(l, "outside any section"));
        GlobalTranslator globalTranslator = new GlobalTranslator(globals, global, runtimeApi, report);
        Map<String, String> backendNames = new LinkedHashMap<>();
        for (HaproxySection s : cfg.sections()) {
            if ((s.kind().equals("backend") || s.kind().equals("listen")) && s.name() != null) {
                backendNames.put(s.name(), HaproxyValues.name(s.name()));
            }
        }
        List<YamlTree.Map> frontends = new ArrayList<>();
        List<YamlTree.Map> backends = new ArrayList<>();
        List<HaproxyLine> defaults = List.of();
        for (HaproxySection s : cfg.sections()) {
            switch (s.kind()) {
                case "global" -> s.lines().forEach(l -> {
                    if (!globalTranslator.apply(l)) {
                        skipUnknown(report, l);
                    }
                });
                case "defaults" -> {
                    defaults = s.lines();
                    checkDefaults(s, globals, report);
                }
                case "frontend", "backend", "listen" -> proxy(s, defaults, globals, report, backendNames, frontends,
                        backends);
                default -> {
                    report.skip(s.header(), "stapled has no " + s.kind() + " section (its lines are left out too)");
                    s.lines().forEach(l -> report.skip(l, "in a " + s.kind() + " section"));
                }
            }
        }
        YamlTree.Map root = new YamlTree.Map();
        if (!global.isEmpty()) {
            root.put("global", global);
        }
        YamlTree.Seq fes = new YamlTree.Seq();
        frontends.forEach(fes::add);
        root.put("frontends", fes);
        YamlTree.Seq bes = new YamlTree.Seq();
        backends.forEach(bes::add);
        root.put("backends", bes);
        if (!runtimeApi.isEmpty()) {
            root.put("runtime_api", runtimeApi);
        }
        List<Skipped> skipped = report.skipped();
        List<String> header = new ArrayList<>();
        header.add("Converted from " + source + " by stapled import-haproxy.");
        header.add(skipped.isEmpty() ? "Every line was translated."
                : skipped.size() + " line(s) or options were not translated; `stapled import-haproxy` lists them on "
                        + "stderr.");
        for (String note : report.notes()) {
            header.add("note: " + note);
        }
        return new Result(YamlTree.write(root, header), skipped, report.notes());
    }

    /** Lines of a defaults section no frontend or backend takes are reported once, here. */
    private static void checkDefaults(HaproxySection s, Globals globals, Report report) {
        Report scratch = new Report();
        FrontendTranslator fe = new FrontendTranslator("x", globals, scratch, n -> n);
        BackendTranslator be = new BackendTranslator("x", globals, scratch);
        for (HaproxyLine l : s.lines()) {
            boolean a = fe.apply(l);
            boolean b = be.apply(l);
            if (!a && !b) {
                skipUnknown(report, l);
            }
        }
    }

    private static void proxy(HaproxySection s, List<HaproxyLine> defaults, Globals globals, Report report,
            Map<String, String> backendNames, List<YamlTree.Map> frontends, List<YamlTree.Map> backends) {
        if (s.name() == null) {
            report.skip(s.header(), s.kind() + " without a name");
            return;
        }
        java.util.function.UnaryOperator<String> names = n -> {
            String mapped = backendNames.get(n);
            return mapped == null ? HaproxyValues.name(n) : mapped;
        };
        boolean front = !s.kind().equals("backend");
        boolean back = !s.kind().equals("frontend");
        FrontendTranslator fe = new FrontendTranslator(s.name(), globals, report, names);
        BackendTranslator be = new BackendTranslator(s.name(), globals, report);
        Report quiet = new Report();
        // defaults first: a line one side does not take is reported by checkDefaults, not per proxy
        FrontendTranslator feDefaults = front ? fe : new FrontendTranslator(s.name(), globals, quiet, names);
        BackendTranslator beDefaults = back ? be : new BackendTranslator(s.name(), globals, quiet);
        for (HaproxyLine l : defaults) {
            feDefaults.apply(l);
            beDefaults.apply(l);
        }
        for (HaproxyLine l : s.lines()) {
            boolean taken = (front && fe.apply(l)) || (back && be.apply(l));
            if (!taken) {
                skipUnknown(report, l);
            }
        }
        if (front) {
            if (s.kind().equals("listen")) {
                fe.apply(new HaproxyLine(s.header().file(), s.header().number(), s.header().text(),
                        List.of("default_backend", s.name())));
            }
            frontends.addAll(fe.build());
        }
        if (back) {
            backends.add(be.build(s.header()));
        }
    }

    private static void skipUnknown(Report report, HaproxyLine l) {
        String reason = REASONS.get(l.keyword());
        if (l.keyword().equals("option") && "forwardfor".equals(l.word(1))) {
            reason = "stapled adds X-Forwarded-For per frontend (http.forwarded_headers): put option forwardfor in "
                    + "the frontend or defaults";
        } else if (reason == null && l.keyword().equals("option")) {
            reason = "option " + l.word(1) + " has no stapled counterpart";
        } else if (reason == null) {
            reason = "\"" + l.keyword() + "\" has no stapled counterpart here";
        }
        report.skip(l, reason);
    }
}
