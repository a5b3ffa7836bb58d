package io.stapled.haproxy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * One HAProxy {@code backend} (or the backend half of a {@code listen}) as a stapled backend: balance,
 * servers (with {@code default-server} options first), health check, cookie persistence and timeouts.
 */
final class BackendTranslator {
    private static final Set<String> TIMEOUTS = Set.of("server", "connect", "queue", "check", "tunnel",
            "server-fin");
    /** Server options stapled has no counterpart for, that take a value. */
    private static final Set<String> SERVER_WITH_VALUE = Set.of("port", "addr", "fastinter", "downinter", "slowstart",
            "on-error", "on-marked-down", "on-marked-up", "resolvers", "init-addr", "id", "source", "track",
            "error-limit", "observe", "redir", "agent-check", "agent-port", "agent-inter", "agent-addr",
            "agent-send", "pool-max-conn", "pool-low-conn", "pool-purge-delay", "max-reuse", "namespace", "minconn",
            "verifyhost", "tcp-ut", "usesrc", "socks4", "ws", "log-proto", "check-sni", "check-alpn", "check-proto",
            "ciphers", "ciphersuites", "ssl-min-ver", "ssl-max-ver", "crl-file", "curves", "sigalgs",
            "client-sigalgs", "npn", "set-proxy-v2-tlv-fmt", "proxy-v2-options", "hash-key", "resolve-net",
            "resolve-opts", "shard", "tfo");

    private final String name;
    private final Globals globals;
    private final Report report;

    private String balance;
    private final List<String> defaultServer = new ArrayList<>();
    private HaproxyLine defaultServerLine;
    private final List<HaproxyLine> servers = new ArrayList<>();
    private YamlTree.Map health;
    private YamlTree.Map cookie;
    private String connectTimeout;
    private String serverTimeout;
    private String queueTimeout;
    private String checkTimeout;
    private boolean tcpCheck;

    BackendTranslator(String name, Globals globals, Report report) {
        this.name = name;
        this.globals = globals;
        this.report = report;
    }

    boolean apply(HaproxyLine line) {
        return report.translate(line, this::take);
    }

    private boolean take(HaproxyLine line) throws Untranslatable {
        switch (line.keyword()) {
            case "mode" -> {
                return true;
            }
            case "balance" -> balance = balance(line);
            case "server" -> servers.add(line);
            case "default-server" -> {
                defaultServer.clear();
                defaultServer.addAll(line.words().subList(1, line.size()));
                defaultServerLine = line;
            }
            case "timeout" -> {
                String kind = line.word(1);
                if (kind == null) {
                    throw new Untranslatable("timeout without its kind");
                }
                if (!TIMEOUTS.contains(kind)) {
                    return false;
                }
                switch (kind) {
                    case "server" -> serverTimeout = HaproxyValues.duration(line.word(2));
                    case "connect" -> connectTimeout = HaproxyValues.duration(line.word(2));
                    case "queue" -> queueTimeout = HaproxyValues.duration(line.word(2));
                    case "check" -> checkTimeout = HaproxyValues.duration(line.word(2));
                    default -> throw new Untranslatable("timeout " + kind + " has no stapled counterpart");
                }
            }
            case "option" -> {
                return option(line);
            }
            case "http-check" -> httpCheck(line);
            case "cookie" -> cookie(line);
            default -> {
                return false;
            }
        }
        return true;
    }

    private static String balance(HaproxyLine line) throws Untranslatable {
        String b = line.word(1);
        if (b == null) {
            throw new Untranslatable("balance without an algorithm");
        }
        if (line.size() > 2) {
            throw new Untranslatable("the options of balance " + b + " are not translated");
        }
        if (b.matches("hdr\\([A-Za-z0-9!#$&'*+.^_`|~-]+\\)")) {
            return b;
        }
        return switch (b) {
            case "roundrobin", "leastconn", "source", "random", "uri" -> b;
            case "static-rr" -> "roundrobin";
            default -> {
                if (b.startsWith("random(")) {
                    yield "random";
                }
                throw new Untranslatable("balance " + b + " has no stapled counterpart");
            }
        };
    }

    private boolean option(HaproxyLine line) throws Untranslatable {
        String opt = line.word(1);
        if ("httpchk".equals(opt)) {
            health = new YamlTree.Map().put("type", "http");
            List<String> args = line.words().subList(2, line.size());
            String method = "OPTIONS";
            String path = "/";
            if (args.size() == 1) {
                path = args.get(0);
            } else if (args.size() >= 2) {
                method = args.get(0);
                path = args.get(1);
            }
            health.put("path", path);
            health.put("method", method);
            if (args.size() >= 3) {
                String[] parts = args.get(2).split("\r\n");
                for (int i = 1; i < parts.length; i++) {
                    int colon = parts[i].indexOf(':');
                    if (colon > 0 && parts[i].substring(0, colon).strip().equalsIgnoreCase("host")) {
                        health.put("host", parts[i].substring(colon + 1).strip());
                    } else if (!parts[i].isBlank()) {
                        report.skip(line, "health-check header " + parts[i] + " is not translated (Host only)");
                    }
                }
            }
            return true;
        }
        if ("tcp-check".equals(opt)) {
            tcpCheck = true;
            return true;
        }
        return false;
    }

