package io.stapled.proxy.http;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

import io.stapled.config.HttpConfig;
import io.stapled.config.HttpConfig.UnderscoreHeaders;

/**
 * Decides whether a decoded request head may be forwarded, and rewrites an admitted one into what the
 * backend gets. Anything that makes the end of the request ambiguous is refused, because a backend
 * that frames the body differently than we do is how requests are smuggled: Netty already rejects
 * Content-Length with Transfer-Encoding, differing or repeated Content-Lengths, and a Transfer-Encoding
 * whose last coding is not chunked; this adds the rest. So is anything that a backend could route or
 * parse differently than we do: a Host that is not one plain {@code host[:port]}, a target that is not
 * origin-form, {@code http(s)://} absolute-form or {@code OPTIONS *}, bytes in the target that RFC 3986
 * does not allow, and header names with {@code _} (which some backends fold into {@code -}). See
 * docs/HTTP-PROXY.md, "What is refused and why".
 */
final class RequestValidator {
    /**
     * Printable characters RFC 3986 does not allow anywhere in a URI, as HAProxy's parser lists them;
     * {@code accept_invalid_requests} lets them through (with bytes from 0x80 and a fragment).
     */
    private static final String DISALLOWED_IN_TARGET = "\"<>\\^`{|}";
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private final boolean acceptInvalid;
    private final UnderscoreHeaders underscores;

    RequestValidator(HttpConfig http) {
        this.acceptInvalid = http.acceptInvalidRequests();
        this.underscores = http.underscoreHeaders();
    }

    /**
     * The status to refuse the request with, or null when it may be forwarded; then the request has
     * been rewritten to what is forwarded: an absolute-form target becomes origin-form with Host set
     * to its authority, Content-Length loses leading zeros, underscore headers are dropped when that
     * is the policy, and (only when invalid targets are accepted) a target with bytes from 0x80 is
     * made fit for the encoder ({@link #forEncoder}).
     */
    HttpResponseStatus check(HttpRequest request) {
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
        HttpHeaders headers = request.headers();
        List<String> transferEncodings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (!transferEncodings.isEmpty()) {
            // Only a bare "chunked": any other coding would be forwarded for the backend to undo, and
            // HTTP/1.0 has no chunked encoding at all.
            if (transferEncodings.size() != 1 || version.minorVersion() == 0
                    || !HttpHeaderValues.CHUNKED.contentEqualsIgnoreCase(transferEncodings.get(0).trim())) {
                return HttpResponseStatus.BAD_REQUEST;
            }
            if (headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
                return HttpResponseStatus.BAD_REQUEST;
            }
        }
        List<String> lengths = headers.getAll(HttpHeaderNames.CONTENT_LENGTH);
        if (lengths.size() > 1 || lengths.size() == 1 && !isDigits(lengths.get(0))) {
            return HttpResponseStatus.BAD_REQUEST;
        }
        List<String> hosts = headers.getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1 || hosts.isEmpty() && version.minorVersion() == 1) {
            return HttpResponseStatus.BAD_REQUEST; // RFC 9112 section 3.2: exactly one Host (at most one on 1.0)
        }
        String host = hosts.isEmpty() ? null : hosts.get(0);
        // An empty Host is what RFC 9110 section 7.2 asks for when the target has no authority.
        if (host != null && !host.isEmpty() && !Authority.isValid(host)) {
            return HttpResponseStatus.BAD_REQUEST;
        }
        String uri = request.uri();
        if (!isValidTargetBytes(uri)) {
            return HttpResponseStatus.BAD_REQUEST;
        }
        AbsoluteTarget absolute = null;
        char first = uri.isEmpty() ? 0 : uri.charAt(0);
        if (first == '/') {
            if (uri.length() > 1 && uri.charAt(1) == '/') {
                return HttpResponseStatus.BAD_REQUEST; // "//host/x" reads as a network-path reference
            }
        } else if (first == '*') {
            if (uri.length() != 1 || !HttpMethod.OPTIONS.equals(request.method())) {
                return HttpResponseStatus.BAD_REQUEST; // asterisk-form is only for OPTIONS (RFC 9112 3.2.4)
            }
        } else {
            // Authority-form (CONNECT's, refused above), another scheme, or not a URI at all.
            absolute = AbsoluteTarget.parse(uri);
            if (absolute == null || absolute.rest().startsWith("//")) {
                return HttpResponseStatus.BAD_REQUEST;
            }
            // RFC 9112 section 3.2.2: the target's authority wins; one that disagrees with Host is
            // refused rather than ignored, as HAProxy does, so no two parties can route differently.
            if (host != null && !Authority.same(absolute.authority(), host, absolute.https())) {
                return HttpResponseStatus.BAD_REQUEST;
            }
        }
        if (underscores == UnderscoreHeaders.REJECT && hasUnderscoreName(headers)) {
            return HttpResponseStatus.BAD_REQUEST;
        }

