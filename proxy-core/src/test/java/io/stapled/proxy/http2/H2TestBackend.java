package io.stapled.proxy.http2;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * The HTTP/1.1 backend behind the HTTP/2 tests: {@code /stall} answers only after {@link #release()} (a
 * stalled path), {@code /noread} reads the body only after it, {@code /big/<n>} sends n bytes as fast as it
 * can and counts them, everything else answers at once with what it received, one {@code name=value} a line.
 * Every request read to its end is recorded, so a test can tell that nothing reached it.
 */
final class H2TestBackend implements AutoCloseable {
    /** A request the backend read to its end. */
    record Received(String method, String path, String host, String body) { }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private volatile CountDownLatch stall = new CountDownLatch(1);
    private volatile CountDownLatch stalledArrived = new CountDownLatch(1);
    private final java.util.concurrent.atomic.AtomicLong bigWritten = new java.util.concurrent.atomic.AtomicLong();
    private final CountDownLatch bigCut = new CountDownLatch(1);

    H2TestBackend() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    List<Received> received() {
        return received;
    }

    /** Stalled paths stall again (until the next {@link #release()}). */
    void stallAgain() {
        stalledArrived = new CountDownLatch(1);
        stall = new CountDownLatch(1);
    }

    /** Lets every stalled request answer, and later ones answer at once. */
    void release() {
        stall.countDown();
    }

    boolean awaitStalled() throws InterruptedException {
        return stalledArrived.await(10, TimeUnit.SECONDS);
    }

    private void handle(HttpExchange exchange) throws IOException {
        if (exchange.getRequestURI().getRawPath().startsWith("/big/")) {
            sendBig(exchange);
            return;
        }
        if (exchange.getRequestURI().getRawPath().startsWith("/noread")) {
            countWithoutReadingFirst(exchange);
            return;
        }
        String body;
        try (InputStream in = exchange.getRequestBody()) {
            body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String path = exchange.getRequestURI().getRawPath();
        String query = exchange.getRequestURI().getRawQuery();
        if (query != null) {
            path += "?" + query;
        }
        received.add(new Received(exchange.getRequestMethod(), path, exchange.getRequestHeaders().getFirst("Host"),
                body));
        if (path.startsWith("/stall")) {
            stalledArrived.countDown();
            try {
                stall.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        StringBuilder text = new StringBuilder();
        text.append("method=").append(exchange.getRequestMethod()).append('\n');
        text.append("path=").append(path).append('\n');
        exchange.getRequestHeaders().forEach((name, values) ->
                text.append(name.toLowerCase(java.util.Locale.ROOT)).append('=').append(String.join(",", values)).append('\n'));
        text.append("body=").append(body).append('\n');
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Connection", "keep-alive");
        exchange.getResponseHeaders().add("Keep-Alive", "timeout=5");
        exchange.getResponseHeaders().add("X-Backend", "yes");
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Stalls before reading a byte of the body, then counts it: the upload waits on back-pressure. */
    private void countWithoutReadingFirst(HttpExchange exchange) throws IOException {
        stalledArrived.countDown();
        try {
            stall.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long n = 0;
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = exchange.getRequestBody()) {
            for (int r; (r = in.read(buffer)) > 0; ) {
                n += r;
            }
        }
        received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                exchange.getRequestHeaders().getFirst("Host"), "bytes=" + n));
        byte[] bytes = ("bodylen=" + n + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Bytes of {@code /big/} responses the socket took so far. */
    long bigWritten() {
        return bigWritten.get();
    }

    /** Whether a {@code /big/} response was cut by the proxy closing the connection. */
    boolean bigCut() {
        return bigCut.getCount() == 0;
    }

    /** {@code /big/<n>}: n bytes, written as fast as the socket takes them, counted. */
    private void sendBig(HttpExchange exchange) throws IOException {
        long n = Long.parseLong(exchange.getRequestURI().getRawPath().substring("/big/".length()));
        exchange.getRequestBody().readAllBytes();
        exchange.sendResponseHeaders(200, n);
        byte[] chunk = new byte[16 * 1024];
        try (OutputStream out = exchange.getResponseBody()) {
            for (long sent = 0; sent < n; sent += chunk.length) {
                out.write(chunk, 0, (int) Math.min(chunk.length, n - sent));
                bigWritten.addAndGet(Math.min(chunk.length, n - sent));
            }
        } catch (IOException cut) {
            bigCut.countDown();
            throw cut;
        }
    }

    @Override
    public void close() {
        stall.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