    private void httpCheck(HaproxyLine line) throws Untranslatable {
        if (health == null) {
            health = new YamlTree.Map().put("type", "http");
        }
        String what = line.word(1);
        List<String> args = line.words().subList(Math.min(2, line.size()), line.size());
        if ("send".equals(what)) {
            for (int i = 0; i + 1 < args.size(); i++) {
                switch (args.get(i)) {
                    case "meth" -> health.put("method", args.get(++i));
                    case "uri" -> health.put("path", args.get(++i));
                    case "ver" -> i++;
                    case "hdr" -> {
                        if (i + 2 < args.size() && args.get(i + 1).equalsIgnoreCase("host")) {
                            health.put("host", args.get(i + 2));
                        } else {
                            report.skip(line, "health-check header " + args.get(i + 1) + " is not translated (Host "
                                    + "only)");
                        }
                        i += 2;
                    }
                    default -> throw new Untranslatable("http-check send " + args.get(i) + " is not translated");
                }
            }
        } else if ("expect".equals(what)) {
            if (args.size() == 2 && args.get(0).equals("status") && args.get(1).matches("[1-5][0-9][0-9]")) {
                health.put("expect_status", Integer.parseInt(args.get(1)));
            } else if (args.size() == 2 && args.get(0).equals("string")) {
                health.put("expect_body", args.get(1));
            } else {
                throw new Untranslatable("http-check expect is translated as \"status NNN\" or \"string TEXT\" only");
            }
        } else {
            throw new Untranslatable("http-check " + what + " is not translated");
        }
    }

    private void cookie(HaproxyLine line) throws Untranslatable {
        if (line.size() < 2) {
            throw new Untranslatable("cookie without a name");
        }
        YamlTree.Map c = new YamlTree.Map().put("name", line.word(1));
        for (int i = 2; i < line.size(); i++) {
            String w = line.word(i);
            switch (w) {
                case "insert", "rewrite", "prefix" -> c.put("mode", w);
                case "indirect" -> report.note(line, "cookie indirect: stapled's cookie has no key for it; see "
                        + "docs/BACKENDS.md for what reaches the server");
                case "nocache", "httponly", "secure" -> c.put(w, true);
                case "domain", "maxidle", "maxlife", "attr" -> {
                    report.skip(line, "cookie option " + w + " is not translated");
                    i++;
                }
                default -> report.skip(line, "cookie option " + w + " is not translated");
            }
        }
        if (c.get("mode") == null) {
            throw new Untranslatable("a cookie without insert, rewrite or prefix (only reading the server's own "
                    + "cookie) has no stapled mode");
        }
        cookie = c;
    }

    YamlTree.Map build(HaproxyLine header) {
        YamlTree.Map be = new YamlTree.Map().put("name", HaproxyValues.name(name),
                "from " + header.where() + ": " + header.text());
        if (balance != null) {
            be.put("balance", balance);
        }
        YamlTree.Seq list = new YamlTree.Seq();
        boolean anyCheck = false;
        for (HaproxyLine s : servers) {
            try {
                ServerResult r = server(s);
                list.add(r.server, s.where() + ": " + s.text());
                if (r.check) {
                    anyCheck = true;
                    if (r.checkSettings != null) {
                        health = health == null ? new YamlTree.Map() : health;
                        for (String k : List.of("interval", "rise", "fall")) {
                            if (r.checkSettings.get(k) != null) {
                                health.put(k, r.checkSettings.get(k));
                            }
                        }
                    }
                } else if (health != null || tcpCheck) {
                    report.note(s, "this server has no check, but stapled checks every server of a backend with a "
                            + "health_check");
                }
            } catch (Untranslatable e) {
                report.skip(s, e.getMessage());
            }
        }
        be.put("servers", list);
        if (anyCheck) {
            YamlTree.Map h = health == null ? new YamlTree.Map() : health;
            if (h.get("type") == null && h.get("path") != null) {
                h.put("type", "http");
            }
            if (checkTimeout != null) {
                h.put("timeout", checkTimeout);
            }
            if (!h.isEmpty()) {
                be.put("health_check", h);
            } else {
                be.put("health_check", new YamlTree.Map().put("type", "tcp"));
            }
        }
        if (connectTimeout != null) {
            be.put("connect_timeout", connectTimeout);
        }
        if (serverTimeout != null) {
            be.put("server_timeout", serverTimeout);
        }
        if (queueTimeout != null) {
            be.put("queue_timeout", queueTimeout);
        }
        if (cookie != null) {
            be.put("cookie", cookie);
        }
        return be;
    }

