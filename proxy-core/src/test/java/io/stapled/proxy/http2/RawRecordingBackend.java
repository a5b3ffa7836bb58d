package io.stapled.proxy.http2;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A backend that answers each request with the exact bytes it received, so a test sees the HTTP/1.1
 * request an HTTP/2 stream was turned into. One request per connection ({@code Connection: close});
 * it reads a chunked body to the end of its trailers and a body with a length to that length.
 */
final class RawRecordingBackend implements AutoCloseable {
    private final ServerSocket server;
    private final Thread thread;

    RawRecordingBackend() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        thread = new Thread(this::serve, "raw-backend");
        thread.setDaemon(true);
        thread.start();
    }

    int port() {
        return server.getLocalPort();
    }

    private void serve() {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                s.setSoTimeout(10_000);
                byte[] request = readRequest(s.getInputStream());
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + request.length + "\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.write(request);
                out.flush();
            } catch (IOException e) {
                // closed, or a client that went away: next connection
            }
        }
    }

    private static byte[] readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        int headEnd = -1;
        while (true) {
            int b = in.read();
            if (b < 0) {
                return seen.toByteArray();
            }
            seen.write(b);
            String text = seen.toString(StandardCharsets.ISO_8859_1);
            if (headEnd < 0 && text.endsWith("\r\n\r\n")) {
                headEnd = text.length();
                String head = text.toLowerCase();
                int cl = head.indexOf("\r\ncontent-length: ");
                if (cl >= 0) {
                    int n = Integer.parseInt(head.substring(cl + 18, head.indexOf("\r\n", cl + 2)).trim());
                    seen.write(in.readNBytes(n));
                    return seen.toByteArray();
                }
                if (!head.contains("\r\ntransfer-encoding: chunked")) {
                    return seen.toByteArray();
                }
                continue;
            }
            if (headEnd >= 0 && text.endsWith("\r\n\r\n")) {
                String body = text.substring(headEnd);
                if (body.startsWith("0\r\n") || body.contains("\r\n0\r\n")) {
                    return seen.toByteArray();
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