        // Admitted: from here on, rewrite into what the backend gets.
        if (absolute != null) {
            request.setUri(absolute.originForm(request.method()));
            headers.set(HttpHeaderNames.HOST, absolute.authority());
        }
        if (acceptInvalid) {
            request.setUri(forEncoder(request.uri()));
        }
        if (lengths.size() == 1 && lengths.get(0).length() > 1 && lengths.get(0).charAt(0) == '0') {
            // "0005": a backend that reads it as octal, or refuses it, would frame the body differently.
            headers.set(HttpHeaderNames.CONTENT_LENGTH, stripLeadingZeros(lengths.get(0)));
        }
        if (underscores == UnderscoreHeaders.DROP) {
            dropUnderscoreNames(headers);
        }
        return null;
    }

    /**
     * The trailer section of a chunked request, before it is forwarded: header names with {@code _}
     * follow the same policy as in the head (a backend that merges trailers into the headers would
     * otherwise take {@code X_Forwarded_For} from them). The status to refuse with, or null.
     */
    HttpResponseStatus checkTrailers(HttpHeaders trailers) {
        if (trailers.isEmpty()) {
            return null;
        }
        if (underscores == UnderscoreHeaders.REJECT && hasUnderscoreName(trailers)) {
            return HttpResponseStatus.BAD_REQUEST;
        }
        if (underscores == UnderscoreHeaders.DROP) {
            dropUnderscoreNames(trailers);
        }
        return null;
    }

    /** Control bytes, SP and DEL never; the rest of RFC 3986's exclusions only when not relaxed. */
    private boolean isValidTargetBytes(String uri) {
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c <= ' ' || c == 0x7f) {
                return false;
            }
            if (!acceptInvalid && (c >= 0x80 || c == '#' || DISALLOWED_IN_TARGET.indexOf(c) >= 0)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Netty decodes the target one char per byte but its encoder writes the target as UTF-8, which
     * would turn each byte from 0x80 into two. A target that is valid UTF-8 is handed over decoded, so
     * the backend gets the client's bytes; any other byte from 0x80 is sent %-encoded.
     */
    static String forEncoder(String uri) {
        int i = 0;
        while (i < uri.length() && uri.charAt(i) < 0x80) {
            i++;
        }
        if (i == uri.length()) {
            return uri;
        }
        byte[] raw = uri.getBytes(StandardCharsets.ISO_8859_1);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            StringBuilder out = new StringBuilder(uri.length() + 16);
            for (byte b : raw) {
                if (b < 0) {
                    out.append('%').append(HEX[(b & 0xf0) >> 4]).append(HEX[b & 0x0f]);
                } else {
                    out.append((char) b);
                }
            }
            return out.toString();
        }
    }

    private static boolean isDigits(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static String stripLeadingZeros(String digits) {
        int i = 0;
        while (i < digits.length() - 1 && digits.charAt(i) == '0') {
            i++;
        }
        return digits.substring(i);
    }

    private static boolean hasUnderscoreName(HttpHeaders headers) {
        Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence();
        while (it.hasNext()) {
            if (containsUnderscore(it.next().getKey())) {
                return true;
            }
        }
        return false;
    }

    private static void dropUnderscoreNames(HttpHeaders headers) {
        List<CharSequence> names = null;
        Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence();
        while (it.hasNext()) {
            CharSequence name = it.next().getKey();
            if (containsUnderscore(name)) {
                if (names == null) {
                    names = new ArrayList<>(2);
                }
                names.add(name);
            }
        }
        if (names != null) {
            for (CharSequence name : names) {
                headers.remove(name);
            }
        }
    }

    private static boolean containsUnderscore(CharSequence name) {
        for (int i = 0; i < name.length(); i++) {
            if (name.charAt(i) == '_') {
                return true;
            }
        }
        return false;
    }

    /** An {@code http://} or {@code https://} target with a valid authority and no userinfo. */
    record AbsoluteTarget(boolean https, String authority, String rest) {
        static AbsoluteTarget parse(String uri) {
            boolean https;
            int start;
            if (uri.regionMatches(true, 0, "http://", 0, 7)) {
                https = false;
                start = 7;
            } else if (uri.regionMatches(true, 0, "https://", 0, 8)) {
                https = true;
                start = 8;
            } else {
                return null;
            }
            int end = start;
            while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
                end++;
            }
            String authority = uri.substring(start, end);
            // Authority.isValid refuses "user@host" and an empty authority with everything else.
            return Authority.isValid(authority) ? new AbsoluteTarget(https, authority, uri.substring(end)) : null;
        }

        /** Path and query for the backend; "*" for a server-wide OPTIONS (RFC 9112 section 3.2.4). */
        String originForm(HttpMethod method) {
            if (rest.isEmpty()) {
                return HttpMethod.OPTIONS.equals(method) ? "*" : "/";
            }
            return rest.charAt(0) == '/' ? rest : "/" + rest;
        }
    }
}
