package io.stapled.admin;

import io.stapled.text.Json;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code show info} and {@code show version}. The fields, their positions, types and tags are HAProxy
 * 2.6's, copied from a real HAProxy 2.6.12 (see the capture under the tests' resources): a script that
 * reads {@code show info} by name or by position finds every field where HAProxy puts it. Figures
 * stapled does not measure are 0; a text field stapled has nothing for is left out, as HAProxy leaves
 * out its empty {@code description}.
 */
final class InfoCommands {
    /** One {@code show info} field: position, name, value type and tag letters, as HAProxy 2.6 prints them. */
    record Field(int pos, String name, String type, String tags) {
        boolean isText() {
            return "str".equals(type);
        }
    }

    /**
     * HAProxy 2.6's fields (pos|name|type|tags). Positions 45 and 46 (zlib memory), and 51
     * ({@code description}, empty unless configured), are not printed by the Debian 2.6 build either.
     */
    static final List<Field> FIELDS = parse("""
            0|Name|str|POS
            1|Version|str|POS
            2|Release_date|str|POS
            3|Nbthread|u32|CGS
            4|Nbproc|u32|CGS
            5|Process_num|u32|KGP
            6|Pid|u32|SGP
            7|Uptime|str|MDP
            8|Uptime_sec|u32|MDP
            9|Memmax_MB|u32|CLP
            10|PoolAlloc_MB|u32|MGP
            11|PoolUsed_MB|u32|MGP
            12|PoolFailed|u32|MCP
            13|Ulimit-n|u32|CLP
            14|Maxsock|u32|CLP
            15|Maxconn|u32|CLP
            16|Hard_maxconn|u32|CLP
            17|CurrConns|u32|MGP
            18|CumConns|u32|MCP
            19|CumReq|u32|MCP
            20|MaxSslConns|u32|MMP
            21|CurrSslConns|u32|MGP
            22|CumSslConns|u32|MCP
            23|Maxpipes|u32|CLP
            24|PipesUsed|u32|MGP
            25|PipesFree|u32|MGP
            26|ConnRate|u32|MRP
            27|ConnRateLimit|u32|CLP
            28|MaxConnRate|u32|MMP
            29|SessRate|u32|MRP
            30|SessRateLimit|u32|CLP
            31|MaxSessRate|u32|MRP
            32|SslRate|u32|MRP
            33|SslRateLimit|u32|CLP
            34|MaxSslRate|u32|MMP
            35|SslFrontendKeyRate|u32|MGP
            36|SslFrontendMaxKeyRate|u32|MMP
            37|SslFrontendSessionReuse_pct|u32|MGP
            38|SslBackendKeyRate|u32|MRP
            39|SslBackendMaxKeyRate|u32|MMP
            40|SslCacheLookups|u32|MCP
            41|SslCacheMisses|u32|MCP
            42|CompressBpsIn|u32|MRP
            43|CompressBpsOut|u32|MRP
            44|CompressBpsRateLim|u32|CLP
            47|Tasks|u32|MGP
            48|Run_queue|u32|MGP
            49|Idle_pct|u32|MaP
            50|node|str|COS
            52|Stopping|u32|MGP
            53|Jobs|u32|MGP
            54|Unstoppable Jobs|u32|MGP
            55|Listeners|u32|MGP
            56|ActivePeers|u32|MGP
            57|ConnectedPeers|u32|MGP
            58|DroppedLogs|u32|MGP
            59|BusyPolling|u32|MGP
            60|FailedResolutions|u32|MGP
            61|TotalBytesOut|u64|MGP
            62|TotalSplicdedBytesOut|u64|MGP
            63|BytesOutRate|u64|MRP
            64|DebugCommandsIssued|u32|MGP
            65|CumRecvLogs|u32|MCP
            66|Build info|str|POS
            67|Memmax_bytes|u32|CLP
            68|PoolAlloc_bytes|u64|MGP
            69|PoolUsed_bytes|u64|MGP
            70|Start_time_sec|u32|MDP
            71|Tainted|str|SGP
            """);

    private InfoCommands() { }

