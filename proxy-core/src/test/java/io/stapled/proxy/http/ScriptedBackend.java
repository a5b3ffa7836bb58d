package io.stapled.proxy.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend on plain sockets that answers each request with exactly the bytes a script chooses, which
 * a real HTTP server library would refuse to produce (a body on a HEAD response, more than the
 * Content-Length). Requests are read head only: the tests send no request bodies. Connections are
 * kept open until the proxy closes them, so a test can see whether a connection was reused.
 */
final class ScriptedBackend implements AutoCloseable {
    /** Writes the answer to one request; {@code connection} counts from 1. */
    interface Script {
        void answer(int connection, String requestLine, Writer out) throws Exception;
    }

    /** The socket's output, with a pause between writes so that they arrive in separate reads. */
    static final class Writer {
        private final OutputStream out;

        Writer(OutputStream out) {
            this.out = out;
        }

        Writer write(String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return this;
        }

        Writer pause(long millis) throws InterruptedException {
            Thread.sleep(millis);
            return this;
        }
    }

    final AtomicInteger connections = new AtomicInteger();
    /** "connection: request line" for each request, in arrival order. */
    final BlockingQueue<String> requests = new LinkedBlockingQueue<>();
    /** The connections (by number) the proxy has closed. */
    final List<Integer> closedByProxy = new CopyOnWriteArrayList<>();
    private final ServerSocket server;
    private final Script script;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    ScriptedBackend(Script script) throws IOException {
        this.script = script;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "scripted-backend-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** The next request the backend saw, as "connection: request line". */
    String nextRequest() throws InterruptedException {
        String r = requests.poll(5, TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError("backend received no request");
        }
        return r;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                sockets.add(s);
                int id = connections.incrementAndGet();
                Thread t = new Thread(() -> serve(s, id), "scripted-backend-" + id);
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket socket, int id) {
        try (socket) {
            InputStream in = socket.getInputStream();
            Writer out = new Writer(socket.getOutputStream());
            String requestLine;
            while ((requestLine = readHead(in)) != null) {
                requests.add(id + ": " + requestLine);
                script.answer(id, requestLine, out);
            }
            closedByProxy.add(id);
        } catch (Exception e) {
            closedByProxy.add(id); // reset, or closed while we wrote
        }
    }

    /** Reads a request head and returns its first line, or null at end of stream. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            head.write(b);
            byte[] h = head.toByteArray();
            int n = h.length;
            if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                String text = head.toString(StandardCharsets.ISO_8859_1);
                return text.substring(0, text.indexOf("\r\n"));
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
