package io.stapled.haproxy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * One HAProxy {@code frontend} (or the frontend half of a {@code listen}) as stapled frontends: one per
 * {@code bind} line, since a stapled frontend has one address. Lines are collected first ({@link #apply})
 * and translated per bind ({@link #build}), because what an ACL such as {@code ssl_fc} means depends on
 * the bind.
 */
final class FrontendTranslator {
    private static final Set<String> TIMEOUTS = Set.of("client", "http-request", "http-keep-alive", "client-fin",
            "tarpit");
    /** Bind options stapled has no counterpart for, that take a value. */
    private static final Set<String> BIND_WITH_VALUE = Set.of("name", "id", "process", "thread", "backlog", "mss",
            "interface", "npn", "curves", "ecdhe", "ca-ignore-err", "crt-ignore-err", "ca-sign-file", "ca-sign-pass",
            "nice", "level", "severity-output", "proto", "tcp-ut", "uid", "gid", "user", "group", "mode", "namespace",
            "ca-verify-file", "sigalgs", "client-sigalgs", "ssl-default-bind-curves", "quic-cc-algo");

    private final String name;
    private final Globals globals;
    private final Report report;
    private final UnaryOperator<String> backendName;

    private String mode;
    private final List<HaproxyLine> binds = new ArrayList<>();
    private final Map<String, List<HaproxyLine>> acls = new LinkedHashMap<>();
    /** http-request redirect/return, then use_backend, in file order within each. */
    private final List<HaproxyLine> localRules = new ArrayList<>();
    /** The older {@code redirect} keyword's rules: HAProxy runs them after the http-request rules. */
    private final List<HaproxyLine> redirectRules = new ArrayList<>();
    private final List<HaproxyLine> backendRules = new ArrayList<>();
    private final List<HaproxyLine> requestHeaderLines = new ArrayList<>();
    private final List<HaproxyLine> responseHeaderLines = new ArrayList<>();
    private final List<HaproxyLine> afterResponseHeaderLines = new ArrayList<>();
    private String defaultBackend;
    private HaproxyLine defaultBackendLine;
    private String clientTimeout;
    private String requestTimeout;
    private Boolean forwardFor;
    private Boolean accessLog;
    private Integer maxConnections;
    private String requestIdHeader;
    private final YamlTree.Map compression = new YamlTree.Map();

    FrontendTranslator(String name, Globals globals, Report report, UnaryOperator<String> backendName) {
        this.name = name;
        this.globals = globals;
        this.report = report;
        this.backendName = backendName;
    }

    /** Takes {@code line} if it is a frontend keyword (translated or reported); false if it is not one. */
    boolean apply(HaproxyLine line) {
        return report.translate(line, this::take);
    }

    private boolean take(HaproxyLine line) throws Untranslatable {
        String k = line.keyword();
        switch (k) {
            case "bind" -> binds.add(line);
            case "mode" -> {
                String m = line.word(1);
                if (!"http".equals(m) && !"tcp".equals(m)) {
                    throw new Untranslatable("stapled has mode http and tcp only");
                }
                mode = m;
            }
            case "acl" -> {
                if (line.size() < 3) {
                    throw new Untranslatable("acl needs a name and a criterion");
                }
                acls.computeIfAbsent(line.word(1), n -> new ArrayList<>()).add(line);
            }
            case "use_backend" -> backendRules.add(line);
            case "redirect" -> {
                List<String> words = new ArrayList<>(line.words());
                words.add(0, "http-request");
                redirectRules.add(new HaproxyLine(line.file(), line.number(), line.text(), words));
            }
            case "default_backend" -> {
                if (line.size() != 2) {
                    throw new Untranslatable("default_backend takes one backend name");
                }
                defaultBackend = line.word(1);
                defaultBackendLine = line;
            }
            case "http-request" -> {
                String action = line.word(1);
                if ("redirect".equals(action) || "return".equals(action)) {
                    localRules.add(line);
                } else if (isHeaderAction(action)) {
                    requestHeaderLines.add(line);
                } else {
                    throw new Untranslatable("http-request " + action + " has no stapled counterpart");
                }
            }
            case "http-response", "http-after-response" -> {
                if (!isHeaderAction(line.word(1))) {
                    throw new Untranslatable(k + " " + line.word(1) + " has no stapled counterpart (header rules "
                            + "only)");
                }
                (k.equals("http-response") ? responseHeaderLines : afterResponseHeaderLines).add(line);
            }
            case "compression" -> compression(line);
            case "timeout" -> {
                String kind = line.word(1);
                if (kind == null) {
                    throw new Untranslatable("timeout without its kind");
                }
                if (!TIMEOUTS.contains(kind)) {
                    return false;
                }
                switch (kind) {
                    case "client" -> clientTimeout = HaproxyValues.duration(line.word(2));
                    case "http-request" -> requestTimeout = HaproxyValues.duration(line.word(2));
                    case "http-keep-alive" -> throw new Untranslatable("stapled has no keep-alive timeout of its "
                            + "own: an idle keep-alive connection is closed after client_timeout");
                    default -> throw new Untranslatable("timeout " + kind + " has no stapled counterpart");
                }
            }
            case "option", "no" -> {
                return option(line);
            }
            case "maxconn" -> maxConnections = integer(line.word(1));
            case "unique-id-header" -> requestIdHeader = line.word(1);
            case "unique-id-format" -> throw new Untranslatable("stapled's request ids have one format (32 random hex "
                    + "digits); unique-id-header is translated to request_id");
            case "tcp-request" -> throw new Untranslatable("tcp-request rules are not translated (stapled terminates "
                    + "TLS itself and routes on the SNI after the handshake)");
            default -> {
                return false;
            }
        }
        return true;
    }

    private static boolean isHeaderAction(String action) {
        return "set-header".equals(action) || "add-header".equals(action) || "del-header".equals(action);
    }

    private boolean option(HaproxyLine line) throws Untranslatable {
        boolean negated = line.keyword().equals("no");
        int at = negated ? 2 : 1;
        if (negated && !"option".equals(line.word(1))) {
            return false;
        }
        String opt = line.word(at);
        if ("forwardfor".equals(opt)) {
            forwardFor = !negated;
            if (line.size() > at + 1) {
                report.skip(line, "the options of forwardfor (except, header, if-none) are not translated: stapled "
                        + "sets X-Forwarded-For, -Proto and -Host from every client (http.trusted_upstreams keeps "
                        + "a trusted peer's)");
            }
            return true;
        }
        if ("httplog".equals(opt)) {
            accessLog = !negated;
            return true;
        }
        return false;
    }

    private void compression(HaproxyLine line) throws Untranslatable {
        String what = line.word(1);
        List<String> values = line.words().subList(Math.min(2, line.size()), line.size());
        switch (what == null ? "" : what) {
            case "algo" -> {
                List<String> algos = new ArrayList<>();
                for (String a : values) {
                    if (a.equals("gzip")) {
                        algos.add(a);
                    } else {
                        report.skip(line, "compression algorithm " + a + " is not offered by stapled (gzip, br, zstd)");
                    }
                }
                if (!algos.isEmpty()) {
                    compression.put("algorithms", YamlTree.Seq.of(algos));
                }
            }
            case "type" -> compression.put("types", YamlTree.Seq.of(values));
            default -> throw new Untranslatable("compression " + what + " has no stapled counterpart");
        }
    }

    /** The stapled frontends, one per bind (a bind that cannot be translated is listed and left out). */
    List<YamlTree.Map> build() {
        List<YamlTree.Map> out = new ArrayList<>();
        int n = 0;
        for (HaproxyLine bind : binds) {
            String feName = HaproxyValues.name(n == 0 ? name : name + "-" + (n + 1));
            try {
                out.add(frontend(feName, bind));
                n++;
            } catch (Untranslatable e) {
                report.skip(bind, e.getMessage());
            }
        }
        return out;
    }

    private YamlTree.Map frontend(String feName, HaproxyLine bind) throws Untranslatable {
        if (bind.size() < 2) {
            throw new Untranslatable("bind without an address");
        }
        String address = HaproxyValues.address(bind.word(1), false);
        boolean http = "http".equals(mode);
        YamlTree.Map fe = new YamlTree.Map().put("name", feName, "from " + bind.where() + ": " + bind.text());
        fe.put("bind", address);
        if (mode == null) {
            report.note(bind, "no mode set: HAProxy's default is tcp, so the frontend is mode: tcp");
        }
        if (!http) {
            fe.put("mode", "tcp");
        }
        BindTls tls = new BindTls(globals, report);
        List<String> words = bind.words();
        boolean ssl = words.contains("ssl");
        if (ssl) {
            tls.options(globals.bindTlsOptions, globals.bindTlsLine);
        }
        YamlTree.Map acceptProxy = null;
        for (int i = 2; i < words.size(); i++) {
            String w = words.get(i);
            if (w.equals("ssl")) {
                continue;
            }
            if (w.equals("accept-proxy")) {
                fe.put("accept_proxy", true);
                report.note(bind, "accept-proxy: HAProxy takes a PROXY header from any peer, stapled only from "
                        + "accept_proxy.trusted_sources (true: loopback peers); list the load balancers' addresses");
                continue;
            }
            if (w.equals("maxconn") && i + 1 < words.size()) {
                fe.put("max_connections", integer(words.get(++i)));
                continue;
            }
            int used = ssl ? tls.option(words, i, bind) : -1;
            if (used >= 0) {
                i += used;
            } else {
                report.skip(bind, "bind option " + w + " is not translated");
                if (BIND_WITH_VALUE.contains(w)) {
                    i++;
                }
            }
        }
        if (ssl) {
            tls.finish();
            if (tls.certificates.isEmpty()) {
                throw new Untranslatable("an ssl bind without crt or crt-list");
            }
            fe.put("certificates", tls.certificates);
            if (tls.defaultCertificate != null) {
                fe.put("default_certificate", tls.defaultCertificate);
            }
            YamlTree.Map t = tls.tls;
            if (globals.sessionCacheSize != null) {
                t.put("session_cache_size", globals.sessionCacheSize);
            }
            if (globals.sessionTimeout != null) {
                t.put("session_timeout", globals.sessionTimeout);
            }
            if (!t.isEmpty()) {
                fe.put("tls", t);
            }
        } else {
            fe.put("tls", false);
        }
        if (maxConnections != null && fe.get("max_connections") == null) {
            fe.put("max_connections", maxConnections);
        }
        if (clientTimeout != null) {
            fe.put("client_timeout", clientTimeout);
        }
        if (http) {
            httpSettings(fe, ssl);
        } else if (!compression.isEmpty() || requestTimeout != null) {
            report.note(bind, "compression and timeout http-request do not apply in mode tcp");
        }
        if (ssl && http && !globals.http2.isEmpty()) {
            fe.put("http2", globals.http2.copy());
        }
        Conditions conditions = new Conditions(acls, ssl, http);
        List<HaproxyLine> local = new ArrayList<>(localRules);
        local.addAll(redirectRules);
        new RouteBuilder(conditions, report, backendName, http).build(fe, local, backendRules,
                defaultBackend == null ? null : backendName.apply(defaultBackend), defaultBackendLine);
        return fe;
    }

    private void httpSettings(YamlTree.Map fe, boolean ssl) {
        if (Boolean.TRUE.equals(accessLog)) {
            fe.put("access_log", true);
        }
        YamlTree.Map httpMap = new YamlTree.Map();
        if (requestTimeout != null) {
            httpMap.put("request_timeout", requestTimeout);
        }
        httpMap.put("forwarded_headers", Boolean.TRUE.equals(forwardFor));
        fe.put("http", httpMap);
        if (requestIdHeader != null) {
            fe.put("request_id", new YamlTree.Map().put("header", requestIdHeader));
        }
        if (!compression.isEmpty()) {
            fe.put("compression", compression.copy());
        }
        Conditions conditions = new Conditions(acls, ssl, true);
        headerRules(fe, "request_headers", requestHeaderLines, conditions, false);
        headerRules(fe, "response_headers", responseHeaderLines, conditions, ssl);
        headerRules(fe, "after_response_headers", afterResponseHeaderLines, conditions, false);
    }

    private void headerRules(YamlTree.Map fe, String key, List<HaproxyLine> lines, Conditions conditions,
            boolean hstsAllowed) {
        YamlTree.Seq rules = new YamlTree.Seq();
        for (HaproxyLine line : lines) {
            try {
                List<String> args = line.words().subList(2, line.size());
                int cond = Math.max(args.indexOf("if"), args.indexOf("unless"));
                if (cond >= 0) {
                    List<Map<String, Object>> c = conditions.parse(args.subList(cond + 1, args.size()));
                    boolean unless = args.get(cond).equals("unless");
                    boolean always = c.equals(Conditions.ALWAYS);
                    boolean never = c.isEmpty();
                    if (!always && !never) {
                        throw new Untranslatable("stapled's frontend header rules have no conditions");
                    }
                    args = args.subList(0, cond);
                    if (always == unless) {
                        continue;
                    }
                }
                YamlTree.Map rule = HeaderRuleTranslator.rule(line.word(1), args);
                if (hstsAllowed && rule.get("set") instanceof String header
                        && header.equalsIgnoreCase("strict-transport-security")) {
                    YamlTree.Map hsts = HeaderRuleTranslator.hsts(args.get(1));
                    if (hsts != null) {
                        fe.put("hsts", hsts, "from " + line.where() + ": " + line.text());
                        continue;
                    }
                }
                rules.add(rule, line.where() + ": " + line.text());
            } catch (Untranslatable e) {
                report.skip(line, e.getMessage());
            }
        }
        if (!rules.isEmpty()) {
            fe.put(key, rules);
        }
    }

    static int integer(String s) throws Untranslatable {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new Untranslatable("\"" + s + "\" is not a number");
        }
    }
}
