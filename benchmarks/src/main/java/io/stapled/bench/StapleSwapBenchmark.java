package io.stapled.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import io.stapled.ocsp.Staple;
import io.stapled.ocsp.StapleSlot;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The staple read on the handshake path ({@link StapleSlot#derIfValid}) while another thread swaps the
 * staple as fast as it can: the worst case of a refresh landing during traffic (real refreshes happen
 * hours apart). Compare {@code swapStorm:read} with {@code readsOnly}: the read is one volatile load and
 * one comparison, so the only cost a writer can add is the cache line moving between cores.
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class StapleSwapBenchmark extends ShortRun {

    @State(Scope.Group)
    public static class Slot {
        final StapleSlot slot = new StapleSlot();
        Staple a;
        Staple b;

        @Setup(Level.Trial)
        public void setUp() {
            Instant now = Instant.now();
            a = staple(new byte[1200], now);
            b = staple(new byte[1300], now);
            slot.set(a);
        }

        private static Staple staple(byte[] der, Instant now) {
            return new Staple(der, Staple.CertStatus.GOOD, now.minus(Duration.ofMinutes(1)),
                    now.plus(Duration.ofDays(7)), now, Staple.Origin.FETCHED, now);
        }
    }

    @State(Scope.Thread)
    public static class Flip {
        boolean odd;
    }

    @Benchmark
    @Group("swapStorm")
    @GroupThreads(1)
    public byte[] read(Slot s) {
        return s.slot.derIfValid(System.currentTimeMillis());
    }

    @Benchmark
    @Group("swapStorm")
    @GroupThreads(1)
    public void swap(Slot s, Flip f) {
        f.odd = !f.odd;
        s.slot.set(f.odd ? s.b : s.a);
    }

    @Benchmark
    @Group("readsOnly")
    @GroupThreads(1)
    public byte[] readAlone(Slot s) {
        return s.slot.derIfValid(System.currentTimeMillis());
    }
}
