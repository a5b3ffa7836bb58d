package io.stapled.proxy.http;

import java.net.InetSocketAddress;
import java.time.Instant;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;

import io.stapled.proxy.route.ConnectionFacts;
import io.stapled.text.Json;

/**
 * {@code format: json}: one JSON object per line, the same fields in the same order on every line, a
 * value that is not known being {@code null}. {@code path} has no query string: queries carry tokens
 * and passwords, and JSON lines usually travel to a shared log store (a template with {@code %HU} logs
 * them when wanted). Durations are milliseconds with microsecond decimals.
 */
final class JsonLogFormat implements AccessLogFormat {
    private final String frontend;
    private final String backend;

    JsonLogFormat(String frontend, String backend) {
        this.frontend = Json.quote(frontend);
        this.backend = Json.quote(backend);
    }

    @Override
    public String line(CompletedRequest c) {
        HttpRequest request = c.request();
        InetSocketAddress client = c.clientAddress();
        Channel connection = c.connection();
        StringBuilder line = new StringBuilder(512);
        line.append("{\"time\":\"").append(Instant.ofEpochMilli(c.startMillis())).append('"');
        line.append(",\"client_ip\":").append(Json.quote(c.clientIp()));
        line.append(",\"client_port\":").append(client == null ? "null" : Integer.toString(client.getPort()));
        line.append(",\"frontend\":").append(frontend);
        line.append(",\"backend\":").append(backend);
        line.append(",\"server\":").append(Json.quote(c.serverName()));
        line.append(",\"method\":").append(Json.quote(request == null ? null : request.method().name()));
        line.append(",\"path\":").append(Json.quote(request == null ? null : LogText.path(c.requestUri())));
        line.append(",\"protocol\":").append(Json.quote(request == null ? null : c.protocol()));
        line.append(",\"status\":").append(c.status() > 0 ? Integer.toString(c.status()) : "null");
        line.append(",\"bytes\":").append(c.responseBytes());
        line.append(",\"request_bytes\":").append(c.requestBytes());
        millis(line.append(",\"duration_ms\":"), c.durationNanos());
        millis(line.append(",\"connect_ms\":"), c.connectNanos());
        millis(line.append(",\"ttfb_ms\":"), c.responseHeadNanos());
        line.append(",\"tls_version\":").append(Json.quote(connection == null ? null : ConnectionFacts.tlsVersion(connection)));
        line.append(",\"tls_cipher\":").append(Json.quote(connection == null ? null : ConnectionFacts.tlsCipher(connection)));
        line.append(",\"sni\":").append(Json.quote(connection == null ? null : ConnectionFacts.sni(connection)));
        line.append(",\"request_id\":").append(Json.quote(c.requestId()));
        line.append(",\"user_agent\":").append(Json.quote(header(request, HttpHeaderNames.USER_AGENT)));
        line.append(",\"referer\":").append(Json.quote(header(request, HttpHeaderNames.REFERER)));
        return line.append('}').toString();
    }

    private static String header(HttpRequest request, CharSequence name) {
        return request == null ? null : request.headers().get(name);
    }

    /** Nanoseconds as milliseconds with three decimals; null when negative (not measured). */
    private static void millis(StringBuilder line, long nanos) {
        if (nanos < 0) {
            line.append("null");
            return;
        }
        long micros = nanos / 1000;
        long frac = micros % 1000;
        line.append(micros / 1000).append('.');
        if (frac < 100) {
            line.append(frac < 10 ? "00" : "0");
        }
        line.append(frac);
    }
}
