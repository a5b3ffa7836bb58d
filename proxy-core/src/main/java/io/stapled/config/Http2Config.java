package io.stapled.config;

/**
 * HTTP/2 settings of a frontend in {@code http} mode, used on connections whose client picked {@code h2}
 * by ALPN. The first five are the SETTINGS the proxy announces (RFC 9113 section 6.5.2).
 *
 * @param maxConcurrentStreams streams a client may have open at once on one connection
 * @param initialWindowSize    flow-control window of each stream, in bytes: what a client may send on a
 *                             stream before the backend has taken it; the connection's window is this
 *                             times {@code maxConcurrentStreams}, so that stalled streams cannot use up
 *                             the window of the others
 * @param maxHeaderListSize    decoded size of a request's header list (names, values and 32 bytes per
 *                             field, as RFC 9113 counts it); larger gets 431
 * @param headerTableSize      HPACK dynamic table size the client's encoder may use
 * @param maxFrameSize         largest frame payload the client may send
 * @param maxResetsPerSecond   RST_STREAM frames a client may send per second on one connection before it
 *                             gets GOAWAY(ENHANCE_YOUR_CALM) (rapid reset, CVE-2023-44487); 0: no limit
 * @param maxContinuationFrames small (under 8 KiB) CONTINUATION frames one header block may have before the
 *                             connection gets GOAWAY(ENHANCE_YOUR_CALM) (CONTINUATION flood, CVE-2024-27316
 *                             family); large ones are bounded by the header block's size instead
 * @param maxControlFramesQueued answers to the client's control frames (SETTINGS and PING acknowledgements,
 *                             RST_STREAM) that may wait unsent because the client does not read; one more
 *                             and the connection is closed (SETTINGS and PING floods)
 * @param maxEmptyDataFrames   consecutive DATA frames with no payload and no END_STREAM a client may send
 *                             before it gets GOAWAY(ENHANCE_YOUR_CALM) (empty-DATA flood, CVE-2019-9518)
 */
public record Http2Config(
        int maxConcurrentStreams,
        int initialWindowSize,
        int maxHeaderListSize,
        int headerTableSize,
        int maxFrameSize,
        int maxResetsPerSecond,
        int maxContinuationFrames,
        int maxControlFramesQueued,
        int maxEmptyDataFrames) {

    public static final int DEFAULT_MAX_CONCURRENT_STREAMS = 100;
    /** RFC 9113's initial value. */
    public static final int DEFAULT_INITIAL_WINDOW_SIZE = 65_535;
    public static final int DEFAULT_HEADER_TABLE_SIZE = 4096;
    public static final int DEFAULT_MAX_FRAME_SIZE = 16_384;
    public static final int DEFAULT_MAX_RESETS_PER_SECOND = 100;
    /** Netty's defaults for its guards. */
    public static final int DEFAULT_MAX_CONTINUATION_FRAMES = 16;
    public static final int DEFAULT_MAX_CONTROL_FRAMES_QUEUED = 10_000;
    public static final int DEFAULT_MAX_EMPTY_DATA_FRAMES = 2;
    /** RFC 9113 section 6.5.2 bounds. */
    public static final int MIN_FRAME_SIZE = 16_384;
    public static final int MAX_FRAME_SIZE = 16_777_215;
    public static final int MAX_WINDOW_SIZE = Integer.MAX_VALUE;

    /** The defaults, with the header list capped like HTTP/1.1's headers ({@code http.max_header_size}). */
    public static Http2Config defaults(HttpConfig http) {
        HttpConfig h = http == null ? HttpConfig.defaults() : http;
        return new Http2Config(DEFAULT_MAX_CONCURRENT_STREAMS, DEFAULT_INITIAL_WINDOW_SIZE, h.maxHeaderSize(),
                DEFAULT_HEADER_TABLE_SIZE, DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_RESETS_PER_SECOND,
                DEFAULT_MAX_CONTINUATION_FRAMES, DEFAULT_MAX_CONTROL_FRAMES_QUEUED, DEFAULT_MAX_EMPTY_DATA_FRAMES);
    }

    /** The connection-level receive window: room for every stream's window at once. */
    public int connectionWindowSize() {
        return (int) Math.min(MAX_WINDOW_SIZE, (long) initialWindowSize * maxConcurrentStreams);
    }

    /**
     * What the header block (the encoded fields, across HEADERS and CONTINUATION frames) may weigh
     * before the connection is ended: Netty's allowance, a quarter above the decoded list's limit.
     */
    public long maxHeaderBlockSize() {
        return maxHeaderListSize + (maxHeaderListSize >>> 2);
    }

    public Http2Config withMaxConcurrentStreams(int maxConcurrentStreams) {
        return new Http2Config(maxConcurrentStreams, initialWindowSize, maxHeaderListSize, headerTableSize,
                maxFrameSize, maxResetsPerSecond, maxContinuationFrames, maxControlFramesQueued, maxEmptyDataFrames);
    }

    public Http2Config withInitialWindowSize(int initialWindowSize) {
        return new Http2Config(maxConcurrentStreams, initialWindowSize, maxHeaderListSize, headerTableSize,
                maxFrameSize, maxResetsPerSecond, maxContinuationFrames, maxControlFramesQueued, maxEmptyDataFrames);
    }

    public Http2Config withMaxHeaderListSize(int maxHeaderListSize) {
        return new Http2Config(maxConcurrentStreams, initialWindowSize, maxHeaderListSize, headerTableSize,
                maxFrameSize, maxResetsPerSecond, maxContinuationFrames, maxControlFramesQueued, maxEmptyDataFrames);
    }

    public Http2Config withMaxResetsPerSecond(int maxResetsPerSecond) {
        return new Http2Config(maxConcurrentStreams, initialWindowSize, maxHeaderListSize, headerTableSize,
                maxFrameSize, maxResetsPerSecond, maxContinuationFrames, maxControlFramesQueued, maxEmptyDataFrames);
    }

    public Http2Config withMaxContinuationFrames(int maxContinuationFrames) {
        return new Http2Config(maxConcurrentStreams, initialWindowSize, maxHeaderListSize, headerTableSize,
                maxFrameSize, maxResetsPerSecond, maxContinuationFrames, maxControlFramesQueued, maxEmptyDataFrames);
    }

    public Http2Config withMaxControlFramesQueued(int maxControlFramesQueued) {
        return new Http2Config(maxConcurrentStreams, initialWindowSize, maxHeaderListSize, headerTableSize,
                maxFrameSize, maxResetsPerSecond, maxContinuationFrames, maxControlFramesQueued, maxEmptyDataFrames);
    }

    public Http2Config withMaxEmptyDataFrames(int maxEmptyDataFrames) {
        return new Http2Config(maxConcurrentStreams, initialWindowSize, maxHeaderListSize, headerTableSize,
                maxFrameSize, maxResetsPerSecond, maxContinuationFrames, maxControlFramesQueued, maxEmptyDataFrames);
    }
}
