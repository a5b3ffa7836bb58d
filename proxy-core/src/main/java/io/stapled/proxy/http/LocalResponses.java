package io.stapled.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import io.stapled.config.RouteAction;

/**
 * The answers a route gives without a backend, as HAProxy's {@code http-request redirect} and
 * {@code http-request return} give them: the same headers (a redirect has {@code content-length: 0}
 * and {@code location}, with {@code cache-control: no-cache} unless it is permanent), the same
 * Location rules (the Host is kept as sent, port included).
 */
final class LocalResponses {
    private LocalResponses() {
    }

    /** Null when a scheme redirect has no Host to send the client to. */
    static FullHttpResponse redirect(RouteAction.Redirect redirect, HttpRequest request, boolean close) {
        String location = location(redirect, request);
        if (location == null) {
            return null;
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(redirect.code()), Unpooled.EMPTY_BUFFER);
        response.headers()
                .set(HttpHeaderNames.CONTENT_LENGTH, 0)
                .set(HttpHeaderNames.LOCATION, location);
        if (redirect.code() != 301 && redirect.code() != 308) {
            // A permanent redirect is meant to be cached; the others are decisions of the moment.
            response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        }
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }

    static String location(RouteAction.Redirect redirect, HttpRequest request) {
        String uri = request.uri();
        if (redirect.dropQuery()) {
            int q = uri.indexOf('?');
            if (q >= 0) {
                uri = uri.substring(0, q);
            }
        }
        return switch (redirect.kind()) {
            case LOCATION -> redirect.target();
            // HAProxy's special case: the prefix "/" keeps the path as it is instead of doubling the slash.
            case PREFIX -> "/".equals(redirect.target()) ? uri : redirect.target() + uri;
            case SCHEME -> {
                String host = request.headers().get(HttpHeaderNames.HOST);
                yield host == null || host.isEmpty() ? null : redirect.target() + "://" + host + uri;
            }
        };
    }

    static FullHttpResponse answer(ByteBufAllocator alloc, RouteAction.Return answer, byte[] body, boolean close) {
        ByteBuf content = body.length == 0 ? Unpooled.EMPTY_BUFFER : alloc.buffer(body.length).writeBytes(body);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(answer.status()), content);
        if (answer.status() != 204 && answer.status() != 304) {
            response.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
        }
        if (answer.contentType() != null) {
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, answer.contentType());
        }
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }
}
