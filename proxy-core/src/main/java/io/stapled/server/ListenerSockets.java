package io.stapled.server;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.stapled.config.FrontendConfig;
import io.stapled.net.Transport;

/**
 * "Give me a listening channel for this frontend": one already open — inherited from systemd
 * ({@code LISTEN_FDS}) or taken over from the process being replaced ({@code --takeover}) — or none,
 * and the frontend binds its own. A socket is matched to a frontend by name ({@code
 * FileDescriptorName=} / the old process's frontend name) or by its bound address (getsockname).
 *
 * <p>Only the epoll transport can adopt a descriptor: Netty's NIO channels cannot be made from one,
 * so inherited sockets with NIO are a start-up error, not a silent re-bind.
 */
public final class ListenerSockets {
    private static final Logger log = LoggerFactory.getLogger(ListenerSockets.class);
    /** systemd passes sockets from this descriptor on ({@code SD_LISTEN_FDS_START}). */
    static final int FIRST_FD = 3;

    /** One open listening socket; {@code name} is null when it came without one. */
    record Candidate(String name, EpollServerSocketChannel channel, String what) {
        InetSocketAddress address() {
            return (InetSocketAddress) channel.localAddress();
        }

        String describe() {
            return what + (name == null ? "" : " (name " + name + ")") + " bound to " + address();
        }
    }

    private final String origin;
    private final boolean takeover;
    private final List<Candidate> unclaimed;
    private final long previousPid;

    private ListenerSockets(String origin, boolean takeover, List<Candidate> candidates, long previousPid) {
        this.origin = origin;
        this.takeover = takeover;
        this.unclaimed = new ArrayList<>(candidates);
        this.previousPid = previousPid;
    }

    /** Every frontend binds its own socket. */
    public static ListenerSockets none() {
        return new ListenerSockets("none", false, List.of(), -1);
    }

    static ListenerSockets takenOver(String origin, List<Candidate> candidates, long previousPid) {
        return new ListenerSockets(origin, true, candidates, previousPid);
    }

