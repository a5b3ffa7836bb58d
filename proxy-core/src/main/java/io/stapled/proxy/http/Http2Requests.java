package io.stapled.proxy.http;

import java.util.Iterator;
import java.util.Map;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;

/**
 * An HTTP/2 request head turned into the HTTP/1.1 request the backend gets, and a response head turned
 * back. A request that RFC 9113 section 8.1.1 calls malformed is refused here (null), before an
 * exchange exists, so nothing of it reaches a backend: the caller resets the stream with
 * PROTOCOL_ERROR. Netty's decoder has already refused some of it (connection-specific headers, pseudo
 * headers after regular ones); this checks everything again, because the HTTP/1.1 request we write
 * must never carry a byte that would frame or split it differently (request smuggling through the
 * downgrade).
 */
final class Http2Requests {
    private static final AsciiString METHOD = AsciiString.cached(":method");
    private static final AsciiString SCHEME = AsciiString.cached(":scheme");
    private static final AsciiString AUTHORITY = AsciiString.cached(":authority");
    private static final AsciiString PATH = AsciiString.cached(":path");
    private static final AsciiString TRAILERS = AsciiString.cached("trailers");

    private Http2Requests() {
    }

    /** The request for the backend (HTTP/1.1, {@code Host} from {@code :authority}), or null when malformed. */
    static HttpRequest toRequest(Http2Headers headers, boolean endStream) {
        CharSequence method = null;
        CharSequence scheme = null;
        CharSequence authority = null;
        CharSequence path = null;
        boolean regularSeen = false;
        for (Map.Entry<CharSequence, CharSequence> e : headers) {
            CharSequence name = e.getKey();
            CharSequence value = e.getValue();
            if (!validValue(value)) {
                return null;
            }
            if (name.length() > 0 && name.charAt(0) == ':') {
                if (regularSeen) {
                    return null; // pseudo-headers come first (RFC 9113 section 8.3)
                }
                AsciiString n = AsciiString.of(name);
                if (n.contentEquals(METHOD) && method == null) {
                    method = value;
                } else if (n.contentEquals(SCHEME) && scheme == null) {
                    scheme = value;
                } else if (n.contentEquals(AUTHORITY) && authority == null) {
                    authority = value;
                } else if (n.contentEquals(PATH) && path == null) {
                    path = value;
                } else {
                    return null; // unknown (or :protocol, no extended CONNECT), repeated, or a response one
                }
                continue;
            }
            regularSeen = true;
            if (!validName(name) || isConnectionSpecific(name, value)) {
                return null;
            }
        }
        if (method == null || method.length() == 0) {
            return null;
        }
        boolean connect = AsciiString.contentEquals(method, HttpMethod.CONNECT.asciiName());
        String uri;
        if (connect) {
            // Refused with 405 by the validator, as on HTTP/1.1; it has only :method and :authority.
            if (authority == null || scheme != null || path != null) {
                return null;
            }
            uri = authority.toString();
        } else {
            if (scheme == null || path == null || path.length() == 0) {
                return null;
            }
            if (!AsciiString.contentEqualsIgnoreCase(scheme, "https")
                    && !AsciiString.contentEqualsIgnoreCase(scheme, "http")) {
                return null;
            }
            uri = path.toString();
        }
        try {
            return toRequest(headers, endStream, method.toString(), uri, authority);
        } catch (IllegalArgumentException e) {
            // Netty's checks of the request line and fields: whitespace or a control byte in the path
            // or the method, a name or value HTTP/1.1 cannot carry.
            return null;
        }
    }

