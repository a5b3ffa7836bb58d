package io.stapled.admin;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

import io.netty.util.NetUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code set server <b>/<s> addr <ip> [port <port>]}: where the server's new connections and health
 * checks go. Connections already open stay where they are; pooled idle ones to the old address are
 * closed instead of reused. The replies are HAProxy 2.6's, including its {@code by 'stats socket
 * command'} suffix, so scripts that read them keep working.
 */
final class ServerAddress {
    private static final Logger log = LoggerFactory.getLogger(ServerAddress.class);
    private static final String BY = " by 'stats socket command'\n";

    private ServerAddress() { }

    static String set(ServerLookup.Found f, List<String> args) {
        String ip = arg(args, 4);
        if (ip.isEmpty()) {
            return "set server <b>/<s> addr requires an address and optionally a port.\n";
        }
        // A literal only: a name would need a DNS lookup, which must not block the CLI's event loop.
        InetAddress address = NetUtil.createInetAddressFromIpAddressString(ip);
        if (address == null) {
            return "Invalid addr '" + ip + "'" + BY;
        }
        String portText = "port".equals(arg(args, 5)) ? arg(args, 6) : null;
        InetSocketAddress before = f.server().address();
        int port = before.getPort();
        if (portText != null) {
            port = port(portText);
            if (port < 0) {
                // HAProxy would change the IP and keep the port; stapled changes nothing on a bad command.
                return "problem converting port '" + portText + "' to an int" + BY;
            }
        }
        String beforeHost = Addresses.host(before);
        String afterHost = Addresses.host(new InetSocketAddress(address, port));
        StringBuilder reply = new StringBuilder();
        reply.append(beforeHost.equals(afterHost) ? "no need to change the addr"
                : "IP changed from '" + beforeHost + "' to '" + afterHost + "'");
        if (portText != null) {
            reply.append(port == before.getPort() ? ", no need to change the port"
                    : ", port changed from '" + before.getPort() + "' to '" + port + "'");
        }
        InetSocketAddress after = new InetSocketAddress(address, port);
        if (!after.equals(before)) {
            f.server().setAddress(after);
            log.info("runtime API: server {}/{} address {} -> {}", f.pool().name(), f.server().name(),
                    Addresses.hostPort(before), Addresses.hostPort(after));
        }
        return reply.append(BY).toString();
    }

    /**
     * 1 to 65535 in decimal, else -1. HAProxy also takes 0 (the client's port), {@code +N}/{@code -N}
     * (port maps) and wraps numbers past 65535; stapled has neither and refuses them.
     */
    static int port(String text) {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        int p = Integer.parseInt(text);
        return p >= 1 && p <= 65535 ? p : -1;
    }

    private static String arg(List<String> args, int i) {
        return i < args.size() ? args.get(i) : "";
    }
}
