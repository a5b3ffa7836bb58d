package io.stapled.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.stapled.config.CompressionConfig;
import io.stapled.config.CompressionConfig.Algorithm;

/** {@link Compression#negotiate}: Accept-Encoding against {@code algorithms: [gzip, zstd]} (br left out). */
class CompressionNegotiationTest {
    private static final Compression GZIP_ZSTD = Compression.of(new CompressionConfig(
            List.of(Algorithm.GZIP, Algorithm.ZSTD), CompressionConfig.DEFAULT_TYPES, 1024), "test");

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', nullValues = "none", value = {
            "gzip                          | gzip",
            "GZip                          | gzip",
            "x-gzip                        | gzip",
            "deflate, gzip, br, zstd       | gzip",
            "zstd, gzip                    | gzip",
            "gzip;q=0.5, zstd              | zstd",
            "gzip; q=0.999, zstd;q=1.0     | zstd",
            "br                            | none",
            "*                             | gzip",
            "gzip;q=0, *                   | zstd",
            "*;q=0                         | none",
            "gzip;q=0                      | none",
            "identity                      | none",
            "identity;q=0.5, gzip;q=0.4    | none",
            "identity;q=0.5, gzip;q=0.5    | gzip",
            "gzip;q=2                      | none",
            "gzip;q=abc, zstd;q=0.1        | zstd",
            "''                            | none",
            "' , ,gzip'                    | gzip"})
    void picks(String acceptEncoding, String expected) {
        Algorithm got = GZIP_ZSTD.negotiate(acceptEncoding);
        assertEquals(expected, got == null ? null : got.token());
    }
}
