package io.stapled.proxy.tcp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import io.stapled.proxy.backend.BackendPool;
import io.stapled.testing.StapledServerExtension;
import io.stapled.testing.TrustingSslContext;

/**
 * A TLS frontend in TCP mode for tests: the real {@link io.stapled.server.StapledServer}, started by
 * {@link StapledServerExtension} from a {@code mode: tcp} frontend and the backend YAML a test gives, so
 * the relay runs in the pipeline the server assembles. JDK clients trust the extension's root.
 * {@link #pool()} is the server's own pool: its counters and health state are what the tests read.
 */
final class TlsRelayFront implements AutoCloseable {
    private final StapledServerExtension stapled;
    private final SSLContext clientContext;

    /** {@code backend}: the YAML of one backend named {@code app}, as {@code - name: app ...} list item. */
    TlsRelayFront(String backend, Duration clientTimeout) throws Exception {
        stapled = StapledServerExtension.fromYaml("""
                frontends:
                  - name: tcp-front
                    bind: 127.0.0.1:0
                    mode: tcp
                    backend: app
                    client_timeout: %dms
                    certificates:
                      - crt: ${cert:localhost}
                backends:
                %s""".formatted(clientTimeout.toMillis(), backend));
        stapled.start();
        try {
            clientContext = TrustingSslContext.trusting(stapled.root());
        } catch (Exception | Error e) {
            stapled.stop();
            throw e;
        }
    }

    /** The server's backend {@code app}. */
    BackendPool pool() {
        return stapled.server().backends().get("app");
    }

    int port() {
        return stapled.port("tcp-front");
    }

    /** A connected client that has finished its handshake, with a read timeout. */
    SSLSocket connect() throws IOException {
        return connect(0);
    }

    /** As {@link #connect()}, with a receive buffer of {@code receiveBuffer} bytes if above zero. */
    SSLSocket connect(int receiveBuffer) throws IOException {
        java.net.Socket plain = new java.net.Socket();
        if (receiveBuffer > 0) {
            plain.setReceiveBufferSize(receiveBuffer);
        }
        plain.connect(new InetSocketAddress("127.0.0.1", port()), 5_000);
        SSLSocket socket = (SSLSocket) clientContext.getSocketFactory()
                .createSocket(plain, "localhost", port(), true);
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        return socket;
    }

    @Override
    public void close() {
        stapled.stop();
    }
}