    private static List<Field> parse(String table) {
        List<Field> fields = new ArrayList<>();
        for (String line : table.strip().split("\n")) {
            String[] c = line.strip().split("\\|");
            fields.add(new Field(Integer.parseInt(c[0]), c[1], c[2], c[3]));
        }
        return List.copyOf(fields);
    }

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
        Map<String, String> values = values(stats);
        boolean json = args.contains("json");
        boolean typed = args.contains("typed");
        StringBuilder sb = new StringBuilder();
        if (json) {
            sb.append('[');
        }
        boolean first = true;
        for (Field f : FIELDS) {
            String v = values.get(f.name());
            if (v == null || v.isEmpty()) {
                if (f.isText()) {
                    continue; // HAProxy leaves out an empty text field
                }
                v = "0";
            }
            if (json) {
                if (!first) {
                    sb.append(',');
                }
                sb.append("{\"field\":{\"pos\":").append(f.pos()).append(",\"name\":").append(Json.quote(f.name()))
                        .append("},\"processNum\":1,\"tags\":").append(TypedValue.jsonTags(f.tags()))
                        .append(",\"value\":").append(TypedValue.jsonValue(f.type(), v)).append('}');
            } else if (typed) {
                sb.append(f.pos()).append('.').append(f.name()).append(".1:").append(f.tags()).append(':')
                        .append(f.type()).append(':').append(v).append('\n');
            } else {
                sb.append(f.name()).append(": ").append(v).append('\n');
            }
            first = false;
        }
        return json ? sb.append("]\n").toString() : sb.toString();
    }

    /** The values stapled measures, by HAProxy field name; a field not here prints as 0 (or not at all). */
    static Map<String, String> values(ProcessStats p) {
        Map<String, String> f = new HashMap<>();
        long up = Math.max(0, Duration.between(p.startTime(), Instant.now()).toSeconds());
        Runtime rt = Runtime.getRuntime();
        f.put("Name", p.name());
        f.put("Version", p.version());
        f.put("Release_date", p.releaseDate());
        putKnown(f, "Nbthread", p.threads());
        f.put("Nbproc", "1");
        f.put("Process_num", "1");
        f.put("Pid", Long.toString(p.pid()));
        f.put("Uptime", uptime(up));
        f.put("Uptime_sec", Long.toString(up));
        // HAProxy's memory limit and pools: the JVM heap's limit, what it holds and what is in use
        long heapUsed = rt.totalMemory() - rt.freeMemory();
        f.put("Memmax_MB", Long.toString(rt.maxMemory() / (1024 * 1024)));
        f.put("PoolAlloc_MB", Long.toString(rt.totalMemory() / (1024 * 1024)));
        f.put("PoolUsed_MB", Long.toString(heapUsed / (1024 * 1024)));
        f.put("Memmax_bytes", Long.toString(rt.maxMemory()));
        f.put("PoolAlloc_bytes", Long.toString(rt.totalMemory()));
        f.put("PoolUsed_bytes", Long.toString(heapUsed));
        long fds = maxDescriptors();
        putKnown(f, "Ulimit-n", fds);
        putKnown(f, "Maxsock", fds);
        putKnown(f, "Maxconn", p.maxConnections());
        putKnown(f, "Hard_maxconn", p.maxConnections());
        putKnown(f, "CurrConns", p.currentConnections());
        putKnown(f, "CumConns", p.cumulativeConnections());
        putKnown(f, "CumReq", p.cumulativeRequests());
        putKnown(f, "CurrSslConns", p.currentSslConnections());
        putKnown(f, "CumSslConns", p.cumulativeSslConnections());
        putKnown(f, "ConnRate", p.connectionRate());
        putKnown(f, "SessRate", p.connectionRate()); // a session is a connection in stapled
        putKnown(f, "SslRate", p.sslRate());
        putKnown(f, "SslFrontendKeyRate", p.sslFrontendKeyRate());
        putKnown(f, "SslFrontendSessionReuse_pct", p.sslFrontendSessionReusePct());
        putKnown(f, "Idle_pct", idlePercent());
        f.put("node", hostName());
        f.put("Stopping", p.stopping() ? "1" : "0");
        int listeners = p.listeners();
        putKnown(f, "Listeners", listeners);
        if (listeners >= 0 && p.currentConnections() >= 0) {
            // HAProxy's jobs: listeners plus the connections they carry
            f.put("Jobs", Long.toString(listeners + p.currentConnections()));
        }
        putKnown(f, "TotalBytesOut", p.totalBytesOut());
        f.put("Build info", p.version());
        f.put("Start_time_sec", Long.toString(p.startTime().getEpochSecond()));
        f.put("Tainted", "0");
        return f;
    }

    private static void putKnown(Map<String, String> f, String name, long value) {
        if (value >= 0) {
            f.put(name, Long.toString(value));
        }
    }

    private static long maxDescriptors() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean os) {
            return os.getMaxFileDescriptorCount();
        }
        return -1;
    }

    /** 100 less the JVM's recent share of the machine's CPU (HAProxy's is its threads' idle time). */
    private static long idlePercent() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            double load = os.getProcessCpuLoad();
            if (load >= 0) {
                return Math.round(100 * (1 - load));
            }
        }
        return -1;
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
