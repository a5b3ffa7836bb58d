package io.stapled.admin;

import io.stapled.text.Json;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.stapled.admin.StatFields.Field;
import io.stapled.admin.StatFields.RowType;
import io.stapled.config.BackendConfig;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.backend.BackendServer;
import io.stapled.proxy.backend.BackendServer.AdminState;
import io.stapled.proxy.backend.CheckResult;
import io.stapled.proxy.backend.CheckStatus;

/**
 * {@code show stat [{<iid>|<proxy>} <type> <sid>] [typed|json] [up|no-maint]}: HAProxy 2.6's CSV, typed
 * and JSON forms over {@link StatFields}, one row per frontend, per server and per backend. A field
 * HAProxy fills for a row type is always printed, 0 when stapled does not measure it; a field HAProxy
 * leaves empty stays empty.
 *
 * <p>Proxy ids ({@code iid}): backends are 1 to n in configuration order, the ids {@code show servers
 * state} and {@code #<id>} lookups use; frontends follow. Server ids ({@code sid}) are the servers' own ids
 * (config order from 1, then the lowest free one for an {@code add server}), as in {@code show servers state}.
 */
final class StatCommand {
    private StatCommand() { }

    static RuntimeCommand command(Supplier<List<FrontendStats>> frontends, Map<String, BackendPool> backends) {
        return BasicCommand.sync("show stat", CliLevel.USER,
                "show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server",
                (args, p, s) -> show(frontends.get(), backends, args));
    }

    /** What {@code show stat}'s arguments ask for. */
    record Query(int iid, int typeMask, int sid, boolean typed, boolean json, boolean onlyUp, boolean noMaint) {
        static final Query ALL = new Query(-1, -1, -1, false, false, false, false);

        boolean wants(RowType type, int proxyId) {
            return (typeMask & type.bit()) != 0 && (iid == -1 || iid == proxyId);
        }
    }

    static String show(List<FrontendStats> frontends, Map<String, BackendPool> backends, List<String> args) {
        int arg = 2;
        int iid = -1;
        int type = -1;
        int sid = -1;
        if (args.size() > 4) {
            iid = proxyId(frontends, backends, args.get(2));
            if (iid == 0) {
                return "No such proxy.\n";
            }
            type = atoi(args.get(3));
            sid = atoi(args.get(4));
            arg = 5;
        }
        boolean typed = false;
        boolean json = false;
        boolean up = false;
        boolean noMaint = false;
        for (String a : args.subList(Math.min(arg, args.size()), args.size())) {
            switch (a) {
                case "typed" -> typed = true;
                case "json" -> json = true;
                case "up" -> up = true;
                case "no-maint" -> noMaint = true;
                default -> { } // "desc" and unknown words: HAProxy ignores them too
            }
        }
        return render(frontends, backends, new Query(iid, type, sid, typed, json, up, noMaint));
    }

    /** A proxy named so (frontends first, as HAProxy's lookup), or C's {@code atoi} of the argument. */
    private static int proxyId(List<FrontendStats> frontends, Map<String, BackendPool> backends, String arg) {
        for (int i = 0; i < frontends.size(); i++) {
            if (frontends.get(i).name().equals(arg)) {
                return frontendId(backends, i);
            }
        }
        int b = 1;
        for (String name : backends.keySet()) {
            if (name.equals(arg)) {
                return b;
            }
            b++;
        }
        return atoi(arg);
    }

    /** C's atoi: optional sign and leading digits, 0 when none. */
    static int atoi(String s) {
        int i = 0;
        boolean negative = false;
        if (i < s.length() && (s.charAt(i) == '-' || s.charAt(i) == '+')) {
            negative = s.charAt(i) == '-';
            i++;
        }
        long v = 0;
        for (; i < s.length() && Character.isDigit(s.charAt(i)) && v < Integer.MAX_VALUE; i++) {
            v = v * 10 + (s.charAt(i) - '0');
        }
        v = Math.min(v, Integer.MAX_VALUE);
        return (int) (negative ? -v : v);
    }

