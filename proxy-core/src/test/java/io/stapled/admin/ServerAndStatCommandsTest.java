package io.stapled.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.stapled.config.BackendConfig;
import io.stapled.config.BackendConfig.ServerConfig;
import io.stapled.config.HostPort;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.backend.BackendServer;
import io.stapled.proxy.backend.BackendServer.AdminState;
import io.stapled.proxy.backend.CheckStatus;
import io.stapled.proxy.backend.HealthChecker;
import io.stapled.net.Transport;
import io.stapled.testkit.Poll;
import io.netty.channel.EventLoopGroup;
import java.net.ServerSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** show info / show stat / server state commands over the socket, on real {@link BackendPool}s. */
@Timeout(20)
class ServerAndStatCommandsTest {
    @TempDir
    Path dir;
    private RuntimeApiFixture cli;
    private BackendPool web;
    private BackendPool api;

    private final List<ServerSocket> listeners = new java.util.ArrayList<>();
    private int port1;
    private int port2;

    @BeforeEach
    void start() throws Exception {
        for (int i = 0; i < 2; i++) {
            listeners.add(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        }
        port1 = listeners.get(0).getLocalPort();
        port2 = listeners.get(1).getLocalPort();
        BackendConfig.HealthCheckConfig check = new BackendConfig.HealthCheckConfig(
                BackendConfig.HealthCheckConfig.Type.TCP, null, 0, Duration.ofMillis(50), Duration.ofSeconds(1), 2, 3);
        web = new BackendPool(new BackendConfig("web", BackendConfig.Balance.ROUNDROBIN,
                List.of(new ServerConfig("s1", new HostPort("127.0.0.1", port1), 100),
                        new ServerConfig("s2", new HostPort("127.0.0.1", port2), 50)),
                check, Duration.ofSeconds(1), Duration.ofSeconds(5), 4, Duration.ofSeconds(30)));
        // One real round of TCP checks, then stop them so the commands below are the only changes.
        Transport t = Transport.best();
        EventLoopGroup checks = t.newGroup(1, "checks");
        try (HealthChecker checker = new HealthChecker(web, check, checks, t.socketChannel())) {
            checker.start();
            Poll.until(Duration.ofSeconds(5), "a round of health checks", () -> web.servers().stream()
                    .allMatch(sv -> sv.lastCheck() != null && sv.lastCheck().status() == CheckStatus.L4OK));
        } finally {
            checks.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
        api = new BackendPool(new BackendConfig("api", BackendConfig.Balance.LEASTCONN,
                List.of(new ServerConfig("a1", new HostPort("::1", 9000), 1)),
                null, Duration.ofSeconds(1), Duration.ofSeconds(5), 4, Duration.ofSeconds(30)));
        FrontendStats https = new FrontendStats() {
            @Override
            public String name() {
                return "https,main";
            }

            @Override
            public String mode() {
                return "http";
            }

            @Override
            public String backend() {
                return "web";
            }

            @Override
            public long currentSessions() {
                return 3;
            }

            @Override
            public long totalSessions() {
                return 42;
            }

            @Override
            public long[] httpResponses() {
                return new long[] {0, 0, 40, 0, 1, 1};
            }
        };
        ProcessStats process = new ProcessStats() {
            @Override
            public String name() {
                return "stapled";
            }

            @Override
            public String version() {
                return "0.1.0";
            }

            @Override
            public java.time.Instant startTime() {
                return java.time.Instant.now().minusSeconds(90061);
            }

            @Override
            public long currentConnections() {
                return 7;
            }

            @Override
            public long cumulativeConnections() {
                return 1234;
            }

            @Override
            public long sslFrontendSessionReusePct() {
                return 35;
            }
        };
        cli = RuntimeApiFixture.start(dir, RuntimeApiContext.builder(process)
                .frontends(() -> List.of(https)).backend(web).backend(api).build());
    }

    @AfterEach
    void stop() throws IOException {
        cli.close();
        for (ServerSocket l : listeners) {
            l.close();
        }
    }

    @Test
    void showInfoHasHaproxyNamesAndLayout() throws IOException {
        String out = cli.send("show info\n");
        List<String> lines = List.of(out.split("\n"));
        assertEquals("Name: stapled", lines.get(0));
        assertEquals("Version: 0.1.0", lines.get(1));
        assertTrue(out.contains("\nPid: " + ProcessHandle.current().pid() + "\n"), out);
        assertTrue(out.matches("(?s).*\nUptime: 1d 1h01m0\\ds\n.*"), out);
        assertTrue(out.contains("\nUptime_sec: 9006"), out);
        assertTrue(out.contains("\nCurrConns: 7\nCumConns: 1234\n"), out);
        assertTrue(out.contains("\nSslFrontendSessionReuse_pct: 35\n"), out);
        assertTrue(out.contains("\nCumReq: 0\n"), "unmeasured figures are 0, as HAProxy prints them");
        assertTrue(out.contains("\nPoolFailed: 0\nUlimit-n: "), out);
        assertFalse(out.contains("Release_date"), "no release date known: left out as HAProxy leaves empty text out");
        for (String l : lines) {
            assertTrue(l.matches("[A-Za-z_0-9 -]+: .*"), l);
        }
        assertTrue(out.endsWith("\nTainted: 0\n\n"), out);
        String typed = cli.send("show info typed\n");
        assertTrue(typed.startsWith("0.Name.1:POS:str:stapled\n1.Version.1:POS:str:0.1.0\n3.Nbthread.1:CGS:u32:"), typed);
        assertTrue(typed.contains("\n17.CurrConns.1:MGP:u32:7\n18.CumConns.1:MCP:u32:1234\n"), typed);
        assertTrue(typed.contains("\n49.Idle_pct.1:MaP:u32:"), typed);
        String json = cli.send("show info json\n");
        assertTrue(json.startsWith("[{\"field\":{\"pos\":0,\"name\":\"Name\"},\"processNum\":1,"
                + "\"tags\":{\"origin\":\"Product\",\"nature\":\"Output\",\"scope\":\"Service\"},"
                + "\"value\":{\"type\":\"str\",\"value\":\"stapled\"}}"), json);
        assertTrue(json.contains(",{\"field\":{\"pos\":18,\"name\":\"CumConns\"},\"processNum\":1,"
                + "\"tags\":{\"origin\":\"Metric\",\"nature\":\"Counter\",\"scope\":\"Process\"},"
                + "\"value\":{\"type\":\"u32\",\"value\":1234}}"), json);
        assertTrue(json.endsWith("}]\n\n"), json);
    }

    @Test
    void showStatIsHaproxyCsv() throws IOException {
        String out = cli.send("show stat\n");
        List<String> lines = List.of(out.split("\n", -1));
        String header = lines.get(0);
        assertTrue(header.startsWith("# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,"
                + "eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,"
                + "throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,"
                + "hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,"), header);
        assertTrue(header.contains(",uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,"
                + "ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,"), header);
        assertTrue(header.endsWith(",h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,"), header);
        int columns = header.substring(2).split(",", -1).length;
        assertEquals(103 + 1 + 24 + 1, columns, "103 static fields, '-', 24 module fields and the trailing comma");
        // frontend, web's 2 servers + BACKEND, api's server + BACKEND, then the end-of-output empty line
        assertEquals(1 + 1 + 3 + 2 + 2, lines.size(), out);
        for (String row : lines.subList(1, 7)) {
            assertEquals(columns, row.split(",", -1).length - (row.startsWith("\"") ? 1 : 0), row);
            assertTrue(row.endsWith(","), row);
        }
        String[] fe = lines.get(1).split(",", -1);
        assertEquals("\"https", fe[0], "a name with a comma is quoted");
        assertEquals("3", fe[28], "frontends are numbered after the two backends");
        assertEquals("0", fe[29], "a FRONTEND's sid is 0");
        assertEquals("0", fe[9], "bytes out: not measured by this frontend, printed 0 as HAProxy prints a number");
        assertEquals("40", fe[41]);
        String[] s1 = lines.get(2).split(",", -1);
        assertEquals("web", s1[0]);
        assertEquals("s1", s1[1]);
        assertEquals("", s1[6], "a server has no slim, as in HAProxy");
        assertEquals("UP", s1[17]);
        assertEquals("100", s1[18]);
        assertEquals("1", s1[27], "web is backend 1");
        assertEquals("1", s1[28]);
        assertEquals("2", s1[32], "type 2 = server");
        assertEquals("L4OK", s1[36]);
        assertEquals("", s1[37], "check_code: none for an L4 check");
        assertEquals("Layer4 check passed", s1[65], "check_desc is HAProxy's text for the status");
        assertEquals("2", s1[67]);
        assertEquals("3", s1[68]);
        assertEquals("4", s1[69], "check_health: up with no failure = rise + fall - 1");
        assertEquals("127.0.0.1:" + port1, s1[73]);
        assertEquals("http", s1[75]);
        assertEquals("-1", s1[55], "lastsess: no session yet");
        String[] webBackend = lines.get(4).split(",", -1);
        assertEquals("BACKEND", webBackend[1]);
        assertEquals("UP", webBackend[17]);
        assertEquals("150", webBackend[18]);
        assertEquals("2", webBackend[19]);
        assertEquals("0", webBackend[28]);
        assertEquals("roundrobin", webBackend[76]);
        String[] a1 = lines.get(5).split(",", -1);
        assertEquals("no check", a1[17]);
        assertEquals("", a1[36], "an unchecked server has no check fields");
        assertEquals("", a1[67]);
        assertEquals("2", a1[27]);
        assertEquals("[::1]:9000", a1[73]);
    }

    @Test
    void statAndServersStateAgreeOnIds() throws IOException {
        java.util.Map<String, String> fromStat = new java.util.TreeMap<>();
        for (String row : cli.send("show stat -1 4 -1\n").split("\n")) {
            if (!row.isEmpty() && !row.startsWith("#")) {
                String[] f = row.split(",", -1);
                fromStat.put(f[0] + "/" + f[1], f[27] + " " + f[28]);
            }
        }
        java.util.Map<String, String> fromState = new java.util.TreeMap<>();
        for (String line : cli.send("show servers state\n").split("\n")) {
            String[] f = line.split(" ");
            if (f.length == 25) {
                fromState.put(f[1] + "/" + f[3], f[0] + " " + f[2]);
            }
        }
        assertEquals(java.util.Map.of("web/s1", "1 1", "web/s2", "1 2", "api/a1", "2 1"), fromState);
        assertEquals(fromState, fromStat, "iid/sid of show stat = be_id/srv_id of show servers state");
    }

    @Test
    void showStatFilterTakesProxyTypeMaskAndServerId() throws IOException {
        String servers = cli.send("show stat -1 4 -1\n");
        List<String> rows = List.of(servers.split("\n")).subList(1, 4);
        assertTrue(rows.get(0).startsWith("web,s1,") && rows.get(1).startsWith("web,s2,")
                && rows.get(2).startsWith("api,a1,"), servers);
        assertTrue(servers.startsWith("# pxname,svname,"), "the header stays");
        String webOnly = cli.send("show stat web 2 -1\n");
        assertEquals(2 + 2, webOnly.split("\n", -1).length, webOnly);
        assertTrue(webOnly.contains("\nweb,BACKEND,"), webOnly);
        assertTrue(cli.send("show stat 1 4 2\n").contains("\nweb,s2,"));
        assertFalse(cli.send("show stat 1 4 2\n").contains("\nweb,s1,"));
        String frontend = cli.send("show stat 3 1 -1\n");
        assertTrue(frontend.contains("\n\"https,main\",FRONTEND,"), frontend);
        assertEquals(1 + 1 + 2, frontend.split("\n", -1).length, frontend);
        assertEquals("No such proxy.\n\n", cli.send("show stat nope 1 -1\n"));
        String typed = cli.send("show stat 2 4 -1 typed\n");
        assertTrue(typed.startsWith("S.2.1.0.pxname.1:KNS:str:api\nS.2.1.1.svname.1:KNS:str:a1\n"), typed);
    }

    @Test
    void showStatTypedAndJsonCarryPositionsTypesAndTags() throws IOException {
        String typed = cli.send("show stat typed\n");
        assertTrue(typed.startsWith("F.3.0.0.pxname.1:KNS:str:https,main\nF.3.0.1.svname.1:KNS:str:FRONTEND\n"
                + "F.3.0.4.scur.1:MGP:u32:3\n"), typed);
        assertTrue(typed.contains("\nF.3.0.40.hrsp_2xx.1:MCP:u64:40\n"), typed);
        assertTrue(typed.contains("\nS.1.1.36.check_status.1:MOP:str:L4OK\n"), typed);
        assertTrue(typed.contains("\nS.1.1.55.lastsess.1:MAP:s32:-1\n"), typed);
        assertTrue(typed.contains("\nB.1.0.76.algo.1:CGS:str:roundrobin\n"), typed);
        assertTrue(typed.contains("\nS.1.2.103.ssl_sess.1:MCP:u64:0\n"), "module fields follow at 103");
        assertFalse(typed.contains("S.2.1.36.check_status"), "unchecked server: no check fields");
        String json = cli.send("show stat json\n");
        assertTrue(json.startsWith("[[{\"objType\":\"Frontend\",\"proxyId\":3,\"id\":0,\"field\":{\"pos\":0,"
                + "\"name\":\"pxname\"},\"processNum\":1,\"tags\":{\"origin\":\"Key\",\"nature\":\"Name\","
                + "\"scope\":\"Service\"},\"value\":{\"type\":\"str\",\"value\":\"https,main\"}}"), json);
        assertTrue(json.contains("],[{\"objType\":\"Server\",\"proxyId\":1,\"id\":1,"), json);
        assertTrue(json.contains("{\"objType\":\"Server\",\"proxyId\":1,\"id\":1,\"field\":{\"pos\":4,\"name\":\"scur\"},"
                + "\"processNum\":1,\"tags\":{\"origin\":\"Metric\",\"nature\":\"Gauge\",\"scope\":\"Process\"},"
                + "\"value\":{\"type\":\"u32\",\"value\":0}}"), json);
        assertTrue(json.endsWith("}]]\n\n"), json);
    }

    @Test
    void serverStateCommandsChangeTheLiveServers() throws IOException {
        BackendServer s1 = web.server("s1");
        assertEquals("\n", cli.send("disable server web/s1\n"));
        assertEquals(AdminState.MAINT, s1.adminState());
        assertFalse(s1.isAvailable());
        for (int i = 0; i < 10; i++) {
            assertEquals("s2", web.select(InetAddress.getLoopbackAddress()).name(), "maintenance takes no traffic");
        }
        String maint = cli.send("show stat\n");
        assertTrue(maint.contains("\nweb,s1,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT,"), maint);
        assertEquals("\n", cli.send("enable server web/s1\n"));
        assertEquals(AdminState.READY, s1.adminState());
        assertEquals("\n", cli.send("set server web/s1 state drain\n"));
        assertEquals(AdminState.DRAIN, s1.adminState());
        assertEquals("\n", cli.send("set server web/#1 state ready\n"));
        assertEquals(AdminState.READY, s1.adminState());
        assertEquals("\n", cli.send("set server web/s2 state maint\n"));
        assertEquals(AdminState.MAINT, web.server("s2").adminState());
        assertEquals("\n", cli.send("set server web/s1 health down\n"));
        assertFalse(s1.isHealthy());
        assertNull(web.select(InetAddress.getLoopbackAddress()), "no server left");
        String down = cli.send("show stat\n");
        assertTrue(down.contains("\nweb,BACKEND,0,0,0,0,0,0,0,0,0,0,,0,0,0,0,DOWN,0,0,"), down);
        String[] s1Row = down.substring(down.indexOf("\nweb,s1,") + 1).split(",", -1);
        assertEquals("1", s1Row[22], "chkdown counts the forced down");
        String[] state = cli.send("show servers state web\n").split("\n")[2].split(" ");
        assertEquals("0", state[5], "srv_op_state: stopped");
        assertTrue(state[9].matches("[01]"), "srv_time_since_last_change: just changed, " + state[9]);
        assertEquals("0", state[12], "srv_check_health: down");
        assertEquals("\n", cli.send("set server web/s1 health up\n"));
        assertTrue(s1.isHealthy());
    }

    @Test
    void weightCommandsFollowHaproxyRules() throws IOException {
        BackendServer s2 = web.server("s2");
        assertEquals("50 (initial 50)\n\n", cli.send("get weight web/s2\n"));
        assertEquals("\n", cli.send("set server web/s2 weight 10\n"));
        assertEquals(10, s2.weight());
        assertEquals("\n", cli.send("set weight web/s2 200%\n"));
        assertEquals(100, s2.weight());
        assertEquals("100 (initial 50)\n\n", cli.send("get weight web/s2\n"));
        assertEquals("\n", cli.send("set server web/s2 weight 1000%\n"));
        assertEquals(256, s2.weight(), "relative weights are capped at 256");
        assertEquals("Absolute weight can only be between 0 and 256 inclusive.\n\n", cli.send("set server web/s2 weight 257\n"));
        assertEquals("Relative weight must be positive.\n\n", cli.send("set server web/s2 weight -5%\n"));
        assertEquals("Trailing garbage in weight string\n\n", cli.send("set server web/s2 weight 12abc\n"));
        assertEquals("Empty weight string empty or preceded by garbage\n\n", cli.send("set server web/s2 weight x\n"));
        assertEquals("Require <weight> or <weight%>.\n\n", cli.send("set server web/s2 weight\n"));
        assertEquals(256, s2.weight(), "refused changes change nothing");
        assertEquals("\n", cli.send("set server web/s2 weight 0\n"));
        assertFalse(s2.isAvailable(), "weight 0 takes no new traffic");
    }

    @Test
    void malformedServerArgumentsAreOneErrorLineAndChangeNothing() throws IOException {
        assertEquals("Require 'backend/server'.\n\n", cli.send("disable server web\n"));
        assertEquals("Require 'backend/server'.\n\n", cli.send("set server\n"));
        assertEquals("No such backend.\n\n", cli.send("disable server nope/s1\n"));
        assertEquals("No such server.\n\n", cli.send("disable server web/nope\n"));
        assertEquals("'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n",
                cli.send("set server web/s1 state sleepy\n"));
        assertEquals("'set server <srv> health' expects 'up', 'stopping', or 'down'.\n\n",
                cli.send("set server web/s1 health maybe\n"));
        assertEquals("usage: set server <backend>/<server> addr | health | state | weight\n\n",
                cli.send("set server web/s1 color blue\n"));
        assertEquals(AdminState.READY, web.server("s1").adminState());
        assertTrue(web.server("s1").isHealthy());
    }

    @Test
    void showServersStateHasHaproxyVersion1Layout() throws IOException {
        cli.send("set server web/s2 state drain\n");
        String out = cli.send("show servers state\n");
        List<String> lines = List.of(out.split("\n", -1));
        assertEquals("1", lines.get(0));
        assertEquals("# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight "
                + "srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state "
                + "srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl "
                + "srv_check_port srv_check_addr srv_agent_addr srv_agent_port", lines.get(1));
        // srv_time_since_last_change: the servers were made when the test started (s2 changed just now)
        assertTrue(lines.get(2).matches("1 web 1 s1 127\\.0\\.0\\.1 2 0 100 100 [0-9]+ 6 3 4 6 0 0 0 - " + port1
                + " - 0 0 - - 0"), lines.get(2));
        assertTrue(lines.get(3).matches("1 web 2 s2 127\\.0\\.0\\.1 2 8 50 50 [01] 6 3 4 6 0 0 0 - " + port2
                + " - 0 0 - - 0"), lines.get(3));
        // an unchecked server: INI, result unknown, health = rise, as HAProxy's dormant check
        assertTrue(lines.get(4).matches("2 api 1 a1 ::1 2 0 1 1 [0-9]+ 1 0 2 0 0 0 0 - 9000 - 0 0 - - 0"), lines.get(4));
        for (String l : lines.subList(2, 5)) {
            assertEquals(25, l.split(" ").length, l);
        }
        assertEquals(List.of("", ""), lines.subList(5, 7));
        assertEquals(3 + 2, cli.send("show servers state api\n").split("\n", -1).length);
        assertEquals("Can't find backend.\n\n", cli.send("show servers state nope\n"));
        assertEquals("# name\nweb\napi\n\n", cli.send("show backend\n"));
    }
}
