package io.stapled.config;

import java.util.List;

/**
 * A frontend's {@code access_log}: which line, and how many lines may wait for the writer thread.
 *
 * @param format   the line's layout
 * @param template the compiled {@code template} words of {@link Format#TEMPLATE}, else empty
 * @param queue    lines waiting to be written at most; more are dropped and counted, never waited for
 */
public record AccessLogConfig(Format format, List<LogWord> template, int queue) {
    /** Default of {@code queue}. */
    public static final int DEFAULT_QUEUE = 8192;
    /** {@code access_log: true}: the line stapled has always written. */
    public static final AccessLogConfig CLASSIC = new AccessLogConfig(Format.CLASSIC, List.of(), DEFAULT_QUEUE);

    public AccessLogConfig {
        template = List.copyOf(template);
    }

    /** {@code access_log: true} or {@code false} (null: no access log). */
    public static AccessLogConfig of(boolean enabled) {
        return enabled ? CLASSIC : null;
    }

    public enum Format {
        /** {@code access_log: true}: combined, then frontend, backend/server, duration and extras. */
        CLASSIC,
        /** Apache's (and nginx's) combined log format, nothing after it. */
        COMBINED,
        /** One JSON object per line. */
        JSON,
        /** HAProxy log-format words ({@link LogWord}). */
        TEMPLATE
    }

    /** One piece of a {@code template}. */
    public sealed interface LogWord { }

    /** Text copied as written ({@code %%} is one {@code %}). */
    public record Literal(String text) implements LogWord { }

    /** A log-format variable such as {@code %ci}. */
    public record Variable(Kind kind) implements LogWord { }

    /** A sample fetch, {@code %[ssl_fc_sni]}: the same fetches as header templates. */
    public record Fetch(HeaderTemplate.Fetch fetch) implements LogWord { }

    /** The log-format variables stapled knows, by HAProxy's name. */
    public enum Kind {
        CLIENT_IP("ci", "client address"),
        CLIENT_PORT("cp", "client port"),
        FRONTEND("ft", "frontend name"),
        BACKEND("b", "backend name"),
        SERVER("s", "server name, <NOSRV> when none"),
        STATUS("ST", "status code, -1 when none was sent"),
        BYTES("B", "response body bytes sent"),
        UPLOADED("U", "request body bytes received"),
        TOTAL("Tt", "total time, ms"),
        CONNECT("Tc", "time to get a backend connection, ms, -1 without one"),
        RESPONSE("Tr", "backend connection to response head, ms, -1 without one"),
        DATE("t", "request date, dd/MMM/yyyy:HH:mm:ss.SSS (UTC)"),
        EPOCH("Ts", "request date, Unix seconds"),
        REQUEST_LINE("r", "request line, quoted by the template if wanted"),
        METHOD("HM", "method"),
        URI("HU", "request target with query"),
        PATH("HP", "path without query"),
        QUERY("HQ", "query with its ?, empty without one"),
        VERSION("HV", "protocol, HTTP/1.1 or HTTP/2.0"),
        REQUEST_ID("ID", "request_id, - without one"),
        TLS_VERSION("sslv", "TLS version"),
        TLS_CIPHER("sslc", "TLS cipher suite");

        private final String haproxyName;
        private final String meaning;

        Kind(String haproxyName, String meaning) {
            this.haproxyName = haproxyName;
            this.meaning = meaning;
        }

        public String haproxyName() {
            return haproxyName;
        }

        public String meaning() {
            return meaning;
        }

        /** Words that read the TLS connection: meaningless on a plain-HTTP frontend. */
        public boolean needsTls() {
            return this == TLS_VERSION || this == TLS_CIPHER;
        }
    }
}