    private static HttpRequest toRequest(Http2Headers headers, boolean endStream, String method, String uri,
                                         CharSequence authority) {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method), uri);
        HttpHeaders out = request.headers();
        StringBuilder cookies = null;
        for (Map.Entry<CharSequence, CharSequence> e : headers) {
            CharSequence name = e.getKey();
            if (name.charAt(0) == ':') {
                continue;
            }
            if (AsciiString.contentEquals(name, HttpHeaderNames.COOKIE)) {
                // Split for HPACK's sake; one header again for HTTP/1.1 (RFC 9113 section 8.2.3).
                cookies = cookies == null ? new StringBuilder() : cookies.append("; ");
                cookies.append(e.getValue());
                continue;
            }
            // te (only "trailers" gets this far) stays for the exchange: it removes it as hop-by-hop
            // for an HTTP/1.1 server and sends it on to an HTTP/2 one (gRPC).
            out.add(name, e.getValue());
        }
        if (cookies != null) {
            out.set(HttpHeaderNames.COOKIE, cookies.toString());
        }
        if (authority != null) {
            String host = out.get(HttpHeaderNames.HOST);
            if (host != null && (out.getAll(HttpHeaderNames.HOST).size() > 1
                    || !AsciiString.contentEqualsIgnoreCase(host, authority))) {
                return null; // a Host for another entity than :authority (RFC 9113 section 8.3.1)
            }
            out.set(HttpHeaderNames.HOST, authority);
        }
        if (!endStream && !out.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            // HTTP/2 frames the body itself; the HTTP/1.1 hop needs chunks when no length was given.
            out.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        return request;
    }

    /** The end of a request body with its trailers, or null when they are malformed. */
    static LastHttpContent toTrailers(Http2Headers headers) {
        LastHttpContent last = new DefaultLastHttpContent();
        HttpHeaders out = last.trailingHeaders();
        for (Map.Entry<CharSequence, CharSequence> e : headers) {
            CharSequence name = e.getKey();
            if (name.length() == 0 || name.charAt(0) == ':' || !validName(name)
                    || isConnectionSpecific(name, e.getValue()) || !validValue(e.getValue())) {
                last.release();
                return null;
            }
            out.add(name, e.getValue());
        }
        return last;
    }

    /** A response head (hop-by-hop fields already removed by the exchange) as HTTP/2 headers. */
    static Http2Headers toHeaders(HttpResponse response) {
        Http2Headers out = new DefaultHttp2Headers(false, response.headers().size() + 1);
        out.status(response.status().codeAsText());
        copyFields(response.headers(), out);
        return out;
    }

    /** Trailers as an HTTP/2 header block. */
    static Http2Headers toHeaders(HttpHeaders trailers) {
        Http2Headers out = new DefaultHttp2Headers(false, trailers.size());
        copyFields(trailers, out);
        return out;
    }

    private static void copyFields(HttpHeaders in, Http2Headers out) {
        Iterator<Map.Entry<CharSequence, CharSequence>> it = in.iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            AsciiString name = AsciiString.of(e.getKey()).toLowerCase();
            // Connection-specific fields must not appear in HTTP/2 (RFC 9113 section 8.2.2); the
            // exchange has removed most, the framing ones are ours to drop.
            if (isConnectionSpecific(name, e.getValue()) || name.contentEquals(HttpHeaderNames.TE)) {
                continue;
            }
            out.add(name, e.getValue());
        }
    }

    private static boolean isConnectionSpecific(CharSequence name, CharSequence value) {
        if (AsciiString.contentEquals(name, HttpHeaderNames.TE)) {
            return !AsciiString.contentEqualsIgnoreCase(value, TRAILERS);
        }
        return AsciiString.contentEquals(name, HttpHeaderNames.CONNECTION)
                || AsciiString.contentEquals(name, HttpHeaderNames.TRANSFER_ENCODING)
                || AsciiString.contentEquals(name, HttpHeaderNames.KEEP_ALIVE)
                || AsciiString.contentEquals(name, HttpHeaderNames.UPGRADE)
                || AsciiString.contentEquals(name, HttpHeaderNames.PROXY_CONNECTION);
    }

    /** A lowercase token (RFC 9110 section 5.6.2); uppercase is malformed in HTTP/2. */
    private static boolean validName(CharSequence name) {
        if (name.length() == 0) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** No NUL, CR or LF anywhere, no whitespace at either end (RFC 9113 section 8.2.1). */
    static boolean validValue(CharSequence value) {
        int n = value.length();
        if (n > 0 && (isSpace(value.charAt(0)) || isSpace(value.charAt(n - 1)))) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (c == 0 || c == '\r' || c == '\n') {
                return false;
            }
        }
        return true;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t';
    }
}
