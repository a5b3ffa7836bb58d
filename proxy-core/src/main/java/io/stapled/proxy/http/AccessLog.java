package io.stapled.proxy.http;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;

/**
 * One line per request on the {@code stapled.access} logger, in the combined log format followed by
 * frontend, backend/server and duration, then, on a connection with a client certificate, its subject,
 * serial and whether it verified. Bodies are never logged. Configure the logger with an
 * asynchronous appender: this is called on the event loop.
 */
final class AccessLog implements HttpRequestObserver {
    static final String LOGGER_NAME = "stapled.access";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER_NAME);
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);

    private final boolean enabled;
    private final String frontend;
    private final String backend;

    AccessLog(boolean enabled, String frontend, String backend) {
        this.enabled = enabled;
        this.frontend = frontend;
        this.backend = backend;
    }

    boolean enabled() {
        return enabled && LOG.isInfoEnabled();
    }

    @Override
    public void requestCompleted(CompletedRequest completed) {
        if (!enabled()) {
            return;
        }
        HttpRequest request = completed.request();
        int status = completed.status();
        String server = completed.serverName();
        StringBuilder line = new StringBuilder(160);
        line.append(completed.clientIp()).append(" - - [")
                .append(TIME.format(Instant.ofEpochMilli(completed.startMillis()))).append("] \"");
        if (request != null) {
            line.append(request.method().name()).append(' ').append(sanitize(completed.requestUri())).append(' ')
                    .append(completed.protocol());
        } else {
            line.append("<BADREQ>");
        }
        line.append("\" ");
        if (status > 0) {
            line.append(status);
        } else {
            line.append('-'); // the client went away before any response
        }
        line.append(' ').append(completed.responseBytes()).append(' ');
        quoted(line, request == null ? null : request.headers().get(HttpHeaderNames.REFERER));
        line.append(' ');
        quoted(line, request == null ? null : request.headers().get(HttpHeaderNames.USER_AGENT));
        line.append(' ').append(frontend).append(' ').append(backend).append('/')
                .append(server == null ? "<NOSRV>" : server).append(' ')
                .append(TimeUnit.NANOSECONDS.toMillis(completed.durationNanos())).append("ms");
        String requestId = completed.requestId();
        if (requestId != null) {
            // Only on frontends with request_id, so other lines keep their layout.
            line.append(" request_id=");
            quoted(line, requestId);
        }
        io.stapled.tls.ClientCertificate cert = completed.clientCertificate();
        if (cert != null) {
            // Only on connections with a client certificate, so other lines keep their layout.
            line.append(" client_cert=");
            quoted(line, cert.subject());
            line.append(" serial=").append(cert.serial()).append(" verified=").append(cert.verified());
        }
        LOG.info(line.toString());
    }

    private static void quoted(StringBuilder line, String value) {
        if (value == null) {
            line.append("\"-\"");
        } else {
            line.append('"').append(sanitize(value)).append('"');
        }
    }

    // A request line or header must not be able to forge another log line or break the quoting.
    private static String sanitize(String value) {
        StringBuilder out = null;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == '"' || c == '\\' || c >= 0x7f) {
                if (out == null) {
                    out = new StringBuilder(value.length() + 8).append(value, 0, i);
                }
                out.append(String.format("\\x%02x", (int) c & 0xff));
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? value : out.toString();
    }
}
