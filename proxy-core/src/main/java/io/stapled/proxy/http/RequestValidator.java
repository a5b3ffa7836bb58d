package io.stapled.proxy.http;

import java.util.List;

import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

/**
 * Decides whether a decoded request head may be forwarded. Anything that makes the end of the request
 * ambiguous is refused, because a backend that frames the body differently than we do is how requests
 * are smuggled: Netty already rejects Content-Length with Transfer-Encoding, differing or repeated
 * Content-Lengths, and a Transfer-Encoding whose last coding is not chunked; this adds the rest.
 */
final class RequestValidator {
    private RequestValidator() {
    }

    /** The status to refuse the request with, or null when it may be forwarded. */
    static HttpResponseStatus check(HttpRequest request) {
        DecoderResult result = request.decoderResult();
        if (result.isFailure()) {
            Throwable cause = result.cause();
            if (cause instanceof TooLongHttpLineException) {
                return HttpResponseStatus.REQUEST_URI_TOO_LONG;
            }
            if (cause instanceof TooLongHttpHeaderException) {
                return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
            }
            return HttpResponseStatus.BAD_REQUEST;
        }
        if (HttpMethod.CONNECT.equals(request.method())) {
            // A reverse proxy does not open tunnels to arbitrary hosts; forwarded, it would also leave
            // the backend connection's codec expecting raw bytes.
            return HttpResponseStatus.METHOD_NOT_ALLOWED;
        }
        HttpVersion version = request.protocolVersion();
        if (version.majorVersion() != 1 || version.minorVersion() > 1) {
            return HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED;
        }
        List<String> transferEncodings = request.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (!transferEncodings.isEmpty()) {
            // Only a bare "chunked": any other coding would be forwarded for the backend to undo, and
            // HTTP/1.0 has no chunked encoding at all.
            if (transferEncodings.size() != 1 || version == HttpVersion.HTTP_1_0
                    || !HttpHeaderValues.CHUNKED.contentEqualsIgnoreCase(transferEncodings.get(0).trim())) {
                return HttpResponseStatus.BAD_REQUEST;
            }
            if (request.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
                return HttpResponseStatus.BAD_REQUEST;
            }
        }
        List<String> lengths = request.headers().getAll(HttpHeaderNames.CONTENT_LENGTH);
        if (lengths.size() > 1) {
            return HttpResponseStatus.BAD_REQUEST;
        }
        if (version == HttpVersion.HTTP_1_1 && request.headers().getAll(HttpHeaderNames.HOST).size() != 1) {
            return HttpResponseStatus.BAD_REQUEST; // RFC 9112 section 3.2: exactly one Host
        }
        return null;
    }
}
