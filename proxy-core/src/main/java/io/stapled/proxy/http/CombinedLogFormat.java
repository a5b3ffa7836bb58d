package io.stapled.proxy.http;

import java.time.Instant;
import java.util.concurrent.TimeUnit;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;

import io.stapled.tls.ClientCertificate;

/**
 * The combined log format ({@code format: combined}, as nginx writes it: the byte count is a number,
 * 0 included) and, with {@code classic}, the line of {@code access_log: true}: the same followed by
 * frontend, backend/server and duration, then the request id on frontends with {@code request_id},
 * and on a connection with a client certificate its subject, serial and whether it verified.
 */
final class CombinedLogFormat implements AccessLogFormat {
    private final boolean classic;
    private final String frontend;
    private final String backend;

    CombinedLogFormat(boolean classic, String frontend, String backend) {
        this.classic = classic;
        this.frontend = frontend;
        this.backend = backend;
    }

    @Override
    public String line(CompletedRequest completed) {
        HttpRequest request = completed.request();
        int status = completed.status();
        StringBuilder line = new StringBuilder(160);
        line.append(completed.clientIp()).append(" - - [")
                .append(LogText.COMBINED_TIME.format(Instant.ofEpochMilli(completed.startMillis()))).append("] \"");
        if (request != null) {
            line.append(request.method().name()).append(' ').append(LogText.sanitize(completed.requestUri()))
                    .append(' ').append(completed.protocol());
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
        LogText.quoted(line, request == null ? null : request.headers().get(HttpHeaderNames.REFERER));
        line.append(' ');
        LogText.quoted(line, request == null ? null : request.headers().get(HttpHeaderNames.USER_AGENT));
        if (classic) {
            appendClassic(line, completed);
        }
        return line.toString();
    }

    private void appendClassic(StringBuilder line, CompletedRequest completed) {
        String server = completed.serverName();
        line.append(' ').append(frontend).append(' ').append(backend).append('/')
                .append(server == null ? "<NOSRV>" : server).append(' ')
                .append(TimeUnit.NANOSECONDS.toMillis(completed.durationNanos())).append("ms");
        String requestId = completed.requestId();
        if (requestId != null) {
            // Only on frontends with request_id, so other lines keep their layout.
            line.append(" request_id=");
            LogText.quoted(line, requestId);
        }
        ClientCertificate cert = completed.clientCertificate();
        if (cert != null) {
            // Only on connections with a client certificate, so other lines keep their layout.
            line.append(" client_cert=");
            LogText.quoted(line, cert.subject());
            line.append(" serial=").append(cert.serial()).append(" verified=").append(cert.verified());
        }
    }
}
