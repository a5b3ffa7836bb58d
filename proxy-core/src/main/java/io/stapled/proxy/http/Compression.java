package io.stapled.proxy.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.compression.Brotli;
import io.netty.handler.codec.compression.Zstd;

import io.stapled.config.CompressionConfig;
import io.stapled.config.CompressionConfig.Algorithm;

/**
 * One {@code compression:} setting, compiled once: which coding a request accepts ({@link #negotiate},
 * on the request head) and whether its response is compressed ({@link #begin}, on the response head).
 * Immutable, shared by every event loop.
 *
 * <p>What is never compressed: a response that already has a {@code Content-Encoding}, that says
 * {@code Cache-Control: no-transform}, a status other than 200-203 (as HAProxy: no 206 range, no
 * error page), a type not listed, a {@code Content-Length} under {@code min_size}; the caller leaves
 * out HEAD, bodyless statuses and HTTP/1.0 clients (as nginx's {@code gzip_http_version 1.1}: without
 * chunks, the compressed body could only end with the connection).
 */
final class Compression {
    private static final Logger LOG = LoggerFactory.getLogger(Compression.class);

    private final Algorithm[] algorithms;
    private final String[] exactTypes;
    /** {@code text/} for {@code text/*}. */
    private final String[] typePrefixes;
    private final int minSize;

    private Compression(List<Algorithm> algorithms, List<String> types, int minSize) {
        this.algorithms = algorithms.toArray(Algorithm[]::new);
        this.exactTypes = types.stream().filter(t -> !t.endsWith("/*")).toArray(String[]::new);
        this.typePrefixes = types.stream().filter(t -> t.endsWith("/*"))
                .map(t -> t.substring(0, t.length() - 1)).toArray(String[]::new);
        this.minSize = minSize;
    }

    /**
     * Null when {@code config} is null or off, or when none of its algorithms can run here (zstd and br
     * need their native libraries; one that does not load is left out with a warning).
     */
    static Compression of(CompressionConfig config, String frontend) {
        if (config == null || config.off()) {
            return null;
        }
        List<Algorithm> usable = new ArrayList<>();
        for (Algorithm a : config.algorithms()) {
            Throwable missing = switch (a) {
                case GZIP -> null;
                case ZSTD -> Zstd.isAvailable() ? null : Zstd.cause();
                case BR -> Brotli.isAvailable() ? null : Brotli.cause();
            };
            if (missing == null) {
                usable.add(a);
            } else {
                LOG.warn("frontend {}: compression {} is not available on this machine, left out: {}", frontend,
                        a.token(), missing.toString());
            }
        }
        return usable.isEmpty() ? null : new Compression(usable, config.types(), config.minSize());
    }

    /**
     * The algorithm {@code acceptEncoding} (the request's header, or null) asks for: the highest q-value
     * among ours, ties broken by our order; {@code *} stands for those it does not name. Null when it
     * takes none of ours, or prefers {@code identity} to all of them.
     */
    Algorithm negotiate(String acceptEncoding) {
        if (acceptEncoding == null || acceptEncoding.isEmpty()) {
            return null;
        }
        int[] q = new int[algorithms.length];
        java.util.Arrays.fill(q, -1);
        int star = -1;
        int identity = -1;
        int at = 0;
        int length = acceptEncoding.length();
        while (at < length) {
            int comma = acceptEncoding.indexOf(',', at);
            int end = comma < 0 ? length : comma;
            int semi = acceptEncoding.indexOf(';', at);
            int nameEnd = semi >= 0 && semi < end ? semi : end;
            String name = acceptEncoding.substring(at, nameEnd).strip().toLowerCase(Locale.ROOT);
            int weight = nameEnd < end ? qValue(acceptEncoding, nameEnd + 1, end) : 1000;
            if (name.equals("*")) {
                star = weight;
            } else if (name.equals("identity")) {
                identity = weight;
            } else {
                if (name.equals("x-gzip")) {
                    name = "gzip"; // RFC 9110 section 8.4.1.3: the same coding
                }
                for (int i = 0; i < algorithms.length; i++) {
                    if (algorithms[i].token().equals(name)) {
                        q[i] = weight;
                    }
                }
            }
            at = end + 1;
        }
        Algorithm best = null;
        int bestQ = 0;
        for (int i = 0; i < algorithms.length; i++) {
            int weight = q[i] >= 0 ? q[i] : star;
            if (weight > bestQ) {
                best = algorithms[i];
                bestQ = weight;
            }
        }
        return best != null && bestQ >= identity ? best : null;
    }

