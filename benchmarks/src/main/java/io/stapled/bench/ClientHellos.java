package io.stapled.bench;

import java.nio.ByteBuffer;
import java.util.Arrays;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;

/**
 * Real ClientHello bytes for the hot-path benchmarks: the first flight of a BoringSSL client engine,
 * cut down to the handshake body that Netty's {@code SslClientHelloHandler} hands to stapled.
 */
final class ClientHellos {
    private static final int RECORD_HEADER = 5;
    private static final int HANDSHAKE_HEADER = 4;
    private static final int EXT_SIGNATURE_ALGORITHMS = 13;
    private static final int SIGNATURE_ECDSA = 3;
    private static final int SIGNATURE_RSA_PKCS1 = 1;

    private ClientHellos() { }

    /** The ClientHello body (from client_version on) that {@code client} sends for {@code serverName}. */
    static byte[] capture(SslContext client, String serverName) throws SSLException {
        SSLEngine engine = client.newEngine(ByteBufAllocator.DEFAULT, serverName, 443);
        try {
            ByteBuffer out = ByteBuffer.allocate(64 * 1024);
            engine.beginHandshake();
            engine.wrap(ByteBuffer.allocate(0), out);
            out.flip();
            if (out.remaining() < RECORD_HEADER + HANDSHAKE_HEADER || out.get(0) != 22 || out.get(5) != 1) {
                throw new IllegalStateException("the client's first record is not a ClientHello");
            }
            int length = (out.get(6) & 0xff) << 16 | (out.get(7) & 0xff) << 8 | (out.get(8) & 0xff);
            int start = RECORD_HEADER + HANDSHAKE_HEADER;
            return Arrays.copyOfRange(out.array(), start, start + length);
        } finally {
            ReferenceCountUtil.release(engine);
        }
    }

    /**
     * The same hello from a client that cannot verify ECDSA: every ECDSA scheme in signature_algorithms
     * rewritten to its RSA PKCS#1 twin (same hash), as an RSA-only client would send.
     */
    static byte[] withoutEcdsa(byte[] body) {
        byte[] b = body.clone();
        int p = 34;
        p += 1 + (b[p] & 0xff);
        p += 2 + u16(b, p);
        p += 1 + (b[p] & 0xff);
        int end = p + 2 + u16(b, p);
        p += 2;
        while (p + 4 <= end) {
            int type = u16(b, p);
            int len = u16(b, p + 2);
            if (type == EXT_SIGNATURE_ALGORITHMS) {
                int list = p + 6;
                int listEnd = list + u16(b, p + 4);
                for (int i = list; i + 1 < listEnd; i += 2) {
                    if ((b[i + 1] & 0xff) == SIGNATURE_ECDSA) {
                        b[i + 1] = SIGNATURE_RSA_PKCS1;
                    }
                }
                return b;
            }
            p += 4 + len;
        }
        throw new IllegalStateException("no signature_algorithms extension in the ClientHello");
    }

    private static int u16(byte[] b, int i) {
        return (b[i] & 0xff) << 8 | (b[i + 1] & 0xff);
    }
}
