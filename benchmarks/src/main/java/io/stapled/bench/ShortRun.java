package io.stapled.bench;

import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The run every stapled benchmark uses, in one place: throughput, one fork, two warm-up and three
 * measured one-second iterations — short enough for the whole suite to run on a shared 2-core machine,
 * long enough for the numbers in RESULTS.md (JMH's run annotations are inherited; a benchmark's own
 * annotation wins, e.g. its {@code @OutputTimeUnit}).
 */
@BenchmarkMode(Mode.Throughput)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public abstract class ShortRun {
}
