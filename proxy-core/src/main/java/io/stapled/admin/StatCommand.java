package io.stapled.admin;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import io.stapled.config.BackendConfig;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.backend.BackendServer;
import io.stapled.proxy.backend.BackendServer.AdminState;
import io.stapled.proxy.backend.CheckResult;

/**
 * {@code show stat}: HAProxy's CSV, every static column in HAProxy's order (then the {@code -} column
 * that ends them), one row per frontend, per server and per backend. Fields stapled does not measure
 * are empty, as HAProxy leaves fields that do not apply.
 */
final class StatCommand {
    /** HAProxy's static proxy columns (ST_I_PX_*), in order. */
    static final List<String> COLUMNS = List.of(("pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,"
            + "ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,"
            + "sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,"
            + "hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,"
            + "cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,"
            + "ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,"
            + "check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,"
            + "conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,"
            + "qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,"
            + "need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,srid,sess_other,"
            + "h1sess,h2sess,h3sess,req_other,h1req,h2req,h3req,proto,priv_idle_cur,reqbin,reqbout,resbin,"
            + "resbout,cache_hint_hits").split(","));

    static final String HEADER = "# " + String.join(",", COLUMNS) + ",-,\n";

    private StatCommand() { }

    static RuntimeCommand command(Supplier<List<FrontendStats>> frontends, Map<String, BackendPool> backends) {
        return BasicCommand.sync("show stat", CliLevel.USER,
                "show stat [no-maint|up]*                : report counters for each proxy and server",
                (args, p, s) -> args.contains("typed") || args.contains("json")
                        ? "stapled's show stat speaks CSV only; drop 'typed' / 'json'.\n"
                        : render(frontends.get(), backends, args.contains("up"), args.contains("no-maint")));
    }

    /** One CSV row under construction: values by column name. */
    private static final class Row {
        private final String[] values = new String[COLUMNS.size()];

        Row set(String column, Object value) {
            int i = COLUMNS.indexOf(column);
            if (i < 0) {
                throw new IllegalArgumentException("no show stat column " + column);
            }
            values[i] = value == null ? null : value.toString();
            return this;
        }

        Row known(String column, long value) {
            return value < 0 ? this : set(column, value);
        }

        String csv() {
            StringBuilder sb = new StringBuilder();
            for (String v : values) {
                if (v != null) {
                    sb.append(csvField(v));
                }
                sb.append(',');
            }
            return sb.append("-,\n").toString();
        }
    }

    static String render(List<FrontendStats> frontends, Map<String, BackendPool> backends,
                         boolean onlyUp, boolean noMaint) {
        StringBuilder sb = new StringBuilder(HEADER);
        int iid = 1;
        for (FrontendStats f : frontends) {
            Row r = new Row().set("pxname", f.name()).set("svname", "FRONTEND")
                    .known("scur", f.currentSessions()).known("smax", f.maxSessions())
                    .known("slim", f.sessionLimit()).known("stot", f.totalSessions())
                    .known("bin", f.bytesIn()).known("bout", f.bytesOut())
                    .set("dreq", 0).set("dresp", 0).known("ereq", f.requestErrors())
                    .set("status", f.status()).set("pid", 1).set("iid", iid).set("type", 0)
                    .known("rate", f.sessionRate()).known("req_tot", f.totalRequests())
                    .set("mode", f.mode()).known("conn_tot", f.totalConnections());
            long[] rsp = f.httpResponses();
            if (rsp != null && rsp.length >= 6) {
                r.set("hrsp_1xx", rsp[1]).set("hrsp_2xx", rsp[2]).set("hrsp_3xx", rsp[3])
                        .set("hrsp_4xx", rsp[4]).set("hrsp_5xx", rsp[5]).set("hrsp_other", rsp[0]);
            }
            sb.append(r.csv());
            iid++;
        }
        for (BackendPool pool : backends.values()) {
            String mode = modeOf(pool.name(), frontends);
            BackendConfig.HealthCheckConfig hc = pool.config().healthCheck();
            List<BackendServer> servers = pool.servers();
            long scur = 0;
            long stot = 0;
            long econ = 0;
            int weight = 0;
            int act = 0;
            List<String> rows = new ArrayList<>();
            for (int i = 0; i < servers.size(); i++) {
                BackendServer s = servers.get(i);
                String status = s.statusText();
                scur += s.activeConnections();
                stot += s.totalConnections();
                econ += s.failedConnects();
                if (s.isAvailable()) {
                    weight += s.weight();
                    act++;
                }
                if ((onlyUp && !s.isAvailable()) || (noMaint && s.adminState() == AdminState.MAINT)) {
                    continue;
                }
                Row r = new Row().set("pxname", pool.name()).set("svname", s.name())
                        .set("qcur", 0).set("qmax", 0).set("scur", s.activeConnections())
                        .set("stot", s.totalConnections()).set("econ", s.failedConnects()).set("status", status)
                        .set("weight", s.weight()).set("act", 1).set("bck", 0)
                        .set("pid", 1).set("iid", iid).set("sid", s.id())
                        .set("lbtot", s.totalConnections()).set("type", 2)
                        .set("addr", address(s)).set("mode", mode)
                        .set("uweight", s.weight());
                if (s.isChecked()) {
                    CheckResult last = s.lastCheck();
                    r.set("check_status", last == null ? "INI" : last.status().name());
                    if (last != null) {
                        r.set("check_duration", last.durationMillis()).set("check_desc", last.description())
                                .set("last_chk", last.description());
                    }
                    if (hc != null) {
                        r.set("check_rise", hc.rise()).set("check_fall", hc.fall())
                                .set("check_health", s.isHealthy() ? hc.rise() + hc.fall() - 1 : 0);
                    }
                }
                rows.add(r.csv());
            }
            rows.forEach(sb::append);
            Row b = new Row().set("pxname", pool.name()).set("svname", "BACKEND")
                    .set("qcur", 0).set("qmax", 0).set("scur", scur).set("stot", stot).set("econ", econ)
                    .set("status", act > 0 ? "UP" : "DOWN").set("weight", weight)
                    .set("act", act).set("bck", 0).set("pid", 1).set("iid", iid)
                    .set("lbtot", stot).set("type", 1).set("mode", mode)
                    .set("algo", pool.config().balance().name().toLowerCase(java.util.Locale.ROOT))
                    .set("uweight", weight);
            sb.append(b.csv());
            iid++;
        }
        return sb.toString();
    }

    private static String address(BackendServer s) {
        return Addresses.hostPort(s.address());
    }

    private static String modeOf(String backend, List<FrontendStats> frontends) {
        for (FrontendStats f : frontends) {
            if (backend.equals(f.backend())) {
                return f.mode();
            }
        }
        return null;
    }

    /** Quotes a field only when it holds a comma or a quote, doubling quotes, as HAProxy does. */
    static String csvField(String v) {
        if (v.indexOf(',') < 0 && v.indexOf('"') < 0 && v.indexOf('\n') < 0) {
            return v;
        }
        return '"' + v.replace("\"", "\"\"") + '"';
    }
}
