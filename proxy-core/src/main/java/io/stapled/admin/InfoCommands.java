package io.stapled.admin;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code show info} and {@code show version}. */
final class InfoCommands {
    private InfoCommands() { }

    static List<RuntimeCommand> all(ProcessStats stats) {
        return List.of(
                BasicCommand.sync("show info", CliLevel.USER,
                        "show info [desc|json|typed|float]*      : report information about the running process",
                        (args, payload, s) -> showInfo(stats, args)),
                BasicCommand.sync("show version", CliLevel.USER,
                        "show version                            : show version of the current process",
                        (args, payload, s) -> stats.version() + "\n"));
    }

    static String showInfo(ProcessStats stats, List<String> args) {
        Map<String, String> fields = fields(stats);
        boolean json = args.contains("json");
        boolean typed = args.contains("typed");
        StringBuilder sb = new StringBuilder();
        if (json) {
            sb.append('[');
            int i = 0;
            for (Map.Entry<String, String> e : fields.entrySet()) {
                if (i > 0) {
                    sb.append(',');
                }
                sb.append("{\"field\":{\"pos\":").append(i).append(",\"name\":").append(Json.quote(e.getKey()))
                        .append("},\"processNum\":1,\"value\":{\"type\":\"str\",\"value\":")
                        .append(Json.quote(e.getValue())).append("}}");
                i++;
            }
            return sb.append("]\n").toString();
        }
        int pos = 0;
        for (Map.Entry<String, String> e : fields.entrySet()) {
            if (typed) {
                sb.append(pos).append('.').append(e.getKey()).append(".1:").append("POS:str:")
                        .append(e.getValue()).append('\n');
            } else {
                sb.append(e.getKey()).append(": ").append(e.getValue()).append('\n');
            }
            pos++;
        }
        return sb.toString();
    }

    /** The fields stapled knows, named and ordered as HAProxy's {@code show info}. */
    static Map<String, String> fields(ProcessStats p) {
        Map<String, String> f = new LinkedHashMap<>();
        long up = Math.max(0, Duration.between(p.startTime(), Instant.now()).toSeconds());
        f.put("Name", p.name());
        f.put("Version", p.version());
        if (p.releaseDate() != null) {
            f.put("Release_date", p.releaseDate());
        }
        putKnown(f, "Nbthread", p.threads());
        f.put("Nbproc", "1");
        f.put("Process_num", "1");
        f.put("Pid", Long.toString(p.pid()));
        f.put("Uptime", uptime(up));
        f.put("Uptime_sec", Long.toString(up));
        f.put("Start_time_sec", Long.toString(p.startTime().getEpochSecond()));
        f.put("Memmax_MB", Long.toString(Runtime.getRuntime().maxMemory() / (1024 * 1024)));
        f.put("Memmax_bytes", Long.toString(Runtime.getRuntime().maxMemory()));
        putKnown(f, "Maxconn", p.maxConnections());
        putKnown(f, "CurrConns", p.currentConnections());
        putKnown(f, "CumConns", p.cumulativeConnections());
        putKnown(f, "CumReq", p.cumulativeRequests());
        putKnown(f, "CurrSslConns", p.currentSslConnections());
        putKnown(f, "CumSslConns", p.cumulativeSslConnections());
        putKnown(f, "ConnRate", p.connectionRate());
        putKnown(f, "SslRate", p.sslRate());
        putKnown(f, "SslFrontendKeyRate", p.sslFrontendKeyRate());
        putKnown(f, "SslFrontendSessionReuse_pct", p.sslFrontendSessionReusePct());
        f.put("node", hostName());
        f.put("Stopping", p.stopping() ? "1" : "0");
        putKnown(f, "Listeners", p.listeners());
        return f;
    }

    private static void putKnown(Map<String, String> f, String name, long value) {
        if (value >= 0) {
            f.put(name, Long.toString(value));
        }
    }

    /** HAProxy's uptime layout: {@code 0d 0h00m04s}. */
    static String uptime(long seconds) {
        return String.format("%dd %dh%02dm%02ds", seconds / 86400, (seconds / 3600) % 24, (seconds / 60) % 60,
                seconds % 60);
    }

    private static String hostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }
}
