package io.stapled.proxy.http;

import java.nio.charset.StandardCharsets;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/** The small responses the proxy makes itself, HAProxy style: a status line and one sentence. */
final class ErrorResponses {
    private ErrorResponses() {
    }

    static FullHttpResponse create(ByteBufAllocator alloc, HttpResponseStatus status, boolean close) {
        byte[] text = (status.code() + " " + status.reasonPhrase() + "\n" + explanation(status.code()) + "\n")
                .getBytes(StandardCharsets.US_ASCII);
        ByteBuf body = alloc.buffer(text.length).writeBytes(text);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=us-ascii")
                .set(HttpHeaderNames.CONTENT_LENGTH, text.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }

    private static String explanation(int code) {
        return switch (code) {
            case 400 -> "Your browser sent an invalid request.";
            case 408 -> "Your browser didn't send a complete request in time.";
            case 405 -> "This method is not allowed here.";
            case 414 -> "The request line is too long.";
            case 431 -> "The request header fields are too large.";
            case 501 -> "The request uses a transfer coding this server does not implement.";
            case 502 -> "The server returned an invalid or incomplete response.";
            case 503 -> "No server is available to handle this request.";
            case 504 -> "The server didn't respond in time.";
            case 505 -> "The HTTP version is not supported.";
            default -> "The request could not be handled.";
        };
    }
}
