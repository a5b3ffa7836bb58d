package io.stapled.admin;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;

import io.netty.util.NetUtil;
import io.stapled.config.BackendConfig;
import io.stapled.config.BackendConfig.SendProxy;
import io.stapled.config.BackendConfig.ServerConfig;
import io.stapled.config.HostPort;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.backend.BackendServer;
import io.stapled.proxy.backend.BackendServer.AdminState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Servers added and deleted at run time, as HAProxy 2.6: {@code add server}, {@code del server}, and
 * {@code enable/disable health} to run a dynamic server's checks. The backend publishes a new server
 * list; the event loops pick from whichever list they read, without a lock.
 */
final class DynamicServerCommands {
    private static final Logger log = LoggerFactory.getLogger(DynamicServerCommands.class);
    static final String SUPPORTED = "weight <n>, proto h1|h2, check, enabled, disabled, send-proxy and send-proxy-v2";

    private DynamicServerCommands() { }

    static List<RuntimeCommand> all(Map<String, BackendPool> backends) {
        return List.of(
                BasicCommand.sync("add server", CliLevel.ADMIN,
                        "add server <bk>/<srv>                   : create a new server",
                        (args, p, s) -> add(backends, args)),
                BasicCommand.sync("del server", CliLevel.ADMIN,
                        "del server <bk>/<srv>                   : remove a dynamically added server",
                        (args, p, s) -> delete(backends, args)),
                BasicCommand.sync("enable health", CliLevel.ADMIN,
                        "enable health                           : enable health checks",
                        (args, p, s) -> health(backends, args, true)),
                BasicCommand.sync("disable health", CliLevel.ADMIN,
                        "disable health                          : disable health checks",
                        (args, p, s) -> health(backends, args, false)));
    }

    /** What {@code add server} asked for, or the error to print. */
    private record Request(ServerConfig server, AdminState state, boolean check, String error) {
        static Request error(String message) {
            return new Request(null, null, false, message);
        }
    }

    private static String add(Map<String, BackendPool> backends, List<String> args) {
        String target = args.size() > 2 ? args.get(2) : "";
        int slash = target.indexOf('/');
        if (slash <= 0 || slash == target.length() - 1) {
            return "Require 'backend/server'.\n";
        }
        BackendPool pool = ServerLookup.backend(backends, target.substring(0, slash));
        if (pool == null) {
            return "No such backend.\n";
        }
        String name = target.substring(slash + 1);
        Request r = parse(name, args);
        if (r.error() != null) {
            return r.error();
        }
        if (pool.server(name) != null) {
            return "Already exists a server with the same name in backend.\n";
        }
        if (r.check() && pool.config().healthCheck() == null) {
            return "'check' needs a health_check in backend '" + pool.name() + "': stapled checks servers"
                    + " with their backend's check.\n";
        }
        if (r.check() && r.server().proto() == BackendConfig.Protocol.H2
                && pool.config().healthCheck().type() == BackendConfig.HealthCheckConfig.Type.HTTP) {
            // As in the config: the HTTP/1.1 check would mark a server that speaks only HTTP/2 down.
            return "'check' on an h2 server: backend '" + pool.name() + "' has an http health check, which"
                    + " speaks HTTP/1.1; add the server without 'check'.\n";
        }
        BackendServer added;
        try {
            added = pool.add(r.server(), r.state(), r.check());
        } catch (IllegalArgumentException e) {
            return "Already exists a server with the same name in backend.\n"; // lost a race with another add
        }
        log.info("runtime API: server {}/{} added at {} with id {} ({}, weight {}{})", pool.name(), name,
                Addresses.hostPort(added.address()), added.id(), r.state(), r.server().weight(),
                r.check() ? ", checks off until 'enable health'" : "");
        return "New server registered.\n";
    }

