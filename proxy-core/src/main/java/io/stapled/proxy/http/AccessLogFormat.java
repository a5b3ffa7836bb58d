package io.stapled.proxy.http;

import io.stapled.config.AccessLogConfig;

/** Turns a finished request into one access log line, on the event loop that served it. */
interface AccessLogFormat {

    /** The line for {@code request}, without its line end. Reads the request during the call only. */
    String line(CompletedRequest request);

    /** The layout {@code config} asks for, for requests of {@code frontend} to {@code backend}. */
    static AccessLogFormat of(AccessLogConfig config, String frontend, String backend) {
        return switch (config.format()) {
            case CLASSIC -> new CombinedLogFormat(true, frontend, backend);
            case COMBINED -> new CombinedLogFormat(false, frontend, backend);
            case JSON -> new JsonLogFormat(frontend, backend);
            case TEMPLATE -> new TemplateLogFormat(config.template(), frontend, backend);
        };
    }
}