    /**
     * The sockets systemd passed ({@code LISTEN_FDS} descriptors from 3, for this process when
     * {@code LISTEN_PID} names it, named by {@code LISTEN_FDNAMES}); {@link #none()} when there are none.
     *
     * @throws StartupException when the variables are malformed or a descriptor is not a TCP listener
     */
    public static ListenerSockets fromSystemd(Map<String, String> env) {
        String fds = env.get("LISTEN_FDS");
        if (fds == null || fds.isBlank()) {
            return none();
        }
        String pid = env.get("LISTEN_PID");
        if (pid != null && !pid.isBlank() && !pid.strip().equals(Long.toString(ProcessHandle.current().pid()))) {
            // Meant for another process (the variables leaked into ours): sd_listen_fds() ignores them too.
            log.info("LISTEN_FDS is set for process {}, not this one; binding every frontend", pid.strip());
            return none();
        }
        int count;
        try {
            count = Integer.parseInt(fds.strip());
        } catch (NumberFormatException e) {
            throw new StartupException("LISTEN_FDS: expected a number of descriptors, got \"" + fds + "\"");
        }
        if (count < 0 || count > 1024) {
            throw new StartupException("LISTEN_FDS: " + count + " descriptors is out of range 0-1024");
        }
        String[] names = env.getOrDefault("LISTEN_FDNAMES", "").isEmpty()
                ? new String[0] : env.get("LISTEN_FDNAMES").split(":", -1);
        List<Candidate> candidates = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int fd = FIRST_FD + i;
            String name = i < names.length && !names[i].isEmpty() ? names[i] : null;
            candidates.add(adopt(fd, name, "systemd socket " + fd));
        }
        return new ListenerSockets("systemd socket activation", false, candidates, -1);
    }

    /**
     * A channel over listening descriptor {@code fd}, which it then owns.
     *
     * @throws StartupException when epoll is not available or {@code fd} is not a TCP listening socket
     */
    static Candidate adopt(int fd, String name, String what) {
        if (!Epoll.isAvailable()) {
            throw new StartupException(what + ": adopting an open listening socket needs the native epoll"
                    + " transport, which did not load: " + Epoll.unavailabilityCause());
        }
        EpollServerSocketChannel channel;
        try {
            channel = new EpollServerSocketChannel(fd);
        } catch (RuntimeException e) {
            throw new StartupException(what + " is not a listening socket: " + e.getMessage(), e);
        }
        if (!(channel.localAddress() instanceof InetSocketAddress)) {
            channel.unsafe().closeForcibly();
            throw new StartupException(what + " is not a TCP socket (bound to " + channel.localAddress() + ")");
        }
        return new Candidate(name, channel, what);
    }

    /** True when these sockets come from the process being replaced, which still runs. */
    boolean takeover() {
        return takeover;
    }

    /** The pid of the process the sockets were taken from, or -1. */
    public long previousPid() {
        return previousPid;
    }

    boolean isEmpty() {
        return unclaimed.isEmpty();
    }

    /**
     * The open socket for {@code fe}, removed from the unclaimed ones, or null when it must bind its own.
     *
     * @throws StartupException when there are sockets to adopt but {@code transport} is not epoll
     */
    ServerChannel claim(FrontendConfig fe, Transport transport) {
        if (unclaimed.isEmpty()) {
            return null;
        }
        if (!EpollServerSocketChannel.class.equals(transport.serverChannel())) {
            throw new StartupException(origin + ": the listening sockets can only be adopted with the epoll"
                    + " transport, not " + transport.name() + " (is stapled.forceNio set?)");
        }
        InetSocketAddress bind = fe.bind().toSocketAddress();
        Candidate match = null;
        for (Candidate c : unclaimed) {
            if (fe.name().equals(c.name()) && (!takeover || bind.getPort() == 0 || sameAddress(bind, c.address()))) {
                match = c;
                break;
            }
        }
        for (int i = 0; match == null && i < unclaimed.size(); i++) {
            if (bind.getPort() != 0 && sameAddress(bind, unclaimed.get(i).address())) {
                match = unclaimed.get(i);
            }
        }
        if (match == null) {
            return null;
        }
        unclaimed.remove(match);
        if (!sameAddress(bind, match.address()) && bind.getPort() != 0) {
            log.warn("frontend {}: listening on {} ({}), not on its bind {}", fe.name(), match.address(),
                    match.describe(), fe.bind());
        }
        log.info("frontend {}: using {}", fe.name(), match.describe());
        return match.channel();
    }

    /**
     * After every frontend has claimed its socket: systemd's sockets must all be used (one left over
     * means the unit and the config disagree); old sockets the new config no longer has are closed here
     * (the old process keeps its own copy until it exits).
     *
     * @throws StartupException naming each systemd socket no frontend matched
     */
    void requireAllClaimed() {
        if (unclaimed.isEmpty()) {
            return;
        }
        if (takeover) {
            for (Candidate c : unclaimed) {
                log.info("{}: no frontend binds {} any more; closing this process's copy", origin, c.describe());
            }
            closeUnclaimed();
            return;
        }
        List<String> left = unclaimed.stream().map(Candidate::describe).toList();
        throw new StartupException(origin + ": " + String.join(", ", left) + " matches no frontend by name"
                + " (FileDescriptorName= the frontend's name) or by bind address");
    }

    /** Closes the sockets no frontend took; called on a failed start too. */
    void closeUnclaimed() {
        for (Candidate c : unclaimed) {
            c.channel().unsafe().closeForcibly();
        }
        unclaimed.clear();
    }

    static boolean sameAddress(InetSocketAddress bind, InetSocketAddress actual) {
        if (bind.getPort() != actual.getPort()) {
            return false;
        }
        if (bind.getAddress() == null || actual.getAddress() == null) {
            return false;
        }
        return bind.getAddress().equals(actual.getAddress())
                || bind.getAddress().isAnyLocalAddress() && actual.getAddress().isAnyLocalAddress();
    }
}
