package io.stapled.metrics;

import java.util.function.ToDoubleFunction;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/** The two meter shapes the connection meters use: both read their object when scraped. */
final class Meters {
    private Meters() { }

    /**
     * A gauge holding {@code obj} strongly: the frontends' and backends' objects are reached from
     * nowhere else the registry could see, and a weakly held one would read NaN once collected.
     */
    static <T> void gauge(MeterRegistry registry, String name, Tags tags, T obj, ToDoubleFunction<T> value,
                          String description) {
        Gauge.builder(name, obj, value).description(description).tags(tags).strongReference(true).register(registry);
    }

    /** A counter whose total is {@code count} of {@code obj} (a monotonic count the object keeps). */
    static <T> void counter(MeterRegistry registry, String name, Tags tags, T obj, ToDoubleFunction<T> count,
                            String description) {
        FunctionCounter.builder(name, obj, count).description(description).tags(tags).register(registry);
    }
}