    static int frontendId(Map<String, BackendPool> backends, int index) {
        return backends.size() + index + 1;
    }

    /** One row: its type, ids and values by field name (missing: 0 or empty; "": empty). */
    record Row(RowType type, int iid, int sid, boolean http, boolean checked, Map<String, String> values) {
        String value(Field f) {
            if (f.tags(type, http, checked) == null) {
                return null;
            }
            String v = values.get(f.name());
            if (v == null) {
                return f.isText() ? null : "0";
            }
            return v.isEmpty() ? null : v;
        }
    }

    /** Collects a row's values. */
    private static final class Values {
        final Map<String, String> map = new HashMap<>();

        Values put(String name, Object value) {
            if (value != null) {
                map.put(name, value.toString());
            }
            return this;
        }

        /** A measured figure, or nothing (printed 0) when the source does not measure it. */
        Values known(String name, long value) {
            return value < 0 ? this : put(name, value);
        }
    }

    static String render(List<FrontendStats> frontends, Map<String, BackendPool> backends, Query q) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < frontends.size(); i++) {
            FrontendStats f = frontends.get(i);
            int iid = frontendId(backends, i);
            if (q.wants(RowType.FRONTEND, iid)) {
                rows.add(frontendRow(f, iid));
            }
        }
        int iid = 1;
        long now = System.nanoTime();
        for (BackendPool pool : backends.values()) {
            boolean http = !"tcp".equals(modeOf(pool.name(), frontends));
            if (q.wants(RowType.SERVER, iid)) {
                for (BackendServer s : pool.servers()) {
                    if ((q.sid() != -1 && q.sid() != s.id())
                            || (q.onlyUp() && !s.isAvailable())
                            || (q.noMaint() && s.adminState() == AdminState.MAINT)) {
                        continue;
                    }
                    rows.add(serverRow(pool, s, iid, s.id(), http, modeOf(pool.name(), frontends), now));
                }
            }
            if (q.wants(RowType.BACKEND, iid)) {
                rows.add(backendRow(pool, iid, http, modeOf(pool.name(), frontends), now));
            }
            iid++;
        }
        if (q.json()) {
            return json(rows);
        }
        return q.typed() ? typed(rows) : csv(rows);
    }

    private static Row frontendRow(FrontendStats f, int iid) {
        Values v = new Values().put("pxname", f.name()).put("svname", "FRONTEND")
                .known("scur", f.currentSessions()).known("smax", f.maxSessions())
                .known("slim", f.sessionLimit()).known("stot", f.totalSessions())
                .known("bin", f.bytesIn()).known("bout", f.bytesOut())
                .known("ereq", f.requestErrors()).put("status", f.status())
                .put("pid", 1).put("iid", iid).put("sid", 0).put("type", RowType.FRONTEND.code)
                .known("rate", f.sessionRate()).known("rate_max", f.sessionRateMax())
                .known("conn_rate", f.sessionRate()).known("conn_rate_max", f.sessionRateMax())
                .known("req_rate", f.requestRate()).known("req_rate_max", f.requestRateMax())
                .known("req_tot", f.totalRequests())
                .put("mode", f.mode()).known("conn_tot", f.totalConnections());
        long[] rsp = f.httpResponses();
        if (rsp != null && rsp.length >= 6) {
            responses(v, rsp);
        }
        return new Row(RowType.FRONTEND, iid, 0, !"tcp".equals(f.mode()), false, v.map);
    }

    private static void responses(Values v, long[] rsp) {
        v.put("hrsp_1xx", rsp[1]).put("hrsp_2xx", rsp[2]).put("hrsp_3xx", rsp[3])
                .put("hrsp_4xx", rsp[4]).put("hrsp_5xx", rsp[5]).put("hrsp_other", rsp[0]);
    }

    private static Row serverRow(BackendPool pool, BackendServer s, int iid, int sid, boolean http, String mode,
                                 long now) {
        Values v = new Values().put("pxname", pool.name()).put("svname", s.name())
                .put("scur", s.activeConnections()).put("smax", s.maxActiveConnections())
                .put("stot", s.totalConnections()).put("econ", s.failedConnects()).put("status", s.statusText())
                .put("weight", s.weight()).put("act", 1).put("bck", 0)
                .put("lastchg", seconds(now - s.lastChangeNanos()))
                .put("pid", 1).put("iid", iid).put("sid", sid)
                .put("lbtot", s.totalConnections()).put("type", RowType.SERVER.code)
                .put("rate", s.sessionRate().rate()).put("rate_max", s.sessionRate().max())
                .put("req_tot", s.requests()).put("lastsess", lastSession(s, now))
                .put("addr", Addresses.hostPort(s.address())).put("mode", mode).put("uweight", s.weight());
        long[] rsp = new long[6];
        for (int c = 0; c < rsp.length; c++) {
            rsp[c] = s.responses(c);
        }
        responses(v, rsp);
        if (s.queue() != null) {
            v.put("qcur", s.queue().queued()).put("qmax", s.queue().maxQueued());
        }
        if (s.isChecked()) {
            CheckResult last = s.lastCheck();
            CheckStatus status = last == null ? CheckStatus.INI : last.status();
            v.put("chkfail", s.failedChecks()).put("chkdown", s.downTransitions())
                    .put("downtime", seconds(s.downtimeNanos(now)))
                    .put("check_status", status.name()).put("check_desc", checkDescription(status));
            if (status == CheckStatus.INI) {
                v.put("check_duration", "");
            } else {
                v.put("check_duration", last.durationMillis()).put("last_chk", last.description());
            }
            BackendConfig.HealthCheckConfig hc = pool.config().healthCheck();
            if (hc != null) {
                v.put("check_rise", hc.rise()).put("check_fall", hc.fall())
                        .put("check_health", checkHealth(s, hc));
            }
        }
        return new Row(RowType.SERVER, iid, sid, http, s.isChecked(), v.map);
    }

    private static Row backendRow(BackendPool pool, int iid, boolean http, String mode, long now) {
        long scur = 0;
        long qcur = 0;
        long qmax = 0;
        long stot = 0;
        long econ = 0;
        long reqs = 0;
        long[] rsp = new long[6];
        int weight = 0;
        int act = 0;
        long lastSession = -1;
        long rate = 0;
        for (BackendServer s : pool.servers()) {
            rate += s.sessionRate().rate();
            scur += s.activeConnections();
            if (s.queue() != null) {
                // HAProxy's backend qmax is its own queue's; with per-server queues only, the sum of theirs
                qcur += s.queue().queued();
                qmax += s.queue().maxQueued();
            }
            stot += s.totalConnections();
            econ += s.failedConnects();
            reqs += s.requests();
            for (int c = 0; c < rsp.length; c++) {
                rsp[c] += s.responses(c);
            }
            long ls = lastSession(s, now);
            if (ls >= 0 && (lastSession < 0 || ls < lastSession)) {
                lastSession = ls;
            }
            if (s.isAvailable()) {
                weight += s.weight();
                act++;
            }
        }
        Values v = new Values().put("pxname", pool.name()).put("svname", "BACKEND")
                .put("scur", scur).put("qcur", qcur).put("qmax", qmax).put("stot", stot).put("econ", econ)
                .put("status", act > 0 ? "UP" : "DOWN").put("weight", weight)
                .put("act", act).put("bck", 0).put("pid", 1).put("iid", iid).put("sid", 0)
                .put("lbtot", stot).put("type", RowType.BACKEND.code).put("rate", rate).put("req_tot", reqs)
                .put("lastsess", lastSession).put("mode", mode)
                .put("algo", pool.config().balance().name().toLowerCase(Locale.ROOT))
                .put("uweight", weight);
        responses(v, rsp);
        return new Row(RowType.BACKEND, iid, 0, http, false, v.map);
    }

    /** Seconds since the server last handed a connection, -1 for never (HAProxy's {@code lastsess}). */
    private static long lastSession(BackendServer s, long now) {
        long at = s.lastSessionNanos();
        return at == 0 ? -1 : seconds(now - at);
    }

    private static long seconds(long nanos) {
        return Math.max(0, TimeUnit.NANOSECONDS.toSeconds(nanos));
    }

    /**
     * HAProxy's health counter: 0 to rise+fall-1, at or above rise while the server is up. Up with k
     * failed checks in a row, it is rise+fall-1-k; down with j good checks in a row, it is j.
     */
    static int checkHealth(BackendServer s, BackendConfig.HealthCheckConfig hc) {
        int progress = s.checkProgress();
        return s.isHealthy() ? hc.rise() + hc.fall() - 1 - progress : progress;
    }

    /** HAProxy's {@code check_desc} text for a check status (its {@code check_statuses[].desc}). */
    static String checkDescription(CheckStatus status) {
        return switch (status) {
            case INI -> "Initializing";
            case SOCKERR -> "Socket error";
            case L4OK -> "Layer4 check passed";
            case L4TOUT -> "Layer4 timeout";
            case L4CON -> "Layer4 connection problem";
            case L6OK -> "Layer6 check passed";
            case L6TOUT -> "Layer6 timeout";
            case L6RSP -> "Layer6 invalid response";
            case L7TOUT -> "Layer7 timeout";
            case L7RSP -> "Layer7 invalid response";
            case L7OK -> "Layer7 check passed";
            case L7STS -> "Layer7 wrong status";
        };
    }

    private static String csv(List<Row> rows) {
        StringBuilder sb = new StringBuilder(StatFields.header());
        for (Row r : rows) {
            for (Field f : StatFields.FIELDS) {
                String v = r.value(f);
                if (v != null) {
                    sb.append(csvField(v));
                }
                sb.append(',');
                if (f.pos() == StatFields.LAST_STATIC) {
                    sb.append("-,");
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String typed(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        for (Row r : rows) {
            for (Field f : StatFields.FIELDS) {
                String v = r.value(f);
                if (v != null) {
                    sb.append(r.type().letter).append('.').append(r.iid()).append('.').append(r.sid()).append('.')
                            .append(f.pos()).append('.').append(f.name()).append(".1:")
                            .append(f.tags(r.type(), r.http(), r.checked())).append(':').append(f.type()).append(':')
                            .append(v).append('\n');
                }
            }
        }
        return sb.toString();
    }

    private static String json(List<Row> rows) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            sb.append(i > 0 ? ",[" : "[");
            boolean first = true;
            for (Field f : StatFields.FIELDS) {
                String v = r.value(f);
                if (v == null) {
                    continue;
                }
                if (!first) {
                    sb.append(',');
                }
                first = false;
                sb.append("{\"objType\":\"").append(r.type().json).append("\",\"proxyId\":").append(r.iid())
                        .append(",\"id\":").append(r.sid()).append(",\"field\":{\"pos\":").append(f.pos())
                        .append(",\"name\":").append(Json.quote(f.name())).append("},\"processNum\":1,\"tags\":")
                        .append(TypedValue.jsonTags(f.tags(r.type(), r.http(), r.checked())))
                        .append(",\"value\":").append(TypedValue.jsonValue(f.type(), v)).append('}');
            }
            sb.append(']');
        }
        return sb.append("]\n").toString();
    }

    private static String modeOf(String backend, List<FrontendStats> frontends) {
        for (FrontendStats f : frontends) {
            if (f.backends().contains(backend)) {
                return f.mode();
            }
        }
        return "http";
    }

    /** Quotes a field only when it holds a comma or a quote, doubling quotes, as HAProxy does. */
    static String csvField(String v) {
        if (v.indexOf(',') < 0 && v.indexOf('"') < 0 && v.indexOf('\n') < 0) {
            return v;
        }
        return '"' + v.replace("\"", "\"\"") + '"';
    }
}
