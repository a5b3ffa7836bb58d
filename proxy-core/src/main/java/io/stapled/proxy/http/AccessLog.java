package io.stapled.proxy.http;

/**
 * The access log of one frontend and backend: each finished request becomes one line in the
 * frontend's {@code access_log} layout, made on the event loop (bodies are never logged) and handed
 * to the frontend's {@link AccessLogWriter}, which writes it to the {@code stapled.access} logger on
 * its own thread.
 */
final class AccessLog implements HttpRequestObserver {
    static final String LOGGER_NAME = AccessLogWriter.LOGGER_NAME;

    private final AccessLogFormat format;
    private final AccessLogWriter writer;

    AccessLog(AccessLogFormat format, AccessLogWriter writer) {
        this.format = format;
        this.writer = writer;
    }

    @Override
    public void requestCompleted(CompletedRequest completed) {
        if (writer.enabled()) {
            writer.offer(format.line(completed));
        }
    }
}
