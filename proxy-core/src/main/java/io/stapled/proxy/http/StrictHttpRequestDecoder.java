package io.stapled.proxy.http;

import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * Netty's request decoder plus a rejection of obsolete line folding. Netty unfolds a header line that
 * starts with a space or tab into the previous value; RFC 9112 section 5.2 allows that, but a proxy
 * that silently unfolds sees a different header set than a backend that doesn't, so we mark such a
 * request failed (400) instead. The raw header bytes are scanned before Netty consumes them.
 */
final class StrictHttpRequestDecoder extends HttpRequestDecoder {
    /** The decoder result cause of a request that used obsolete line folding. */
    static final class ObsoleteLineFoldingException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        ObsoleteLineFoldingException() {
            super("obsolete line folding in request headers");
        }
    }

    private final HeaderFoldScanner scanner = new HeaderFoldScanner();
    /** Readable bytes at the start of the input that the scanner has already seen. */
    private int scannedAhead;

    StrictHttpRequestDecoder(HttpDecoderConfig config) {
        super(config);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        int start = in.readerIndex() + scannedAhead;
        if (start < in.writerIndex()) {
            scanner.scan(in, start, in.writerIndex());
        }
        int before = out.size();
        super.decode(ctx, in, out);
        scannedAhead = in.readableBytes();
        for (int i = before; i < out.size(); i++) {
            Object msg = out.get(i);
            if (msg instanceof HttpRequest request && scanner.foldSeen()
                    && request.decoderResult().isSuccess()) {
                request.setDecoderResult(DecoderResult.failure(new ObsoleteLineFoldingException()));
            }
            if (msg instanceof LastHttpContent) {
                // The next byte begins a new message; scan it from its start.
                scanner.reset();
                scannedAhead = 0;
            }
        }
    }

    /** Finds a header line beginning with SP or HTAB in one request head. */
    static final class HeaderFoldScanner {
        private static final int START = 0;
        private static final int REQUEST_LINE = 1;
        private static final int LINE_START = 2;
        private static final int IN_LINE = 3;
        private static final int BLANK_LINE_CR = 4;
        private static final int DONE = 5;

        private int state = START;
        private boolean foldSeen;

        void reset() {
            state = START;
            foldSeen = false;
        }

        boolean foldSeen() {
            return foldSeen;
        }

        void scan(ByteBuf buf, int from, int to) {
            for (int i = from; i < to && state != DONE; i++) {
                byte b = buf.getByte(i);
                switch (state) {
                    case START -> {
                        if (b != '\r' && b != '\n' && b != ' ' && b != '\t') {
                            state = b == '\n' ? LINE_START : REQUEST_LINE;
                        }
                    }
                    case REQUEST_LINE, IN_LINE -> {
                        if (b == '\n') {
                            state = LINE_START;
                        }
                    }
                    case LINE_START -> {
                        if (b == ' ' || b == '\t') {
                            foldSeen = true;
                            state = DONE;
                        } else if (b == '\r') {
                            state = BLANK_LINE_CR;
                        } else if (b == '\n') {
                            state = DONE;
                        } else {
                            state = IN_LINE;
                        }
                    }
                    case BLANK_LINE_CR -> state = b == '\n' ? DONE : IN_LINE;
                    default -> {
                    }
                }
            }
        }
    }
}
