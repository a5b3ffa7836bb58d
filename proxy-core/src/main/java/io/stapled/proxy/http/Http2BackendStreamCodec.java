package io.stapled.proxy.http;

import java.io.IOException;
import java.util.Iterator;
import java.util.Map;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;

/**
 * The codec of one HTTP/2 stream to a server: the exchange writes and reads the same HTTP/1.1
 * messages as on an HTTP/1.1 backend connection, and this turns them into frames and back. So the
 * exchange needs no second backend model: the stream channel is its backend "connection", its
 * writability follows the stream's flow-control window, turning its reads off holds the window
 * shut, and closing it early resets the stream ({@code RST_STREAM(CANCEL)}, Netty's).
 *
 * <p>Out: the request head becomes a HEADERS frame ({@code Host} as {@code :authority}, no
 * connection-specific fields, {@code te: trailers} kept), body parts DATA frames, the end
 * END_STREAM on the last DATA, or a HEADERS frame of trailers. A request whose HTTP/1.1 framing says
 * it has no body (neither chunked nor a {@code Content-Length} above 0) is one HEADERS frame with
 * END_STREAM.
 *
 * <p>In: the response HEADERS become a response head (a response that ends on them, a
 * {@link io.netty.handler.codec.http.FullHttpResponse}), DATA frames content, END_STREAM its end, and
 * a trailing HEADERS frame the {@link LastHttpContent}'s trailers. A response that is not valid
 * HTTP (no or a bad {@code :status}, a 101, DATA before HEADERS, a CR or LF in a value) comes as a
 * message whose decoder result failed, which the exchange answers with a 502 or an abort, as an invalid
 * HTTP/1.1 response.
 */
final class Http2BackendStreamCodec extends ChannelDuplexHandler {
    private static final AsciiString HTTP = AsciiString.cached("http");
    private static final AsciiString HTTPS = AsciiString.cached("https");
    private static final AsciiString TRAILERS = AsciiString.cached("trailers");

    /** The request ended on its HEADERS frame: the empty end the exchange writes next is not sent. */
    private boolean requestEnded;
    private boolean finalHeadRead;

