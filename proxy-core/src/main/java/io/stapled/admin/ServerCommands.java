package io.stapled.admin;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.stapled.config.BackendConfig;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.backend.BackendServer;
import io.stapled.proxy.backend.BackendServer.AdminState;
import io.stapled.proxy.backend.CheckResult;
import io.stapled.proxy.backend.CheckStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server state: {@code disable/enable server}, {@code set server ... state|weight|health},
 * {@code get/set weight}, {@code show servers state}, {@code show backend}. They act on the live
 * {@link BackendServer}s: the next connection the balancer places sees the change.
 */
final class ServerCommands {
    private static final Logger log = LoggerFactory.getLogger(ServerCommands.class);

    static final String STATE_HEADER = "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state "
            + "srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result "
            + "srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn "
            + "srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port";

    private ServerCommands() { }

    static List<RuntimeCommand> all(Map<String, BackendPool> backends) {
        return List.of(
                BasicCommand.sync("disable server", CliLevel.ADMIN,
                        "disable server (DEPRECATED)             : disable a server for maintenance (use 'set server' instead)",
                        (args, p, s) -> setState(backends, args, AdminState.MAINT)),
                BasicCommand.sync("enable server", CliLevel.ADMIN,
                        "enable server  (DEPRECATED)             : enable a disabled server (use 'set server' instead)",
                        (args, p, s) -> setState(backends, args, AdminState.READY)),
                BasicCommand.sync("set server", CliLevel.ADMIN,
                        "set server <bk>/<srv> [opts]            : change a server's state, weight, address or health",
                        (args, p, s) -> setServer(backends, args)),
                BasicCommand.sync("get weight", CliLevel.USER,
                        "get weight <bk>/<srv>                   : report a server's current weight",
                        (args, p, s) -> getWeight(backends, args)),
                BasicCommand.sync("set weight", CliLevel.ADMIN,
                        "set weight <bk>/<srv>  (DEPRECATED)     : change a server's weight (use 'set server' instead)",
                        (args, p, s) -> {
                            ServerLookup.Found f = ServerLookup.find(backends, args, 2);
                            return f.error() != null ? f.error() : setWeight(f, arg(args, 3));
                        }),
                BasicCommand.sync("show servers state", CliLevel.USER,
                        "show servers state [<backend>]          : dump volatile server information (all or for a single backend)",
                        (args, p, s) -> showServersState(backends, args)),
                BasicCommand.sync("show backend", CliLevel.USER,
                        "show backend                            : list backends in the current running config",
                        (args, p, s) -> {
                            StringBuilder sb = new StringBuilder("# name\n");
                            backends.keySet().forEach(n -> sb.append(n).append('\n'));
                            return sb.toString();
                        }));
    }

    private static String arg(List<String> args, int i) {
        return i < args.size() ? args.get(i) : "";
    }

    private static String setState(Map<String, BackendPool> backends, List<String> args, AdminState state) {
        ServerLookup.Found f = ServerLookup.find(backends, args, 2);
        if (f.error() != null) {
            return f.error();
        }
        apply(f, state);
        return "";
    }

    private static void apply(ServerLookup.Found f, AdminState state) {
        AdminState before = f.server().adminState();
        f.server().setAdminState(state);
        if (before != state) {
            log.info("runtime API: server {}/{} state {} -> {}", f.pool().name(), f.server().name(), before, state);
        }
    }

    private static String setServer(Map<String, BackendPool> backends, List<String> args) {
        ServerLookup.Found f = ServerLookup.find(backends, args, 2);
        if (f.error() != null) {
            return f.error();
        }
        String what = arg(args, 3);
        String value = arg(args, 4);
        switch (what) {
            case "state" -> {
                switch (value) {
                    case "ready" -> apply(f, AdminState.READY);
                    case "drain" -> apply(f, AdminState.DRAIN);
                    case "maint" -> apply(f, AdminState.MAINT);
                    default -> {
                        return "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n";
                    }
                }
                return "";
            }
            case "weight" -> {
                return setWeight(f, value);
            }
            case "addr" -> {
                return ServerAddress.set(f, args);
            }
            case "health" -> {
                switch (value) {
                    case "up", "stopping" -> f.server().setHealthy(true);
                    case "down" -> f.server().setHealthy(false);
                    default -> {
                        return "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n";
                    }
                }
                log.info("runtime API: server {}/{} health forced {}", f.pool().name(), f.server().name(), value);
                return "";
            }
            default -> {
                return "usage: set server <backend>/<server> addr | health | state | weight\n";
            }
        }
    }

