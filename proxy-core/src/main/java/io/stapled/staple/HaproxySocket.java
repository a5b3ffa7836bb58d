package io.stapled.staple;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One command on HAProxy's stats socket, as {@code echo CMD | socat stdio unix-connect:SOCK} does it:
 * connect, write the line, read the answer until HAProxy closes (it does after one command when the
 * client did not ask for the interactive prompt). Non-blocking under a {@link Selector}, so the whole
 * exchange is bounded by one deadline; called only on the pusher's own thread.
 */
final class HaproxySocket {
    /** HAProxy answers a command in a few hundred bytes; more is not an answer to ours. */
    private static final int MAX_ANSWER = 64 * 1024;

    private HaproxySocket() { }

    /** Could not talk to HAProxy at all (no socket, refused, timed out): worth retrying later. */
    static final class UnreachableException extends IOException {
        UnreachableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** HAProxy's answer to {@code command} (one line, no newline in it). */
    static String exchange(Path socket, String command, Duration timeout) throws UnreachableException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX); Selector selector = Selector.open()) {
            ch.configureBlocking(false);
            if (!ch.connect(UnixDomainSocketAddress.of(socket))) {
                await(ch, selector, SelectionKey.OP_CONNECT, deadline, "connect");
                ch.finishConnect();
            }
            ByteBuffer out = ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII));
            while (out.hasRemaining()) {
                if (ch.write(out) == 0) {
                    await(ch, selector, SelectionKey.OP_WRITE, deadline, "write");
                }
            }
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            ByteBuffer in = ByteBuffer.allocate(4096);
            while (true) {
                in.clear();
                int n = ch.read(in);
                if (n < 0) {
                    return answer.toString(StandardCharsets.UTF_8);
                }
                if (n == 0) {
                    await(ch, selector, SelectionKey.OP_READ, deadline, "answer");
                    continue;
                }
                answer.write(in.array(), 0, n);
                if (answer.size() > MAX_ANSWER) {
                    throw new UnreachableException("answer longer than " + MAX_ANSWER + " bytes", null);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new UnreachableException(socket + ": "
                    + (e instanceof UnreachableException ? e.getMessage() : describe(e)), e);
        }
    }

    private static void await(SocketChannel ch, Selector selector, int op, long deadline, String what)
            throws IOException {
        SelectionKey key = ch.register(selector, op);
        try {
            while (true) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new UnreachableException("interrupted (stapled is stopping)", null); // select would spin
                }
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    throw new UnreachableException("no " + what + " within the push timeout", null);
                }
                if (selector.select(left) > 0) {
                    selector.selectedKeys().clear();
                    return;
                }
            }
        } finally {
            key.interestOps(0);
        }
    }

    private static String describe(Exception e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
