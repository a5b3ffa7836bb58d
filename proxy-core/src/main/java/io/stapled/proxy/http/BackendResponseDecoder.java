package io.stapled.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpStatusClass;

import io.stapled.proxy.backend.BackendServer;

/**
 * The response decoder of a backend connection, which knows where a response ends and whether the
 * server sent anything past that end. Bytes a response did not account for (a body on a HEAD, 204 or
 * 304 response, more than its {@code Content-Length}, anything after the final chunk) would be read
 * as the start of the next response on the connection, which may belong to another client; so a
 * connection is only pooled when nothing is left unread ({@link #leftover()}), and a pooled one is
 * closed on its first byte ({@link #park}).
 *
 * <p>Replaces Netty's {@code HttpClientCodec} decoder: we send one request at a time, so instead of a
 * queue of methods the exchange says whether the response to come answers a HEAD.
 */
final class BackendResponseDecoder extends HttpResponseDecoder {
    private final BackendConnectionPool pool;
    private boolean headRequest;
    /** What frames the final response decoded last, for the reason a leftover is reported with. */
    private boolean bodyless;
    private boolean chunked;
    /** Non-null while the connection is idle in the pool: the server it is parked for. */
    private BackendServer parkedFor;
    private boolean discarded;

    BackendResponseDecoder(HttpDecoderConfig config, BackendConnectionPool pool) {
        super(config);
        this.pool = pool;
    }

    /** A request is about to be sent: the response to come answers it (one to HEAD has no body). */
    void expectResponse(boolean head) {
        headRequest = head;
        parkedFor = null;
    }

    /**
     * At the end of a response: why the connection cannot be reused because the server sent bytes past
     * it (in the same read, so they wait in this decoder's buffer), or null when it sent none.
     */
    BackendServer.Discard leftover() {
        if (actualReadableBytes() == 0) {
            return null;
        }
        return bodyless ? BackendServer.Discard.BODY_ON_BODYLESS
                : chunked ? BackendServer.Discard.AFTER_LAST_CHUNK : BackendServer.Discard.OVER_CONTENT_LENGTH;
    }

    int leftoverBytes() {
        return actualReadableBytes();
    }

    /** The connection now waits idle in the pool: anything it reads is unsolicited. */
    void park(BackendServer server) {
        parkedFor = server;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        BackendServer parked = parkedFor;
        if (parked != null && msg instanceof ByteBuf buf) {
            // Not decoded: a partial response left in the buffer would become the head of the next
            // exchange's response, so the connection goes before any of it is parsed.
            int bytes = buf.readableBytes();
            buf.release();
            if (bytes > 0 && !discarded) {
                discarded = true; // the rest of this read, if any, goes the same way uncounted
                pool.discard(ctx.channel(), parked, BackendServer.Discard.WHILE_IDLE, bytes);
            }
            return;
        }
        super.channelRead(ctx, msg);
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage msg) {
        if (((HttpResponse) msg).status().codeClass() == HttpStatusClass.INFORMATIONAL) {
            return super.isContentAlwaysEmpty(msg); // a 1xx precedes the response to the request
        }
        bodyless = headRequest || super.isContentAlwaysEmpty(msg);
        // A name lookup, no value iterator: a coding other than chunked is refused with a 502 and
        // its connection closed, so a response that can still be pooled with Transfer-Encoding is chunked.
        chunked = !bodyless && msg.headers().contains(HttpHeaderNames.TRANSFER_ENCODING);
        return bodyless;
    }
}
