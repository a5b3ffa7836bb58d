package io.stapled.config;

/** Binds a frontend's {@code http2:} section; the header list defaults to {@code http.max_header_size}. */
final class Http2Binder {

    private Http2Binder() {
    }

    static Http2Config bind(YamlValue value, HttpConfig http) {
        Http2Config d = Http2Config.defaults(http);
        if (value == null) {
            return d;
        }
        YamlMap m = value.map();
        int streams = m.integer("max_concurrent_streams", d.maxConcurrentStreams(), 1, 10_000);
        int window = m.size("initial_window_size", d.initialWindowSize(), 1024, Http2Config.MAX_WINDOW_SIZE);
        int headerList = m.size("max_header_list_size", d.maxHeaderListSize(), 1024, 1 << 24);
        int table = m.size("header_table_size", d.headerTableSize(), 0, 1 << 20);
        int frame = m.size("max_frame_size", d.maxFrameSize(), Http2Config.MIN_FRAME_SIZE,
                Http2Config.MAX_FRAME_SIZE);
        int resets = m.integer("max_resets_per_second", d.maxResetsPerSecond(), 0, 1_000_000);
        // None of Netty's guards below can be turned off: each bounds what one connection may cost.
        int continuations = m.integer("max_continuation_frames", d.maxContinuationFrames(), 1, 10_000);
        int control = m.integer("max_control_frames_queued", d.maxControlFramesQueued(), 1, 1_000_000);
        int empty = m.integer("max_empty_data_frames", d.maxEmptyDataFrames(), 1, 10_000);
        m.finish();
        return new Http2Config(streams, window, headerList, table, frame, resets, continuations, control, empty);
    }
}