    private record ServerResult(YamlTree.Map server, boolean check, YamlTree.Map checkSettings) { }

    private ServerResult server(HaproxyLine line) throws Untranslatable {
        if (line.size() < 3) {
            throw new Untranslatable("server needs a name and an address");
        }
        YamlTree.Map s = new YamlTree.Map().put("name", HaproxyValues.name(line.word(1)));
        s.put("address", HaproxyValues.address(line.word(2), true));
        List<String> words = new ArrayList<>(defaultServer);
        int own = words.size();
        words.addAll(line.words().subList(3, line.size()));
        boolean check = false;
        boolean ssl = false;
        YamlTree.Map tls = new YamlTree.Map();
        YamlTree.Map checks = new YamlTree.Map();
        for (int i = 0; i < words.size(); i++) {
            HaproxyLine where = i < own ? defaultServerLine : line;
            String w = words.get(i);
            String v = i + 1 < words.size() ? words.get(i + 1) : null;
            try {
                switch (w) {
                    case "check" -> check = true;
                    case "no-check" -> check = false;
                    case "ssl" -> ssl = true;
                    case "no-ssl" -> ssl = false;
                    case "send-proxy" -> s.put("send_proxy", "v1");
                    case "send-proxy-v2", "send-proxy-v2-ssl", "send-proxy-v2-ssl-cn" -> s.put("send_proxy", "v2");
                    case "weight" -> {
                        s.put("weight", FrontendTranslator.integer(need(v, w)));
                        i++;
                    }
                    case "maxconn" -> {
                        s.put("max_connections", FrontendTranslator.integer(need(v, w)));
                        i++;
                    }
                    case "maxqueue" -> {
                        s.put("max_queue", FrontendTranslator.integer(need(v, w)));
                        i++;
                    }
                    case "cookie" -> {
                        s.put("cookie", need(v, w));
                        i++;
                    }
                    case "proto" -> {
                        if (!"h2".equals(v)) {
                            throw new Untranslatable("proto " + v + " is not translated (h2 only)");
                        }
                        s.put("proto", "h2");
                        i++;
                    }
                    case "inter" -> {
                        checks.put("interval", HaproxyValues.duration(need(v, w)));
                        i++;
                    }
                    case "rise", "fall" -> {
                        checks.put(w, FrontendTranslator.integer(need(v, w)));
                        i++;
                    }
                    case "verify" -> {
                        if (!"none".equals(v) && !"required".equals(v)) {
                            throw new Untranslatable("verify " + v);
                        }
                        tls.put("verify", "none".equals(v) ? "none" : "ca_file");
                        i++;
                    }
                    case "ca-file" -> {
                        tls.put("ca_file", globals.caPath(need(v, w)));
                        i++;
                    }
                    case "sni" -> {
                        String sni = need(v, w);
                        i++;
                        if (!sni.matches("str\\([^)]+\\)")) {
                            throw new Untranslatable("sni is translated from str(NAME) only, not " + sni);
                        }
                        tls.put("sni", sni.substring(4, sni.length() - 1));
                    }
                    case "alpn" -> {
                        tls.put("alpn", YamlTree.Seq.of(Arrays.asList(need(v, w).split(","))));
                        i++;
                    }
                    case "crt" -> {
                        tls.put("client_certificate", new YamlTree.Map().put("crt", need(v, w)));
                        i++;
                    }
                    case "backup" -> throw new Untranslatable("backup servers are not translated: stapled has no "
                            + "backup servers (the server is left out)");
                    case "disabled" -> s.put("weight", 0);
                    case "enabled", "check-ssl", "no-tls-tickets", "tls-tickets", "non-stick", "no-send-proxy",
                            "no-backup", "allow-0rtt", "force-tlsv12", "force-tlsv13" -> { }
                    default -> {
                        if (SERVER_WITH_VALUE.contains(w)) {
                            i++;
                        }
                        throw new Untranslatable("server option " + w + " is not translated");
                    }
                }
            } catch (Untranslatable e) {
                if (w.equals("backup")) {
                    throw e;
                }
                report.skip(where, e.getMessage());
            }
        }
        if (ssl) {
            if (tls.get("verify") == null) {
                tls.put("verify", "ca_file");
            }
            if ("ca_file".equals(tls.get("verify"))) {
                tls.remove("verify");
            } else {
                tls.remove("ca_file");
            }
            s.put("tls", tls);
        }
        return new ServerResult(s, check, checks.isEmpty() ? null : checks);
    }

    private static String need(String v, String option) throws Untranslatable {
        if (v == null) {
            throw new Untranslatable(option + " without its value");
        }
        return v;
    }
}