    private static Request parse(String name, List<String> args) {
        if (args.size() < 4 || args.get(3).isEmpty()) {
            return Request.error("'server' expects <name> and <addr>[:<port>] as arguments.\n");
        }
        String addr = args.get(3);
        // As HAProxy reads it: [v6]:port, or the port after the last colon (so ::1:80 is ::1 port 80).
        String host;
        String portText;
        int close = addr.startsWith("[") ? addr.indexOf(']') : -1;
        if (close > 0) {
            host = addr.substring(1, close);
            String rest = addr.substring(close + 1);
            portText = rest.startsWith(":") ? rest.substring(1) : rest.isEmpty() ? "" : null;
        } else {
            int colon = addr.lastIndexOf(':');
            host = colon < 0 ? addr : addr.substring(0, colon);
            portText = colon < 0 ? "" : addr.substring(colon + 1);
        }
        InetAddress ip = portText == null ? null : NetUtil.createInetAddressFromIpAddressString(host);
        if (ip == null) {
            return Request.error("stapled's add server takes an IP address ('" + addr + "' is not one):"
                    + " a name would need a DNS lookup on the runtime API's event loop.\n");
        }
        for (int i = 0; i < portText.length(); i++) {
            char c = portText.charAt(i);
            if (c < '0' || c > '9') {
                return Request.error("invalid character '" + c + "' in port number '" + portText + "' in '"
                        + addr + "'\n");
            }
        }
        if (portText.isEmpty()) {
            return Request.error("stapled's add server needs a port in '" + addr + "' (HAProxy's port-less"
                    + " servers use the client's port; stapled has no such mode).\n");
        }
        int port = portText.length() > 5 ? 0 : Integer.parseInt(portText);
        if (port < 1 || port > 65535) {
            return Request.error("invalid port '" + portText + "'\n");
        }
        int weight = 1;
        BackendConfig.Protocol proto = BackendConfig.Protocol.H1;
        AdminState state = AdminState.MAINT;
        boolean check = false;
        SendProxy sendProxy = null;
        for (int i = 4; i < args.size(); i++) {
            String kw = args.get(i);
            switch (kw) {
                case "weight" -> {
                    String w = i + 1 < args.size() ? args.get(++i) : "";
                    if (!w.matches("-?[0-9]{1,9}")) {
                        return Request.error("'weight' expects an integer argument.\n");
                    }
                    weight = Integer.parseInt(w);
                    if (weight < 0 || weight > 256) {
                        return Request.error("weight of server " + name + " is not within 0 and 256 (" + w + ")..\n");
                    }
                }
                case "proto" -> {
                    String p = i + 1 < args.size() ? args.get(++i) : "";
                    if (p.equals("h2")) {
                        proto = BackendConfig.Protocol.H2;
                    } else if (p.equals("h1")) {
                        proto = BackendConfig.Protocol.H1;
                    } else {
                        return Request.error("'proto' expects h1 or h2 (the HTTP versions stapled speaks to"
                                + " servers), got '" + p + "'.\n");
                    }
                }
                case "check" -> check = true;
                case "enabled" -> state = AdminState.READY;
                case "disabled" -> state = AdminState.MAINT;
                case "send-proxy" -> sendProxy = SendProxy.V1;
                case "send-proxy-v2" -> sendProxy = SendProxy.V2;
                default -> {
                    return Request.error("'" + kw + "' is not supported by stapled's add server, which takes only "
                            + SUPPORTED + ".\n");
                }
            }
        }
        String literal = Addresses.host(new java.net.InetSocketAddress(ip, port));
        if (proto == BackendConfig.Protocol.H2 && sendProxy != null) {
            return Request.error("'proto h2' cannot be combined with send-proxy: an h2 connection is shared by"
                    + " the streams of many clients, and a PROXY header names only one.\n");
        }
        return new Request(new ServerConfig(name, new HostPort(literal, port), weight, sendProxy, null, proto), state,
                check, null);
    }

    private static String delete(Map<String, BackendPool> backends, List<String> args) {
        ServerLookup.Found f = ServerLookup.find(backends, args, 2);
        if (f.error() != null) {
            return f.error();
        }
        BackendServer server = f.server();
        if (server.adminState() != AdminState.MAINT) {
            return "Only servers in maintenance mode can be deleted.\n";
        }
        if (server.activeConnections() > 0) {
            return "Server still has connections attached to it, cannot remove it.\n";
        }
        if (!f.pool().remove(server)) {
            return "No such server.\n"; // deleted meanwhile by another session
        }
        log.info("runtime API: server {}/{} (id {}) deleted", f.pool().name(), server.name(), server.id());
        return "Server deleted.\n";
    }

    private static String health(Map<String, BackendPool> backends, List<String> args, boolean on) {
        ServerLookup.Found f = ServerLookup.find(backends, args, 2);
        if (f.error() != null) {
            return f.error();
        }
        boolean checked = f.pool().setHealthChecks(f.server(), on);
        if (!checked) {
            return on ? "Health check was not configured on this server, cannot enable.\n" : "";
        }
        log.info("runtime API: server {}/{} health checks {}", f.pool().name(), f.server().name(),
                on ? "enabled" : "disabled");
        return "";
    }
}
