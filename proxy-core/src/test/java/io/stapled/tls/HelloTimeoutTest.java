package io.stapled.tls;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;

/** The ClientHello handler's timeout on a mock clock: it covers the hello, and a trickle does not extend it. */
class HelloTimeoutTest {
    private final MockTicker ticker = Ticker.newMockTicker();

    private EmbeddedChannel connection(long timeoutMillis) {
        EmbeddedChannel ch = EmbeddedChannel.builder().ticker(ticker).build();
        CertificateSnapshot snapshot = CertificateSnapshot.builder()
                .add(CertificateSnapshotTest.cert(KeyType.EC, "hello.test")).build();
        ch.pipeline().addLast(new CertificateSelectingHandler(new CertificateStore(snapshot), timeoutMillis, false));
        return ch;
    }

    private void advance(EmbeddedChannel ch, long millis) {
        ticker.advance(millis, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
    }

    @Test
    void aConnectionThatSendsNothingIsClosedAtTheTimeout() {
        EmbeddedChannel ch = connection(10_000);
        advance(ch, 9_999);
        assertTrue(ch.isOpen());
        advance(ch, 1);
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void aTrickleOfHelloBytesDoesNotExtendTheTimeout() {
        EmbeddedChannel ch = connection(10_000);
        // A TLS handshake record header announcing 512 bytes, then one byte every two seconds.
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00}));
        for (int i = 0; i < 4; i++) {
            advance(ch, 2_000);
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x01}));
            assertTrue(ch.isOpen());
        }
        advance(ch, 2_000);
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void noTimeoutWhenDisabled() {
        EmbeddedChannel ch = connection(0);
        advance(ch, TimeUnit.DAYS.toMillis(1));
        assertTrue(ch.isOpen());
        ch.finishAndReleaseAll();
    }
}
