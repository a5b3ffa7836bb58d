package io.stapled.proxy.http;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpRequest;

import io.stapled.config.AccessLogConfig;
import io.stapled.proxy.headers.HeaderRequest;
import io.stapled.proxy.headers.HeaderRewriter;
import io.stapled.proxy.route.ConnectionFacts;

/**
 * {@code format: template}: HAProxy's log-format words, compiled by the config binder. A value that is
 * not known is {@code -} (times {@code -1}, as HAProxy's); text values are made
 * {@link LogText#sanitize safe} for one line.
 */
final class TemplateLogFormat implements AccessLogFormat {
    /** HAProxy's {@code %t}. */
    private static final DateTimeFormatter DATE =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss.SSS", Locale.ROOT).withZone(ZoneOffset.UTC);

    private final AccessLogConfig.LogWord[] words;
    private final String frontend;
    private final String backend;

    TemplateLogFormat(List<AccessLogConfig.LogWord> words, String frontend, String backend) {
        this.words = words.toArray(AccessLogConfig.LogWord[]::new);
        this.frontend = frontend;
        this.backend = backend;
    }

    @Override
    public String line(CompletedRequest c) {
        StringBuilder line = new StringBuilder(160);
        for (AccessLogConfig.LogWord word : words) {
            if (word instanceof AccessLogConfig.Literal l) {
                line.append(l.text());
            } else if (word instanceof AccessLogConfig.Variable v) {
                variable(line, v.kind(), c);
            } else {
                HeaderRequest source = c.fetchSource();
                text(line, source == null ? null
                        : HeaderRewriter.fetch(((AccessLogConfig.Fetch) word).fetch(), source));
            }
        }
        return line.toString();
    }

    private void variable(StringBuilder line, AccessLogConfig.Kind kind, CompletedRequest c) {
        HttpRequest request = c.request();
        Channel connection = c.connection();
        switch (kind) {
            case CLIENT_IP -> line.append(c.clientIp());
            case CLIENT_PORT -> {
                InetSocketAddress a = c.clientAddress();
                line.append(a == null ? "-" : Integer.toString(a.getPort()));
            }
            case FRONTEND -> line.append(frontend);
            case BACKEND -> line.append(backend);
            case SERVER -> line.append(c.serverName() == null ? "<NOSRV>" : c.serverName());
            case STATUS -> line.append(c.status() > 0 ? c.status() : -1);
            case BYTES -> line.append(c.responseBytes());
            case UPLOADED -> line.append(c.requestBytes());
            case TOTAL -> millis(line, c.durationNanos());
            case CONNECT -> millis(line, c.connectNanos());
            case RESPONSE -> {
                long connect = c.connectNanos();
                long head = c.responseHeadNanos();
                millis(line, connect < 0 || head < 0 ? -1 : head - connect);
            }
            case DATE -> line.append(DATE.format(Instant.ofEpochMilli(c.startMillis())));
            case EPOCH -> line.append(c.startMillis() / 1000);
            case REQUEST_LINE -> {
                if (request == null) {
                    line.append("<BADREQ>");
                } else {
                    line.append(request.method().name()).append(' ').append(LogText.sanitize(c.requestUri()))
                            .append(' ').append(c.protocol());
                }
            }
            case METHOD -> text(line, request == null ? null : request.method().name());
            case URI -> text(line, request == null ? null : c.requestUri());
            case PATH -> text(line, request == null ? null : LogText.path(c.requestUri()));
            case QUERY -> line.append(request == null ? "" : LogText.sanitize(LogText.query(c.requestUri())));
            case VERSION -> text(line, request == null ? null : c.protocol());
            case REQUEST_ID -> text(line, c.requestId());
            case TLS_VERSION -> text(line, connection == null ? null : ConnectionFacts.tlsVersion(connection));
            case TLS_CIPHER -> text(line, connection == null ? null : ConnectionFacts.tlsCipher(connection));
        }
    }

    private static void text(StringBuilder line, String value) {
        line.append(value == null || value.isEmpty() ? "-" : LogText.sanitize(value));
    }

    private static void millis(StringBuilder line, long nanos) {
        line.append(nanos < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(nanos));
    }
}
