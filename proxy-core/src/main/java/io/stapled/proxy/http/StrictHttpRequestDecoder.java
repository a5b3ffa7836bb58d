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
 * Netty's request decoder plus checks on the raw bytes of each request head that Netty is lenient
 * about. Netty unfolds a header line that starts with a space or tab into the previous value; RFC 9112
 * section 5.2 allows that, but a proxy that silently unfolds sees a different header set than a backend
 * that doesn't, so we mark such a request failed (400) instead. Netty also skips spaces and control
 * bytes before the request line, splits it at any run of SP, HTAB, VT, FF or CR, takes a lowercase
 * method and upper-cases the version ({@code http/1.1} becomes a new HTTP/1.1 object that is not
 * {@code HttpVersion.HTTP_1_1}); RFC 9112 sections 2.2 and 3 let a server refuse all of that, and a
 * backend that splits the line differently would see another request, so the request line must be
 * exactly {@code METHOD SP target SP HTTP/d.d CRLF} with an upper-case method, and a CR anywhere in the
 * head must be followed by LF. The raw header bytes are scanned before Netty consumes them.
 */
final class StrictHttpRequestDecoder extends HttpRequestDecoder {
    /** The decoder result cause of a request that used obsolete line folding. */
    static final class ObsoleteLineFoldingException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        ObsoleteLineFoldingException() {
            super("obsolete line folding in request headers");
        }
    }

    /** The decoder result cause of a request line (or a line ending) that Netty accepted but we do not. */
    static final class InvalidRequestLineException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        InvalidRequestLineException(String message) {
            super(message);
        }
    }

    private final HeadScanner scanner = new HeadScanner();
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
            if (msg instanceof HttpRequest request && scanner.problem() != null
                    && request.decoderResult().isSuccess()) {
                request.setDecoderResult(DecoderResult.failure(scanner.foldSeen()
                        ? new ObsoleteLineFoldingException() : new InvalidRequestLineException(scanner.problem())));
            }
            if (msg instanceof LastHttpContent) {
                // The next byte begins a new message; scan it from its start.
                scanner.reset();
                scannedAhead = 0;
            }
        }
    }

    /**
     * Walks one request head byte by byte, across reads, and remembers the first problem: a folded
     * header line, a request line that is not exactly {@code METHOD SP target SP HTTP/d.d CRLF}, or a
     * CR not followed by LF. Bytes inside the target are left to {@link RequestValidator}, except the
     * ones Netty would take as a separator.
     */
    static final class HeadScanner {
        private static final int START = 0;
        private static final int START_CR = 1;
        private static final int METHOD = 2;
        private static final int TARGET_START = 3;
        private static final int TARGET = 4;
        private static final int VERSION = 5;
        private static final int VERSION_CR = 6;
        private static final int LINE_START = 7;
        private static final int IN_LINE = 8;
        private static final int LINE_CR = 9;
        private static final int BLANK_LINE_CR = 10;
        private static final int DONE = 11;
        private static final String VERSION_PREFIX = "HTTP/";

        private int state = START;
        private int versionIndex;
        private boolean foldSeen;
        private String problem;

        void reset() {
            state = START;
            foldSeen = false;
            problem = null;
        }

        boolean foldSeen() {
            return foldSeen;
        }

        /** What is wrong with the head scanned so far, or null. */
        String problem() {
            return problem;
        }

        private void fail(String why) {
            problem = why;
            state = DONE;
        }

        void scan(ByteBuf buf, int from, int to) {
            for (int i = from; i < to && state != DONE; i++) {
                byte b = buf.getByte(i);
                switch (state) {
                    case START -> {
                        // Empty lines before a request are skipped (RFC 9112 section 2.2), nothing else.
                        if (b == '\r') {
                            state = START_CR;
                        } else if (b == ' ' || b == '\t') {
                            fail("whitespace before the request line");
                        } else if (b < 0x20 && b != '\n' || b == 0x7f) {
                            fail("control byte before the request line");
                        } else if (b != '\n') {
                            state = METHOD;
                            method(b);
                        }
                    }
                    case START_CR -> {
                        if (b == '\n') {
                            state = START;
                        } else {
                            fail("CR without LF before the request line");
                        }
                    }
                    case METHOD -> method(b);
                    case TARGET_START -> {
                        if (b == ' ') {
                            fail("more than one space in the request line");
                        } else {
                            state = TARGET;
                            target(b);
                        }
                    }
                    case TARGET -> target(b);
                    case VERSION -> version(b);
                    case VERSION_CR -> {
                        if (b == '\n') {
                            state = LINE_START;
                        } else {
                            fail("CR without LF in the request line");
                        }
                    }
                    case IN_LINE -> {
                        if (b == '\n') {
                            state = LINE_START;
                        } else if (b == '\r') {
                            state = LINE_CR;
                        }
                    }
                    case LINE_CR -> {
                        if (b == '\n') {
                            state = LINE_START;
                        } else {
                            fail("CR without LF in a header line");
                        }
                    }
                    case LINE_START -> {
                        if (b == ' ' || b == '\t') {
                            foldSeen = true;
                            fail("obsolete line folding");
                        } else if (b == '\r') {
                            state = BLANK_LINE_CR;
                        } else if (b == '\n') {
                            state = DONE;
                        } else {
                            state = IN_LINE;
                        }
                    }
                    case BLANK_LINE_CR -> {
                        if (b == '\n') {
                            state = DONE;
                        } else {
                            fail("CR without LF at the end of the headers");
                        }
                    }
                    default -> {
                    }
                }
            }
        }

        private void method(byte b) {
            if (b == ' ') {
                state = TARGET_START;
            } else if (b >= 'a' && b <= 'z') {
                // Methods are case-sensitive (RFC 9110 section 9.1): "get" is not GET to every backend.
                fail("lowercase letter in the method");
            } else if (b <= ' ' || b == 0x7f) {
                fail("invalid separator or control byte after the method");
            }
        }

        private void target(byte b) {
            if (b == ' ') {
                state = VERSION;
                versionIndex = 0;
            } else if (b == '\t' || b == 0x0b || b == 0x0c || b == '\r' || b == '\n') {
                // Netty would split the line here; a backend might not.
                fail("invalid separator in the request line, or no HTTP version");
            }
        }

        private void version(byte b) {
            int at = versionIndex++;
            boolean ok;
            if (at < VERSION_PREFIX.length()) {
                ok = b == VERSION_PREFIX.charAt(at); // case-sensitive (RFC 9112 section 2.3)
            } else if (at == 5 || at == 7) {
                ok = b >= '0' && b <= '9';
            } else if (at == 6) {
                ok = b == '.';
            } else {
                ok = b == '\r';
                if (ok) {
                    state = VERSION_CR;
                }
            }
            if (!ok) {
                fail("the request line does not end in HTTP/<digit>.<digit> CRLF");
            }
        }
    }
}
