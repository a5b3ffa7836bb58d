package io.stapled.proxy.http;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Request ids: 128 random bits as 32 lower-case hex digits, the shape of nginx's {@code $request_id}.
 * Random rather than a counter, so ids from several instances behind one balancer never collide and
 * a client cannot guess another request's id; ThreadLocalRandom, since the id is a correlation key,
 * not a secret, and must not contend between event loops.
 */
final class RequestIds {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private RequestIds() { }

    static String next() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        char[] out = new char[32];
        long hi = random.nextLong();
        long lo = random.nextLong();
        for (int i = 0; i < 16; i++) {
            out[15 - i] = HEX[(int) (hi >>> (i * 4)) & 0xf];
            out[31 - i] = HEX[(int) (lo >>> (i * 4)) & 0xf];
        }
        return new String(out);
    }
}
