package io.stapled.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

/** Proves the leak detector in use is the recording one, so a leak really fails the build. */
class LeakCheckExtensionTest {

    @Test
    void leakedBufferIsRecorded() throws Exception {
        leakOne();
        boolean seen = false;
        for (int i = 0; i < 20 && !seen; i++) {
            System.gc();
            Thread.sleep(20);
            ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(8);
            b.release();
            seen = !RecordingLeakDetector.drain().isEmpty();
        }
        assertFalse(!seen, "a deliberately leaked buffer was not reported by the recording detector");
    }

    private static void leakOne() {
        PooledByteBufAllocator.DEFAULT.directBuffer(8).writeByte(1); // never released, on purpose
    }
}
