package io.stapled.server;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.EventExecutor;

/**
 * systemd's {@code sd_notify} protocol for {@code Type=notify}: datagrams to {@code $NOTIFY_SOCKET}
 * (a path, or an abstract socket when it starts with {@code @}) sent with Netty's epoll unix datagram
 * channel, so no libsystemd. {@code READY=1} once the listeners are open, {@code RELOADING=1} and
 * {@code READY=1} around a reload, {@code STOPPING=1} on shutdown, and {@code WATCHDOG=1} every half
 * {@code WatchdogSec} — sent only after every I/O event loop has run a task, so a stuck loop stops the
 * pings and systemd restarts the service. Without {@code NOTIFY_SOCKET} every method does nothing.
 */
public final class SystemdNotifier implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SystemdNotifier.class);
    private static final SystemdNotifier DISABLED = new SystemdNotifier(null, null, null, 0);

    private final EventLoopGroup group;
    private final Channel channel;
    private final DomainSocketAddress target;
    private final long watchdogMicros;
    private volatile ChannelFuture last;

    private SystemdNotifier(EventLoopGroup group, Channel channel, DomainSocketAddress target, long watchdogMicros) {
        this.group = group;
        this.channel = channel;
        this.target = target;
        this.watchdogMicros = watchdogMicros;
    }

    /**
     * A notifier for {@code NOTIFY_SOCKET}, {@code WATCHDOG_USEC} and {@code WATCHDOG_PID} in {@code env};
     * one that does nothing when {@code NOTIFY_SOCKET} is not set.
     *
     * @throws StartupException when {@code NOTIFY_SOCKET} is set but epoll is not available, or a variable
     *                          is malformed
     */
    public static SystemdNotifier fromEnvironment(Map<String, String> env) {
        String socket = env.get("NOTIFY_SOCKET");
        if (socket == null || socket.isEmpty()) {
            return DISABLED;
        }
        if (!Epoll.isAvailable()) {
            throw new StartupException("NOTIFY_SOCKET: notifying systemd needs the native epoll transport, which"
                    + " did not load: " + Epoll.unavailabilityCause());
        }
        if (!socket.startsWith("/") && !socket.startsWith("@")) {
            throw new StartupException("NOTIFY_SOCKET: expected an absolute path or @abstract name, got \"" + socket + "\"");
        }
        long watchdog = watchdogMicros(env);
        // An abstract socket's name starts with a NUL byte, which '@' stands for.
        DomainSocketAddress target = new DomainSocketAddress(socket.startsWith("@") ? "\0" + socket.substring(1) : socket);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
                new io.netty.util.concurrent.DefaultThreadFactory("stapled-systemd", true), EpollIoHandler.newFactory());
        Channel channel = new Bootstrap().group(group).channel(EpollDomainDatagramChannel.class)
                .option(ChannelOption.DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION, true)
                .handler(new ChannelInboundHandlerAdapter())
                .register().syncUninterruptibly().channel();
        return new SystemdNotifier(group, channel, target, watchdog);
    }

    /** WatchdogSec in microseconds, or 0 when there is no watchdog for this process. */
    static long watchdogMicros(Map<String, String> env) {
        String usec = env.get("WATCHDOG_USEC");
        if (usec == null || usec.isBlank()) {
            return 0;
        }
        String pid = env.get("WATCHDOG_PID");
        if (pid != null && !pid.isBlank() && !pid.strip().equals(Long.toString(ProcessHandle.current().pid()))) {
            return 0; // the watchdog is another process's
        }
        try {
            long v = Long.parseLong(usec.strip());
            if (v <= 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new StartupException("WATCHDOG_USEC: expected a positive number of microseconds, got \"" + usec + "\"");
        }
    }

    public boolean enabled() {
        return channel != null;
    }

    /** How often {@link #startWatchdog} pings: half of WatchdogSec; null when there is no watchdog. */
    public Duration watchdogInterval() {
        return watchdogMicros == 0 ? null : Duration.ofNanos(watchdogMicros * 1000 / 2);
    }

    /** The listeners are open and serving (sent after start-up, so after the staple wait). */
    public void ready(String status) {
        send("READY=1\nSTATUS=" + status);
    }

    /**
     * A reload starts; {@link #ready} ends it. MONOTONIC_USEC is what {@code Type=notify-reload} requires;
     * {@link System#nanoTime} is CLOCK_MONOTONIC on Linux.
     */
    public void reloading() {
        send("RELOADING=1\nMONOTONIC_USEC=" + System.nanoTime() / 1000);
    }

    /** The graceful stop starts (systemd then waits for the exit instead of counting it a failure). */
    public void stopping() {
        send("STOPPING=1");
    }

    /** This process is now the service's main process (after taking over from the old one). */
    public void mainPid(long pid) {
        send("MAINPID=" + pid);
    }

    /**
     * Pings {@code WATCHDOG=1} every {@link #watchdogInterval}, each time after every event loop of
     * {@code loops} has run an empty task; does nothing without a watchdog.
     */
    public void startWatchdog(EventLoopGroup loops) {
        if (channel == null || watchdogMicros == 0) {
            return;
        }
        long period = watchdogMicros / 2;
        log.info("systemd watchdog: pinging every {} ms", period / 1000);
        channel.eventLoop().scheduleAtFixedRate(() -> {
            List<CompletableFuture<?>> turns = new ArrayList<>();
            for (EventExecutor loop : loops) {
                CompletableFuture<Void> turn = new CompletableFuture<>();
                loop.execute(() -> turn.complete(null));
                turns.add(turn);
            }
            CompletableFuture.allOf(turns.toArray(CompletableFuture[]::new))
                    .orTimeout(period, TimeUnit.MICROSECONDS)
                    .whenComplete((ok, stuck) -> {
                        if (stuck == null) {
                            send("WATCHDOG=1");
                        } else {
                            log.warn("systemd watchdog: an event loop did not run a task within {} ms; not pinging",
                                    period / 1000);
                        }
                    });
        }, 0, period, TimeUnit.MICROSECONDS);
    }

    private void send(String message) {
        if (channel == null) {
            return;
        }
        last = channel.writeAndFlush(new DomainDatagramPacket(
                Unpooled.copiedBuffer(message, StandardCharsets.UTF_8), target));
        last.addListener(f -> {
                    if (!f.isSuccess()) {
                        log.warn("systemd notify {}: cannot send \"{}\": {}", target.path().replace('\0', '@'),
                                message.replace('\n', ' '), f.cause().toString());
                    }
                });
    }

    /** Sends what is queued, then stops the notifier's thread. */
    @Override
    public void close() {
        if (channel == null) {
            return;
        }
        ChannelFuture sent = last;
        if (sent != null) {
            sent.awaitUninterruptibly(1, TimeUnit.SECONDS);
        }
        channel.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
