package io.stapled.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.compression.BrotliEncoder;
import io.netty.handler.codec.compression.ZlibCodecFactory;
import io.netty.handler.codec.compression.ZlibWrapper;
import io.netty.handler.codec.compression.ZstdEncoder;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;

import io.stapled.config.CompressionConfig.Algorithm;

/**
 * The encoder of one response body: each part the backend sends is coded and flushed at once (gzip's
 * sync flush, a zstd frame, a brotli flush), so a streamed response stays streamed and back-pressure
 * stays the exchange's. Netty's encoders run in an {@link EmbeddedChannel} on the client channel's
 * config (its allocator), as Netty's own {@code HttpContentCompressor} runs them. Not thread-safe:
 * the client's event loop only; {@link #close()} frees the coder's native memory and anything unread.
 */
final class CompressedBody {
    /** zlib's levels run 1-9; 4 keeps most of 6's ratio at about half its CPU, for a proxy on the hot path. */
    private static final int GZIP_LEVEL = 4;
    /** zstd's own default. */
    private static final int ZSTD_LEVEL = 3;

    private final EmbeddedChannel coder;
    private long bytesIn;
    private long bytesOut;

    CompressedBody(Algorithm algorithm, Channel client) {
        this.coder = new EmbeddedChannel(client.id(), false, client.config(), encoder(algorithm));
    }

    private static ChannelHandler encoder(Algorithm algorithm) {
        return switch (algorithm) {
            case GZIP -> ZlibCodecFactory.newZlibEncoder(ZlibWrapper.GZIP, GZIP_LEVEL);
            case ZSTD -> new ZstdEncoder(ZSTD_LEVEL);
            case BR -> new BrotliEncoder(); // quality 4, Netty's default for the same reason
        };
    }

    /**
     * Codes {@code content} (whose ownership passes here). Returns what to send: null when the coder
     * produced nothing yet and {@code content} was not the last part; the last part always returns a
     * {@link LastHttpContent} with the end of the coded stream and the backend's trailers.
     */
    HttpContent encode(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        try {
            ByteBuf data = content.content();
            if (data.isReadable()) {
                bytesIn += data.readableBytes();
                coder.writeOutbound(data.retain());
            }
            if (last) {
                coder.finish();
            }
        } finally {
            content.release();
        }
        ByteBuf out = drain();
        if (last) {
            LastHttpContent end = new DefaultLastHttpContent(out == null ? Unpooled.EMPTY_BUFFER : out);
            end.trailingHeaders().set(((LastHttpContent) content).trailingHeaders());
            return end;
        }
        return out == null ? null : new DefaultHttpContent(out);
    }

    private ByteBuf drain() {
        ByteBuf first = coder.readOutbound();
        if (first == null) {
            return null;
        }
        ByteBuf next = coder.readOutbound();
        if (next == null) {
            bytesOut += first.readableBytes();
            return first;
        }
        CompositeByteBuf all = coder.alloc().compositeBuffer().addComponents(true, first, next);
        for (ByteBuf b = coder.readOutbound(); b != null; b = coder.readOutbound()) {
            all.addComponent(true, b);
        }
        bytesOut += all.readableBytes();
        return all;
    }

    /** Body bytes the backend sent. */
    long bytesIn() {
        return bytesIn;
    }

    /** Coded bytes produced. */
    long bytesOut() {
        return bytesOut;
    }

    /** Frees the coder (after the last part, or when the exchange ends early). Idempotent. */
    void close() {
        coder.finishAndReleaseAll();
    }
}
