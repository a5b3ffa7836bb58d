package io.stapled.haproxy;

import java.util.List;

/**
 * The {@code global} section: TLS file rules ({@code crt-base}, {@code key-base},
 * {@code ssl-load-extra-del-ext}, {@code issuers-chain-path}), the bind TLS defaults every ssl bind
 * starts from, {@code stats socket} as {@code runtime_api}, and the few process settings stapled has.
 */
final class GlobalTranslator {
    private final Globals globals;
    private final YamlTree.Map global;
    private final YamlTree.Map runtimeApi;
    private final Report report;

    GlobalTranslator(Globals globals, YamlTree.Map global, YamlTree.Map runtimeApi, Report report) {
        this.globals = globals;
        this.global = global;
        this.runtimeApi = runtimeApi;
        this.report = report;
    }

    boolean apply(HaproxyLine line) {
        return report.translate(line, this::take);
    }

    private boolean take(HaproxyLine line) throws Untranslatable {
        String k = line.keyword();
        String v = line.word(1);
        String from = line.where() + ": " + line.text();
        switch (k) {
            case "crt-base" -> {
                global.put("crt_base", need(v, k), from);
                globals.crtBase = v;
            }
            case "key-base" -> global.put("key_base", need(v, k), from);
            case "ca-base" -> globals.caBase = need(v, k);
            case "ssl-load-extra-del-ext" -> global.put("load_extra_del_ext", true, from);
            case "issuers-chain-path" -> global.put("issuers_chain_path", need(v, k), from);
            case "nbthread" -> global.put("workers", FrontendTranslator.integer(need(v, k)), from);
            case "pidfile" -> global.put("pid_file", need(v, k), from);
            case "hard-stop-after" -> global.put("shutdown_grace", HaproxyValues.duration(need(v, k)), from);
            case "ssl-default-bind-ciphers" -> {
                globals.bindTlsOptions.addAll(List.of("ciphers", need(v, k)));
                globals.bindTlsLine = line;
            }
            case "ssl-default-bind-ciphersuites" -> {
                globals.bindTlsOptions.addAll(List.of("ciphersuites", need(v, k)));
                globals.bindTlsLine = line;
            }
            case "ssl-default-bind-options" -> {
                globals.bindTlsOptions.addAll(line.words().subList(1, line.size()));
                globals.bindTlsLine = line;
            }
            case "tune.ssl.cachesize" -> globals.sessionCacheSize = FrontendTranslator.integer(need(v, k));
            case "tune.ssl.lifetime" -> globals.sessionTimeout = HaproxyValues.duration(need(v, k) + (v.matches("[0-9]+")
                    ? "s" : ""));
            case "tune.h2.max-concurrent-streams" -> globals.http2.put("max_concurrent_streams",
                    FrontendTranslator.integer(need(v, k)));
            case "tune.h2.initial-window-size" -> globals.http2.put("initial_window_size",
                    FrontendTranslator.integer(need(v, k)));
            case "tune.h2.header-table-size" -> globals.http2.put("header_table_size",
                    FrontendTranslator.integer(need(v, k)));
            case "tune.h2.max-frame-size" -> globals.http2.put("max_frame_size", FrontendTranslator.integer(need(v, k)));
            case "stats" -> stats(line);
            default -> {
                return false;
            }
        }
        return true;
    }

    private void stats(HaproxyLine line) throws Untranslatable {
        String what = line.word(1);
        if ("timeout".equals(what)) {
            runtimeApi.put("idle_timeout", HaproxyValues.duration(need(line.word(2), "stats timeout")));
            return;
        }
        if ("maxconn".equals(what)) {
            runtimeApi.put("max_connections", FrontendTranslator.integer(need(line.word(2), "stats maxconn")));
            return;
        }
        if (!"socket".equals(what)) {
            throw new Untranslatable("stats " + what + " has no stapled counterpart");
        }
        String address = need(line.word(2), "stats socket");
        String comment = line.where() + ": " + line.text();
        if (address.startsWith("/") || address.startsWith("unix@")) {
            if (runtimeApi.get("socket") != null) {
                throw new Untranslatable("stapled has one runtime-API unix socket");
            }
            runtimeApi.put("socket", address.startsWith("unix@") ? address.substring(5) : address, comment);
        } else {
            if (runtimeApi.get("tcp") != null) {
                throw new Untranslatable("stapled has one runtime-API TCP listener");
            }
            runtimeApi.put("tcp", HaproxyValues.address(address, false), comment);
        }
        String level = "operator";
        for (int i = 3; i < line.size(); i++) {
            String w = line.word(i);
            String v = line.word(i + 1);
            switch (w) {
                case "level" -> {
                    level = need(v, w);
                    i++;
                }
                case "mode" -> {
                    runtimeApi.put("mode", need(v, w));
                    i++;
                }
                case "maxconn" -> {
                    runtimeApi.put("max_connections", FrontendTranslator.integer(need(v, w)));
                    i++;
                }
                case "expose-fd" -> {
                    if (!"listeners".equals(v)) {
                        report.skip(line, "expose-fd " + v + " is not translated");
                    } else {
                        runtimeApi.put("expose_listeners", true);
                    }
                    i++;
                }
                case "user", "group", "uid", "gid" -> {
                    report.skip(line, "stats socket " + w + " is not translated: the socket belongs to stapled's "
                            + "user; its mode decides who may connect");
                    i++;
                }
                default -> report.skip(line, "stats socket option " + w + " is not translated");
            }
        }
        // HAProxy's default level on a stats socket is operator; stapled's is admin
        runtimeApi.put("level", level);
    }

    private static String need(String v, String what) throws Untranslatable {
        if (v == null) {
            throw new Untranslatable(what + " without its value");
        }
        return v;
    }
}
