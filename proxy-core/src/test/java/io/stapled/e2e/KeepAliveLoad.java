package io.stapled.e2e;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A load client at full speed for the upgrade test: {@code threads} loops, each opening a new TLS
 * connection (JDK client) and sending {@code perConnection} keep-alive GETs on it, back to back. It
 * counts what an upgrade must not cause: connections refused or reset before their first response, and
 * requests that got no answer. A request on a reused connection that the server closed between two
 * requests (an idle keep-alive connection closed by a draining server, which the client cannot tell
 * from a close racing its request) is sent again on a new connection, as every HTTP client does, and
 * counted apart. Each response's {@code X-Generation} header says which process answered.
 */
final class KeepAliveLoad implements AutoCloseable {
    final AtomicLong connections = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    final AtomicLong resetBeforeResponse = new AtomicLong();
    final AtomicLong requests = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicLong retriedAfterKeepAliveClose = new AtomicLong();
    final AtomicLong answeredByNew = new AtomicLong();
    final List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());

    private final SSLContext ssl;
    private final int port;
    private final int perConnection;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;

    KeepAliveLoad(X509Certificate root, int port, int threads, int perConnection) throws Exception {
        ssl = trusting(root);
        this.port = port;
        this.perConnection = perConnection;
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(this::loop, "upgrade-load-" + i);
            t.setDaemon(true);
            this.threads.add(t);
            t.start();
        }
    }

    /** A JDK TLS 1.3 client context trusting {@code root} only. */
    static SSLContext trusting(X509Certificate root) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("root", root);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLSv1.3");
        ssl.init(null, tmf.getTrustManagers(), null);
        return ssl;
    }

    /** One GET on an open TCP connection, over TLS with SNI a.test; the response's status. */
    static int get(SSLContext ssl, Socket raw) throws IOException {
        try (SSLSocket s = (SSLSocket) ssl.getSocketFactory().createSocket(raw, "a.test", raw.getPort(), true)) {
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName("a.test")));
            s.setSSLParameters(p);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            return read(new BufferedInputStream(s.getInputStream())).status;
        }
    }

    private void loop() {
        while (running) {
            Socket raw = new Socket();
            try {
                raw.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            } catch (ConnectException e) {
                refused.incrementAndGet();
                errors.add("connect: " + e);
                close(raw);
                continue;
            } catch (IOException e) {
                resetBeforeResponse.incrementAndGet();
                errors.add("connect: " + e);
                close(raw);
                continue;
            }
            connections.incrementAndGet();
            try (SSLSocket s = (SSLSocket) ssl.getSocketFactory().createSocket(raw, "a.test", port, true)) {
                s.setSoTimeout(10_000);
                SSLParameters p = s.getSSLParameters();
                p.setServerNames(List.of(new SNIHostName("a.test")));
                s.setSSLParameters(p);
                OutputStream out = s.getOutputStream();
                InputStream in = new BufferedInputStream(s.getInputStream());
                for (int i = 0; i < perConnection && running; i++) {
                    out.write("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    Response r;
                    try {
                        r = read(in);
                    } catch (EOFException | java.net.SocketException | javax.net.ssl.SSLException e) {
                        if (i == 0) {
                            resetBeforeResponse.incrementAndGet();
                            failed.incrementAndGet();
                            errors.add("new connection, first request: " + e);
                        } else {
                            retriedAfterKeepAliveClose.incrementAndGet(); // the next connection sends it again
                        }
                        break;
                    }
                    if (r.status != 200) {
                        failed.incrementAndGet();
                        errors.add("status " + r.status);
                    } else {
                        requests.incrementAndGet();
                    }
                    if ("2".equals(r.generation)) {
                        answeredByNew.incrementAndGet();
                    }
                    if (r.close) {
                        break;
                    }
                }
            } catch (IOException e) {
                if (running) {
                    resetBeforeResponse.incrementAndGet();
                    failed.incrementAndGet();
                    errors.add("handshake or request: " + e);
                }
            }
        }
    }

    private record Response(int status, boolean close, String generation) { }

    private static Response read(InputStream in) throws IOException {
        String status = line(in);
        if (status == null) {
            throw new EOFException("connection closed before the response");
        }
        int code = Integer.parseInt(status.split(" ")[1]);
        long length = -1;
        boolean chunked = false;
        boolean close = false;
        String generation = null;
        for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
            int colon = h.indexOf(':');
            String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = h.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> length = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.equalsIgnoreCase("chunked");
                case "connection" -> close = value.equalsIgnoreCase("close");
                case "x-generation" -> generation = value;
                default -> { }
            }
        }
        if (chunked) {
            for (long size = Long.parseLong(line(in).trim(), 16); size > 0; size = Long.parseLong(line(in).trim(), 16)) {
                skip(in, size + 2);
            }
            line(in);
        } else if (length > 0) {
            skip(in, length);
        }
        return new Response(code, close, generation);
    }

    private static void skip(InputStream in, long n) throws IOException {
        for (long left = n; left > 0; left--) {
            if (in.read() < 0) {
                throw new EOFException("connection closed in the body");
            }
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c >= 0; c = in.read()) {
            if (c == '\n') {
                return b.toString().strip();
            }
            b.append((char) c);
        }
        return b.isEmpty() ? null : b.toString();
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // never connected
        }
    }

    String summary() {
        return "connections=" + connections + " refused=" + refused + " reset_before_response=" + resetBeforeResponse
                + " requests_ok=" + requests + " failed_requests=" + failed
                + " retried_after_keepalive_close=" + retriedAfterKeepAliveClose + " answered_by_new=" + answeredByNew;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(15_000);
        }
    }
}