    /** {@code q=0.5} among the parameters in {@code [from, to)}, in thousandths; an invalid one is 0. */
    private static int qValue(String header, int from, int to) {
        for (String param : header.substring(from, to).split(";")) {
            String p = param.strip();
            if (p.length() < 2 || Character.toLowerCase(p.charAt(0)) != 'q' || p.charAt(1) != '=') {
                continue;
            }
            String v = p.substring(2).strip();
            if (!v.matches("(0(\\.[0-9]{0,3})?|1(\\.0{0,3})?)")) {
                return 0;
            }
            return (int) Math.round(Double.parseDouble(v) * 1000);
        }
        return 1000;
    }

    /**
     * Decides on a final response head that may have a body: when it is compressible, adds
     * {@code Vary: Accept-Encoding} (whether or not this client gets it compressed, so that a cache keeps
     * the two apart); when {@code accepted} is not null, also makes its headers those of the compressed
     * body and returns its encoder. Null: the body goes as it is.
     */
    CompressedBody begin(HttpResponse response, Algorithm accepted, Channel channel) {
        if (!compressible(response)) {
            return null;
        }
        HttpHeaders headers = response.headers();
        addVary(headers);
        if (accepted == null) {
            return null;
        }
        headers.remove(HttpHeaderNames.CONTENT_LENGTH);
        headers.remove(HttpHeaderNames.ACCEPT_RANGES); // ranges of the coded body are not served
        headers.set(HttpHeaderNames.CONTENT_ENCODING, accepted.token());
        String etag = headers.get(HttpHeaderNames.ETAG);
        if (etag != null && !etag.startsWith("W/")) {
            // The coded bytes differ from the backend's: a strong validator would claim them equal (nginx does the same).
            headers.set(HttpHeaderNames.ETAG, "W/" + etag);
        }
        return new CompressedBody(accepted, channel);
    }

    private boolean compressible(HttpResponse response) {
        int code = response.status().code();
        if (code < 200 || code > 203 || response instanceof LastHttpContent) {
            return false; // an HTTP/2 server's response that ended on its HEADERS has no body to code
        }
        HttpHeaders headers = response.headers();
        if (headers.contains(HttpHeaderNames.CONTENT_ENCODING)) {
            return false;
        }
        String length = headers.get(HttpHeaderNames.CONTENT_LENGTH);
        if (length != null) {
            try {
                long n = Long.parseLong(length.strip());
                if (n == 0 || n < minSize) {
                    return false;
                }
            } catch (NumberFormatException e) {
                return false; // the decoder checked it; nothing to gain from a guess
            }
        }
        for (String cc : headers.getAll(HttpHeaderNames.CACHE_CONTROL)) {
            if (cc.toLowerCase(Locale.ROOT).contains("no-transform")) {
                return false;
            }
        }
        return typeListed(headers.get(HttpHeaderNames.CONTENT_TYPE));
    }

    private boolean typeListed(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semi = contentType.indexOf(';');
        String type = (semi < 0 ? contentType : contentType.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
        for (String t : exactTypes) {
            if (t.equals(type)) {
                return true;
            }
        }
        for (String prefix : typePrefixes) {
            if (type.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    private static void addVary(HttpHeaders headers) {
        for (String vary : headers.getAll(HttpHeaderNames.VARY)) {
            for (String field : vary.split(",")) {
                String f = field.strip();
                if (f.equals("*") || f.equalsIgnoreCase("accept-encoding")) {
                    return;
                }
            }
        }
        headers.add(HttpHeaderNames.VARY, "Accept-Encoding");
    }
}
