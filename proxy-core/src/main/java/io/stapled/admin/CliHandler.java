package io.stapled.admin;

import static io.stapled.text.OneLine.oneLine;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.channel.unix.FileDescriptor;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the commands of one runtime API connection in order, one at a time, and writes each reply
 * followed by HAProxy's end-of-output marker (an empty line, or the prompt). A command that completes
 * later holds the next ones back until its reply is written. Closes a non-interactive connection
 * after the last command of its line, any connection idle for longer than its timeout, and a
 * connection whose client has stopped sending (EOF, or {@code echo cmd | socat}'s half-close) once
 * the commands it did send are answered.
 */
final class CliHandler extends ChannelInboundHandlerAdapter implements CliRequestDecoder.PayloadListener {
    static final String IDLE_HANDLER = "cli-idle";
    static final int MAX_PENDING = 1024;
    private static final Logger log = LoggerFactory.getLogger(CliHandler.class);

    private final CommandRegistry registry;
    private final CliSession session;
    private final LongSupplier uptimeSeconds;
    private final ArrayDeque<Object> pending = new ArrayDeque<>();
    private boolean busy;
    private boolean closing;
    private boolean inputClosed;
    private Duration appliedTimeout;

    CliHandler(CommandRegistry registry, CliSession session, LongSupplier uptimeSeconds) {
        this.registry = registry;
        this.session = session;
        this.uptimeSeconds = uptimeSeconds;
        this.appliedTimeout = session.idleTimeout();
    }

    CliSession session() {
        return session;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof CliRequest || msg instanceof CliProtocolError) {
            if (closing) {
                return;
            }
            if (pending.size() >= MAX_PENDING) {
                // Commands queue behind a slow command or a client that does not read its replies; one
                // that keeps sending is cut off rather than buffered.
                closing = true;
                pending.clear();
                log.debug("runtime API connection {}: too many pending commands", ctx.channel().remoteAddress());
                write(ctx, "Too many pending commands.\n\n");
                ctx.close();
                return;
            }
            pending.add(msg);
            drain(ctx);
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    private void drain(ChannelHandlerContext ctx) {
        // A client that does not read its replies stops the queue here; the pending cap then cuts it off.
        while (!busy && !closing && !pending.isEmpty() && ctx.channel().isWritable()) {
            Object next = pending.poll();
            if (next instanceof CliProtocolError error) {
                closing = true;
                log.debug("runtime API connection {}: {}", ctx.channel().remoteAddress(), error.message());
                write(ctx, error.message() + "\n\n").addListener(ChannelFutureListener.CLOSE);
                return;
            }
            CliRequest request = (CliRequest) next;
            CompletableFuture<String> reply;
            try {
                reply = run(request).toCompletableFuture();
            } catch (RuntimeException e) {
                reply = CompletableFuture.failedFuture(e);
            }
            if (reply.isDone()) {
                finish(ctx, request, reply);
            } else {
                busy = true;
                CompletableFuture<String> r = reply;
                reply.whenComplete((text, err) -> ctx.executor().execute(() -> {
                    busy = false;
                    if (ctx.channel().isActive() && !closing) {
                        finish(ctx, request, r);
                        drain(ctx);
                    }
                }));
            }
        }
        closeIfInputDone(ctx);
    }

    /**
     * The channel allows half-closure so that a client which shuts down its sending side after its
     * commands still reads the answers. So the EOF closes nothing by itself: once those answers are
     * written the connection is closed here, or a client that connects and closes without a byte
     * would keep its descriptor until the idle timeout.
     */
    private void closeIfInputDone(ChannelHandlerContext ctx) {
        if (inputClosed && !busy && !closing && pending.isEmpty()) {
            closing = true;
            // Behind the replies already written: close() alone would drop what is still unflushed.
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private CompletionStage<String> run(CliRequest request) {
        List<String> args = CommandLine.split(request.command());
        if (args.isEmpty()) {
            return RuntimeCommand.reply("");
        }
        RuntimeCommand command = registry.find(args);
        if (command == null) {
            return RuntimeCommand.reply(registry.unknown(args));
        }
        if (!session.level().allows(command.level())) {
            return RuntimeCommand.reply("Permission denied\n");
        }
        log.debug("runtime API command: {}", command);
        return command.execute(args, request.payload(), session);
    }

    private void finish(ChannelHandlerContext ctx, CliRequest request, CompletableFuture<String> reply) {
        String text;
        try {
            text = reply.join();
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            String cmd = request.command();
            log.warn("runtime API command '{}' failed", cmd.length() > 80 ? cmd.substring(0, 80) + "..." : cmd, cause);
            text = "Internal error: " + oneLine(cause) + "\n";
        }
        if (!session.idleTimeout().equals(appliedTimeout)) {
            appliedTimeout = session.idleTimeout();
            applyIdleTimeout(ctx, appliedTimeout);
        }
        if (session.descriptorsToPass() != null) {
            closing = true;
            passDescriptors(ctx, session.descriptorsToPass(), text);
            return;
        }
        if (session.quitRequested()) {
            closing = true;
            write(ctx, text).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        StringBuilder out = new StringBuilder(withoutEmptyLines(text));
        if (session.mode() == CliSession.Mode.PROMPT && request.lastOnLine()) {
            out.append('\n').append(prompt());
        } else {
            out.append('\n');
        }
        if (!session.interactive() && request.lastOnLine()) {
            closing = true;
            write(ctx, out.toString()).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        write(ctx, out.toString());
    }

    /**
     * Writes each descriptor as its own SCM_RIGHTS message (Netty's epoll domain socket channel sends a
     * {@link FileDescriptor} that way), then closes. Where descriptors cannot travel (the JDK's unix
     * channel, the TCP address) the command's own text is the answer, and the taking process, which
     * expects descriptors only, fails with its own message.
     */
    private static void passDescriptors(ChannelHandlerContext ctx, List<FileDescriptor> fds, String text) {
        if (!(ctx.channel() instanceof DomainSocketChannel)) {
            write(ctx, "Listening sockets can only be passed over the unix socket with the epoll transport.\n\n")
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        log.info("runtime API: passing {} listening sockets to the process on the other end ({})", fds.size(),
                text.strip());
        for (FileDescriptor fd : fds) {
            ctx.write(fd);
        }
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    private String prompt() {
        if (!session.timedPrompt()) {
            return "> ";
        }
        long up = uptimeSeconds.getAsLong();
        return String.format("[%d:%02d:%02d:%02d]> ", up / 86400, (up / 3600) % 24, (up / 60) % 60, up % 60);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            drain(ctx);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void awaitingPayload(ChannelHandlerContext ctx) {
        if (session.mode() == CliSession.Mode.PROMPT) {
            write(ctx, "+ ");
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            // The decoder has already passed on what the client sent before its EOF.
            inputClosed = true;
            closeIfInputDone(ctx);
            return;
        }
        if (evt instanceof IdleStateEvent) {
            // A command waiting for its result (a fetch) is not an idle client.
            if (!busy) {
                log.debug("runtime API connection {} idle, closing", ctx.channel().remoteAddress());
                closing = true;
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("runtime API connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    /** Replaces the idle timeout of this connection ({@code set timeout cli}). */
    static void applyIdleTimeout(ChannelHandlerContext ctx, Duration timeout) {
        IdleStateHandler next = new IdleStateHandler(0, 0, timeout.toMillis(), TimeUnit.MILLISECONDS);
        ctx.pipeline().replace(IDLE_HANDLER, IDLE_HANDLER, next);
    }

    private static ChannelFuture write(ChannelHandlerContext ctx, String text) {
        ByteBuf buf = ctx.alloc().buffer(text.length());
        buf.writeCharSequence(text, StandardCharsets.UTF_8);
        return ctx.writeAndFlush(buf);
    }

    /** The protocol's end-of-output marker is an empty line, so a reply must not contain one. */
    static String withoutEmptyLines(String text) {
        if (text.isEmpty()) {
            return text;
        }
        String s = text.endsWith("\n") ? text : text + "\n";
        while (s.startsWith("\n")) {
            s = s.substring(1);
        }
        return s.replace("\n\n", "\n \n").replace("\n\n", "\n \n");
    }
}
