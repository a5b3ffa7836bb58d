package io.stapled.server;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.ReferenceCountUtil;

/**
 * {@code stapled run --takeover SOCKET} (HAProxy's {@code -x}): asks the running process, over its
 * runtime API socket, for its listening sockets — {@code show listeners} for their names and addresses,
 * then {@code _getsocks} for the descriptors themselves (SCM_RIGHTS), read on a connection in
 * {@link DomainSocketReadMode#FILE_DESCRIPTORS} mode. The sockets never close, so connections waiting
 * in their accept queues are accepted by whichever process is accepting: none is refused. Once the new
 * process serves, {@link #retire} tells the old one to stop (SIGTERM: it stops accepting and drains).
 */
public final class ListenerTakeover {
    private static final Logger log = LoggerFactory.getLogger(ListenerTakeover.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private ListenerTakeover() { }

    /** One line of {@code show listeners}. */
    record Listed(String frontend, String address) { }

    /**
     * The listening sockets of the process answering on {@code socket}, named by its frontends.
     *
     * @throws StartupException when that process cannot be reached, does not expose its listeners, or
     *                          passes sockets that do not match what it listed
     */
    public static ListenerSockets fetch(Path socket) {
        String what = "--takeover " + socket;
        if (!Epoll.isAvailable()) {
            throw new StartupException(what + ": passing listening sockets needs the native epoll transport,"
                    + " which did not load: " + Epoll.unavailabilityCause());
        }
        if (!Files.exists(socket)) {
            throw new StartupException(what + ": no such socket (the old process's runtime_api.socket)");
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        List<FileDescriptor> received = new ArrayList<>();
        try {
            String text = exchange(group, socket, "show listeners\n", false, received).join();
            List<Listed> listed = parse(text, what);
            Reply descriptors = exchange(group, socket, "_getsocks\n", true, received);
            descriptors.join();
            if (received.size() != listed.size()) {
                throw new StartupException(what + ": the old process listed " + listed.size() + " listeners but passed "
                        + received.size() + " sockets (is runtime_api.level admin and expose_listeners: true there?)");
            }
            List<ListenerSockets.Candidate> candidates = new ArrayList<>();
            for (int i = 0; i < listed.size(); i++) {
                Listed l = listed.get(i);
                ListenerSockets.Candidate c = ListenerSockets.adopt(received.get(i).intValue(), l.frontend(),
                        "socket of frontend " + l.frontend() + " from process " + descriptors.peerPid);
                candidates.add(c);
                String port = ":" + c.address().getPort();
                if (!l.address().endsWith(port)) {
                    candidates.forEach(x -> x.channel().unsafe().closeForcibly());
                    throw new StartupException(what + ": socket " + i + " is bound to " + c.address()
                            + ", but was listed as " + l.address());
                }
            }
            received.clear(); // owned by the channels now
            log.info("took over {} listening sockets from process {} through {}", candidates.size(),
                    descriptors.peerPid, socket);
            return ListenerSockets.takenOver(what, candidates, descriptors.peerPid);
        } finally {
            for (FileDescriptor fd : received) {
                try {
                    fd.close();
                } catch (java.io.IOException ignored) {
                    // closing our copy only
                }
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /**
     * Tells the process the sockets came from to stop: SIGTERM, on which it stops accepting, drains its
     * connections for {@code shutdown_grace} and exits. Its copy of each socket closes; ours stays.
     */
    public static void retire(ListenerSockets sockets) {
        long pid = sockets.previousPid();
        if (!sockets.takeover() || pid <= 0 || pid == ProcessHandle.current().pid()) {
            return;
        }
        ProcessHandle.of(pid).ifPresentOrElse(p -> {
            log.info("serving; telling process {} to stop accepting and drain (SIGTERM)", pid);
            p.destroy();
        }, () -> log.info("process {} has already exited", pid));
    }

    static List<Listed> parse(String text, String what) {
        List<Listed> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.strip().split(" ");
            if (f.length != 3 || !f[0].equals(Integer.toString(out.size()))) {
                throw new StartupException(what + ": the old process does not list its listeners (it answered \""
                        + line.strip() + "\"); it needs runtime_api.expose_listeners: true and level: admin");
            }
            out.add(new Listed(f[1], f[2]));
        }
        return out;
    }

    /** A command's reply: its text (bytes mode) once the old process closes, and that process's pid. */
    private static final class Reply extends CompletableFuture<String> {
        volatile long peerPid = -1;

        @Override
        public String join() {
            try {
                return get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new StartupException("--takeover: no answer from the old process within " + TIMEOUT);
            } catch (ExecutionException e) {
                throw new StartupException("--takeover: " + e.getCause().getMessage(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StartupException("--takeover: interrupted");
            }
        }
    }

    private static Reply exchange(EventLoopGroup group, Path socket, String command, boolean descriptors,
                                  List<FileDescriptor> received) {
        Reply reply = new Reply();
        StringBuilder text = new StringBuilder();
        Bootstrap b = new Bootstrap().group(group).channel(EpollDomainSocketChannel.class)
                .handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) throws Exception {
                        reply.peerPid = ((EpollDomainSocketChannel) ctx.channel()).peerCredentials().pid();
                        ctx.writeAndFlush(Unpooled.copiedBuffer(command, StandardCharsets.US_ASCII));
                    }

                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        if (msg instanceof FileDescriptor fd) {
                            synchronized (received) {
                                received.add(fd);
                            }
                        } else if (msg instanceof ByteBuf buf) {
                            text.append(buf.toString(StandardCharsets.UTF_8));
                        }
                        ReferenceCountUtil.release(msg);
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        reply.complete(text.toString());
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        reply.completeExceptionally(cause);
                        ctx.close();
                    }
                });
        if (descriptors) {
            b.option(EpollChannelOption.DOMAIN_SOCKET_READ_MODE, DomainSocketReadMode.FILE_DESCRIPTORS);
        }
        b.connect(new DomainSocketAddress(socket.toString())).addListener(f -> {
            if (!f.isSuccess()) {
                reply.completeExceptionally(new java.io.IOException("cannot connect to " + socket + ": "
                        + f.cause().getMessage(), f.cause()));
            }
        });
        return reply;
    }
}