    /** HAProxy's weight rules: 0 to 256 absolute, or N% of the configured weight capped at 256. */
    static String setWeight(ServerLookup.Found f, String text) {
        if (text.isEmpty()) {
            return "Require <weight> or <weight%>.\n";
        }
        int i = 0;
        if (i < text.length() && (text.charAt(i) == '-' || text.charAt(i) == '+')) {
            i++;
        }
        int digitsStart = i;
        while (i < text.length() && Character.isDigit(text.charAt(i))) {
            i++;
        }
        if (i == digitsStart) {
            return "Empty weight string empty or preceded by garbage\n";
        }
        long w;
        try {
            w = Long.parseLong(text.substring(0, i));
        } catch (NumberFormatException e) {
            w = text.charAt(0) == '-' ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        String rest = text.substring(i);
        if (rest.equals("%")) {
            if (w < 0) {
                return "Relative weight must be positive.\n";
            }
            w = Math.min(w, 25600);
            w = Math.min(256, f.initialWeight() * w / 100);
        } else if (w < 0 || w > 256) {
            return "Absolute weight can only be between 0 and 256 inclusive.\n";
        } else if (!rest.isEmpty()) {
            return "Trailing garbage in weight string\n";
        }
        int before = f.server().weight();
        f.server().setWeight((int) w);
        log.info("runtime API: server {}/{} weight {} -> {}", f.pool().name(), f.server().name(), before, w);
        return "";
    }

    private static String getWeight(Map<String, BackendPool> backends, List<String> args) {
        ServerLookup.Found f = ServerLookup.find(backends, args, 2);
        if (f.error() != null) {
            return f.error();
        }
        return f.server().weight() + " (initial " + f.initialWeight() + ")\n";
    }

    /** HAProxy's numeric HCHK_STATUS_* for a check status word. */
    static int checkCode(CheckStatus status) {
        return switch (status) {
            case INI -> 1;
            case SOCKERR -> 5;
            case L4OK -> 6;
            case L4TOUT -> 7;
            case L4CON -> 8;
            case L6OK -> 9;
            case L6TOUT -> 10;
            case L6RSP -> 11;
            case L7TOUT -> 12;
            case L7RSP -> 13;
            case L7OK -> 15;
            case L7STS -> 17;
        };
    }

    static String showServersState(Map<String, BackendPool> backends, List<String> args) {
        List<BackendPool> pools = new ArrayList<>(backends.values());
        String only = arg(args, 3);
        if (!only.isEmpty()) {
            BackendPool p = ServerLookup.backend(backends, only);
            if (p == null) {
                return "Can't find backend.\n";
            }
            pools = List.of(p);
        }
        StringBuilder sb = new StringBuilder("1\n").append(STATE_HEADER).append('\n');
        List<BackendPool> all = new ArrayList<>(backends.values());
        for (BackendPool pool : pools) {
            int beId = all.indexOf(pool) + 1;
            BackendConfig.HealthCheckConfig hc = pool.config().healthCheck();
            List<BackendServer> servers = pool.servers();
            for (BackendServer s : servers) {
                int iweight = s.initialWeight();
                int admin = switch (s.adminState()) {
                    case MAINT -> 0x01;
                    case DRAIN -> 0x08;
                    case READY -> 0;
                };
                int op = s.adminState() == AdminState.MAINT || !s.isHealthy() ? 0 : 2;
                CheckResult last = s.lastCheck();
                // HAProxy's check fields: an unchecked server reports INI, result unknown, health = rise
                // (2 unless configured), as HAProxy keeps a dormant check on every server
                boolean ran = s.isChecked() && last != null && last.status() != CheckStatus.INI;
                int checkStatus = ran ? checkCode(last.status()) : 1;
                int checkResult = !ran ? 0 : last.isSuccess() ? 3 : 2;
                int checkHealth = hc == null ? 2 : !s.isChecked() ? hc.rise() : StatCommand.checkHealth(s, hc);
                long sinceChange = java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(
                        Math.max(0, System.nanoTime() - s.lastChangeNanos()));
                int checkState = !s.isChecked() ? 0
                        : s.adminState() == AdminState.MAINT ? 0x02 | 0x04 | 0x08 : 0x02 | 0x04;
                sb.append(beId).append(' ').append(pool.name()).append(' ')
                        .append(s.id()).append(' ').append(s.name()).append(' ')
                        .append(Addresses.host(s.address())).append(' ')
                        .append(op).append(' ').append(admin).append(' ')
                        .append(s.weight()).append(' ').append(iweight).append(' ')
                        .append(sinceChange).append(' ')
                        .append(checkStatus).append(' ').append(checkResult).append(' ').append(checkHealth).append(' ')
                        .append(checkState).append(' ').append(0).append(' ')
                        .append(0).append(' ').append(0).append(' ')
                        .append('-').append(' ').append(s.address().getPort()).append(' ')
                        .append('-').append(' ').append(0).append(' ').append(0).append(' ')
                        .append('-').append(' ').append('-').append(' ').append(0).append('\n');
            }
        }
        return sb.toString();
    }
}