    // ---------------------------------------------------------------- request: messages to frames

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpRequest request) {
            // HTTP/1.1 framing says whether a body follows (RFC 9112 section 6.3): without one the
            // request is one HEADERS frame with END_STREAM, as an HTTP/2 client sends a GET.
            requestEnded = !HttpUtil.isTransferEncodingChunked(request) && HttpUtil.getContentLength(request, 0L) == 0;
            ctx.write(new DefaultHttp2HeadersFrame(requestHeaders(request, scheme(ctx)), requestEnded), promise);
            return;
        }
        if (!(msg instanceof HttpContent content)) {
            ctx.write(msg, promise);
            return;
        }
        if (requestEnded) {
            content.release();
            promise.trySuccess();
            return;
        }
        boolean readable = content.content().isReadable();
        if (!(content instanceof LastHttpContent last)) {
            if (readable) {
                ctx.write(new DefaultHttp2DataFrame(content.content(), false), promise);
            } else {
                content.release();
                promise.trySuccess();
            }
            return;
        }
        requestEnded = true;
        HttpHeaders trailers = last.trailingHeaders();
        if (trailers.isEmpty()) {
            ctx.write(new DefaultHttp2DataFrame(last.content(), true), promise);
            return;
        }
        if (readable) {
            ctx.write(new DefaultHttp2DataFrame(last.content().retain(), false));
        }
        Http2Headers out = new DefaultHttp2Headers(false, trailers.size());
        copyFields(trailers, out);
        last.release();
        ctx.write(new DefaultHttp2HeadersFrame(out, true), promise);
    }

    /** {@code https} when the connection runs over TLS (an {@code SslHandler} in its pipeline). */
    private static AsciiString scheme(ChannelHandlerContext ctx) {
        io.netty.channel.Channel connection = ctx.channel().parent();
        return connection != null && connection.pipeline().get(SslHandler.class) != null ? HTTPS : HTTP;
    }

    /**
     * The request head as HTTP/2 fields. The exchange has checked and rewritten it: its target is
     * origin-form (or {@code *}), its Host the one authority, hop-by-hop fields gone except the framing
     * ones, which HTTP/2 does not have.
     */
    static Http2Headers requestHeaders(HttpRequest request, AsciiString scheme) {
        HttpHeaders in = request.headers();
        Http2Headers out = new DefaultHttp2Headers(false, in.size() + 4);
        out.method(request.method().asciiName());
        out.scheme(scheme);
        String host = in.get(HttpHeaderNames.HOST);
        if (host != null) {
            out.authority(host);
        }
        out.path(request.uri());
        copyFields(in, out);
        return out;
    }

    private static void copyFields(HttpHeaders in, Http2Headers out) {
        Iterator<Map.Entry<CharSequence, CharSequence>> it = in.iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            AsciiString name = AsciiString.of(e.getKey()).toLowerCase();
            if (name.contentEquals(HttpHeaderNames.HOST) || isConnectionSpecific(name, e.getValue())) {
                continue;
            }
            out.add(name, e.getValue());
        }
    }

    /** RFC 9113 section 8.2.2: fields that must not appear in HTTP/2; {@code te} only as {@code trailers}. */
    private static boolean isConnectionSpecific(AsciiString name, CharSequence value) {
        if (name.contentEquals(HttpHeaderNames.TE)) {
            return !AsciiString.contentEqualsIgnoreCase(value, TRAILERS);
        }
        return name.contentEquals(HttpHeaderNames.CONNECTION)
                || name.contentEquals(HttpHeaderNames.TRANSFER_ENCODING)
                || name.contentEquals(HttpHeaderNames.KEEP_ALIVE)
                || name.contentEquals(HttpHeaderNames.UPGRADE)
                || name.contentEquals(HttpHeaderNames.PROXY_CONNECTION);
    }

    // ---------------------------------------------------------------- response: frames to messages

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2HeadersFrame frame) {
            Object decoded = fromHeaders(frame);
            ctx.fireChannelRead(decoded);
            if (decoded instanceof HttpResponse head && head.status().codeClass() == HttpStatusClass.INFORMATIONAL
                    && head.decoderResult().isSuccess()) {
                // An interim response and its end, as the HTTP/1.1 decoder gives them.
                ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
            }
            return;
        }
        if (msg instanceof Http2DataFrame data) {
            if (!finalHeadRead) {
                data.release();
                ctx.fireChannelRead(invalidHead("DATA before the response HEADERS"));
            } else if (data.isEndStream()) {
                ctx.fireChannelRead(new DefaultLastHttpContent(data.content()));
            } else if (data.content().isReadable()) {
                ctx.fireChannelRead(new DefaultHttpContent(data.content()));
            } else {
                data.release();
            }
            return;
        }
        ReferenceCountUtil.release(msg);
    }

    private Object fromHeaders(Http2HeadersFrame frame) {
        Http2Headers headers = frame.headers();
        if (finalHeadRead) {
            if (!frame.isEndStream()) {
                return invalidContent("HEADERS in the middle of the response body");
            }
            LastHttpContent trailers = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
            if (!copyFields(headers, trailers.trailingHeaders(), false)) {
                trailers.release();
                return invalidContent("invalid response trailers");
            }
            return trailers;
        }
        HttpResponseStatus status = status(headers.status());
        if (status == null) {
            return invalidHead("no valid :status");
        }
        HttpHeaders fields = new DefaultHttpHeaders();
        if (!copyFields(headers, fields, true)) {
            return invalidHead("invalid response header");
        }
        int code = status.code();
        if (code < 200) {
            if (code == 101 || frame.isEndStream()) {
                return invalidHead("an HTTP/2 response with status " + code);
            }
            return new DefaultHttpResponse(HttpVersion.HTTP_1_1, status, fields);
        }
        finalHeadRead = true;
        if (frame.isEndStream()) {
            return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER, fields,
                    new DefaultHttpHeaders());
        }
        return new DefaultHttpResponse(HttpVersion.HTTP_1_1, status, fields);
    }

    /**
     * Regular fields into {@code out}; false on a pseudo-header other than a head's {@code :status}, or
     * a value that would split an HTTP/1.1 client's response (Netty has checked the names).
     */
    private static boolean copyFields(Http2Headers in, HttpHeaders out, boolean head) {
        for (Map.Entry<CharSequence, CharSequence> e : in) {
            CharSequence name = e.getKey();
            if (name.length() > 0 && name.charAt(0) == ':') {
                if (head && AsciiString.contentEquals(name, Http2Headers.PseudoHeaderName.STATUS.value())) {
                    continue;
                }
                return false;
            }
            if (!Http2Requests.validValue(e.getValue())) {
                return false;
            }
            out.add(name, e.getValue());
        }
        return true;
    }

    private static HttpResponseStatus status(CharSequence status) {
        if (status == null || status.length() != 3) {
            return null;
        }
        int code = 0;
        for (int i = 0; i < 3; i++) {
            char c = status.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
            code = code * 10 + (c - '0');
        }
        return code < 100 ? null : HttpResponseStatus.valueOf(code);
    }

    private static HttpResponse invalidHead(String why) {
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_GATEWAY);
        r.setDecoderResult(DecoderResult.failure(new IOException("invalid HTTP/2 response: " + why)));
        return r;
    }

    private static LastHttpContent invalidContent(String why) {
        LastHttpContent c = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
        c.setDecoderResult(DecoderResult.failure(new IOException("invalid HTTP/2 response: " + why)));
        return c;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Http2ResetFrame reset) {
            // The stream is closed after this: the exchange gets a 502 or an abort, as on a closed connection.
            ctx.fireExceptionCaught(new IOException("stream reset by the server (error code "
                    + reset.errorCode() + ")"));
            return;
        }
        if (evt instanceof Http2GoAwayFrame goAway) {
            // This stream is above the GOAWAY's last stream id: the server never saw it, and it closes next.
            goAway.release();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }
}
