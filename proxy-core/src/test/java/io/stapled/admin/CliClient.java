package io.stapled.admin;

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

/** A runtime API client over a real unix socket, as socat would be: write bytes, read the reply. */
final class CliClient implements AutoCloseable {
    private final SocketChannel channel;
    private final Selector selector;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private boolean eof;

    private CliClient(SocketChannel channel) throws IOException {
        this.channel = channel;
        channel.configureBlocking(false);
        this.selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
    }

    static CliClient connect(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        return new CliClient(ch);
    }

    /** Sends one non-interactive request (as {@code echo "..." | socat stdio SOCKET}) and returns the whole reply. */
    static String send(Path socket, String text) throws IOException {
        try (CliClient c = connect(socket)) {
            c.write(text);
            c.shutdownOutput();
            return c.readToEof(Duration.ofSeconds(10));
        }
    }

    void write(String text) throws IOException {
        write(text.getBytes(StandardCharsets.UTF_8));
    }

    void write(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (b.hasRemaining()) {
            if (channel.write(b) == 0) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("server does not read");
                }
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
            }
        }
    }

    void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    /** Everything until the server closes; fails if it does not close within {@code timeout}. */
    String readToEof(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!eof) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("server did not close within " + timeout + "; got so far: " + text());
            }
            pump(Math.max(1, left / 1_000_000));
        }
        return text();
    }

    /** Reads until the text received so far ends with {@code suffix}; returns it and clears it. */
    String readUntil(String suffix, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!text().endsWith(suffix)) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || eof) {
                throw new AssertionError("did not get '" + suffix + "' within " + timeout + " (eof " + eof
                        + "); got: " + text());
            }
            pump(Math.max(1, left / 1_000_000));
        }
        String t = text();
        received.reset();
        return t;
    }

    /** True if the server closed the connection within {@code timeout}. */
    boolean closedWithin(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!eof) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            pump(Math.max(1, left / 1_000_000));
        }
        return true;
    }

    boolean isEof() {
        return eof;
    }

    String text() {
        return received.toString(StandardCharsets.UTF_8);
    }

    private void pump(long millis) throws IOException {
        selector.select(millis);
        selector.selectedKeys().clear();
        ByteBuffer buf = ByteBuffer.allocate(8192);
        while (true) {
            buf.clear();
            int n;
            try {
                n = channel.read(buf);
            } catch (IOException reset) {
                eof = true;
                return;
            }
            if (n < 0) {
                eof = true;
                return;
            }
            if (n == 0) {
                return;
            }
            received.write(buf.array(), 0, n);
        }
    }

    @Override
    public void close() throws IOException {
        selector.close();
        channel.close();
    }
}
