package io.stapled.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * How a backend's final response head is framed towards an HTTP/1.x client: the backend always speaks
 * HTTP/1.1 to us, the client may speak 1.0 (no chunks, no keep-alive by default), and a response
 * whose end is its connection's close cannot leave either connection reusable.
 */
final class ResponseFraming {
    private ResponseFraming() {
    }

    /** A response to HEAD, a 204 or a 304 has no body, whatever its headers say (RFC 9112 section 6.3). */
    static boolean isBodyless(int status, boolean headRequest) {
        return headRequest || status == 204 || status == 304;
    }

    /**
     * Anything but {@code chunked} alone. The first value is enough: the decoder has already refused
     * {@code chunked} twice or not last, so a first value {@code chunked} has no coding after it.
     */
    static boolean hasTransferCodingOtherThanChunked(HttpResponse response) {
        String te = response.headers().get(HttpHeaderNames.TRANSFER_ENCODING);
        return te != null && !HttpHeaderValues.CHUNKED.contentEqualsIgnoreCase(te);
    }

    /** Whether the response's end can be told without the connection closing. */
    static boolean isDelimited(HttpResponse response, boolean bodyless) {
        return bodyless || HttpUtil.isTransferEncodingChunked(response)
                || response.headers().contains(HttpHeaderNames.CONTENT_LENGTH);
    }

    /**
     * Rewrites the framing headers of {@code response} (hop-by-hop headers already stripped) for the
     * client and returns whether the client connection stays open after it.
     *
     * @param keepAlive whether the client wants, and we allow, another request on the connection
     */
    static boolean frameForClient(HttpResponse response, boolean bodyless, boolean http10Client, boolean keepAlive) {
        if (!bodyless) {
            boolean chunked = HttpUtil.isTransferEncodingChunked(response);
            if (http10Client && chunked) {
                response.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
                keepAlive = false; // HTTP/1.0 has no chunks: the body ends when we close
            } else if (!chunked && !response.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
                if (http10Client) {
                    keepAlive = false;
                } else {
                    HttpUtil.setTransferEncodingChunked(response, true);
                }
            }
        }
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (http10Client) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        return keepAlive;
    }
}
