package io.stapled.config;

import java.util.List;

/**
 * {@code compression:} of a frontend or a route, HAProxy's {@code compression algo / type / minsize}.
 *
 * @param algorithms what the proxy may encode with, in its order of preference (the client's q-values
 *                   decide first); empty only for {@link #OFF}
 * @param types      media types compressed, lower case, without parameters; {@code text/*} takes a
 *                   whole top-level type
 * @param minSize    a response whose {@code Content-Length} is below this is sent as it is; one without
 *                   a length (chunked, or ending with its connection) is compressed
 */
public record CompressionConfig(List<Algorithm> algorithms, List<String> types, int minSize) {

    /** A route's {@code compression: false}: none, whatever the frontend has. */
    public static final CompressionConfig OFF = new CompressionConfig(List.of(), List.of(), 0);

    /** The content codings stapled produces, by their {@code Content-Encoding} token. */
    public enum Algorithm {
        GZIP("gzip"), BR("br"), ZSTD("zstd");

        private final String token;

        Algorithm(String token) {
            this.token = token;
        }

        public String token() {
            return token;
        }
    }

    /**
     * What text-like responses are, as nginx's and HAProxy's usual lists: images, video, archives and
     * fonts other than SVG are compressed already.
     */
    public static final List<String> DEFAULT_TYPES = List.of("text/html", "text/plain", "text/css",
            "text/xml", "text/javascript", "application/javascript", "application/x-javascript",
            "application/json", "application/ld+json", "application/manifest+json", "application/problem+json",
            "application/xml", "application/rss+xml", "application/atom+xml", "application/xhtml+xml",
            "application/wasm", "image/svg+xml", "image/x-icon", "font/ttf", "font/otf");
    public static final List<Algorithm> DEFAULT_ALGORITHMS = List.of(Algorithm.GZIP);
    public static final int DEFAULT_MIN_SIZE = 1024;

    public CompressionConfig {
        algorithms = List.copyOf(algorithms);
        types = List.copyOf(types);
    }

    public boolean off() {
        return algorithms.isEmpty();
    }
}
