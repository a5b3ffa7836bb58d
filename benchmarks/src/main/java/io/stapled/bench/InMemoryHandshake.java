package io.stapled.bench;

import java.nio.ByteBuffer;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * Runs a TLS handshake between a client and a server {@link SSLEngine} in the calling thread, through
 * two in-memory buffers: no sockets, no event loop, so a benchmark measures the TLS work and the
 * engine glue and nothing else. Buffers are reused across handshakes; one instance per thread.
 */
public final class InMemoryHandshake {
    private static final int MAX_STEPS = 64;
    private static final ByteBuffer EMPTY = ByteBuffer.allocateDirect(0);

    private final ByteBuffer clientToServer = ByteBuffer.allocateDirect(64 * 1024);
    private final ByteBuffer serverToClient = ByteBuffer.allocateDirect(64 * 1024);
    private final ByteBuffer clientApp = ByteBuffer.allocateDirect(64 * 1024);
    private final ByteBuffer serverApp = ByteBuffer.allocateDirect(64 * 1024);

    /** Drives both engines until neither is handshaking; returns the number of flights exchanged. */
    public int run(SSLEngine client, SSLEngine server) throws SSLException {
        clientToServer.clear();
        serverToClient.clear();
        client.beginHandshake();
        server.beginHandshake();
        for (int step = 0; step < MAX_STEPS; step++) {
            // A round in which neither side writes anything ends it: that also flushes what a
            // server sends after its handshake is done (TLS 1.3 session tickets), as on a socket.
            boolean wrote = wrap(client, clientToServer) | wrap(server, serverToClient);
            unwrap(server, clientToServer, serverApp);
            unwrap(client, serverToClient, clientApp);
            if (!wrote && done(client) && done(server)) {
                return step + 1;
            }
        }
        throw new SSLException("handshake did not finish in " + MAX_STEPS + " steps: client "
                + client.getHandshakeStatus() + ", server " + server.getHandshakeStatus());
    }

    private static boolean done(SSLEngine e) {
        HandshakeStatus s = e.getHandshakeStatus();
        return s == HandshakeStatus.NOT_HANDSHAKING || s == HandshakeStatus.FINISHED;
    }

    /** Wraps until the engine has nothing more to send; true if it produced any bytes. */
    private static boolean wrap(SSLEngine engine, ByteBuffer out) throws SSLException {
        boolean wrote = false;
        for (int i = 0; i < MAX_STEPS; i++) {
            HandshakeStatus hs = engine.getHandshakeStatus();
            if (hs == HandshakeStatus.NEED_TASK) {
                runTasks(engine);
                continue;
            }
            if (hs == HandshakeStatus.NEED_UNWRAP) {
                return wrote;
            }
            SSLEngineResult r = engine.wrap(EMPTY, out);
            if (r.getStatus() != SSLEngineResult.Status.OK) {
                throw new SSLException("wrap failed: " + r);
            }
            if (r.bytesProduced() == 0) {
                return wrote;
            }
            wrote = true;
        }
        return wrote;
    }

    private static void unwrap(SSLEngine engine, ByteBuffer in, ByteBuffer app) throws SSLException {
        in.flip();
        try {
            for (int i = 0; i < MAX_STEPS && in.hasRemaining(); i++) {
                if (engine.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
                    runTasks(engine);
                }
                app.clear();
                SSLEngineResult r = engine.unwrap(in, app);
                if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
                    runTasks(engine);
                }
                if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
                    return;
                }
                if (r.getStatus() != SSLEngineResult.Status.OK) {
                    throw new SSLException("unwrap failed: " + r);
                }
                if (r.bytesConsumed() == 0 && r.bytesProduced() == 0) {
                    return;
                }
            }
            // BoringSSL engines finish a handshake inside the call after the one that fed them the
            // last flight; Netty's SslHandler makes that call with an empty buffer too.
            if (!in.hasRemaining() && engine.getHandshakeStatus() == HandshakeStatus.NEED_UNWRAP) {
                app.clear();
                engine.unwrap(in, app);
                if (engine.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
                    runTasks(engine);
                }
            }
        } finally {
            in.compact();
        }
    }

    private static void runTasks(SSLEngine engine) {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
    }
}
