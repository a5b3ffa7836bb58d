package io.stapled.admin;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

/**
 * Cuts the runtime API byte stream into {@link CliRequest}s with HAProxy's rules: a line ends with LF
 * (a CR before it is dropped); unescaped {@code ;} separate commands on a line; a line whose last word
 * is {@code <<} or {@code <<PATTERN} (at most 64 characters) is followed by a payload that ends with an
 * empty line, or with a line equal to PATTERN. The payload goes to the line's last command.
 *
 * <p>A line longer than {@code maxLine} bytes, a payload longer than {@code maxPayload} bytes, or a
 * payload still open when the client stops sending produce a {@link CliProtocolError}; everything
 * after it is discarded.
 */
final class CliRequestDecoder extends ByteToMessageDecoder {
    static final int MAX_PATTERN = 64;

    /** Told when a payload starts or continues, so a prompt-mode connection can show {@code + }. */
    interface PayloadListener {
        void awaitingPayload(ChannelHandlerContext ctx);
    }

    private final int maxLine;
    private final int maxPayload;
    private final PayloadListener payloadListener;

    private final ByteArrayOutputStream current = new ByteArrayOutputStream();
    private final List<String> lineCommands = new ArrayList<>();
    private int lineBytes;
    private boolean escaped;

    private String payloadPattern;
    private final ByteArrayOutputStream payloadLine = new ByteArrayOutputStream();
    private final ByteArrayOutputStream payload = new ByteArrayOutputStream();
    private int payloadLines;
    private boolean failed;

    CliRequestDecoder(int maxLine, int maxPayload, PayloadListener payloadListener) {
        this.maxLine = maxLine;
        this.maxPayload = maxPayload;
        this.payloadListener = payloadListener;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.isReadable()) {
            if (failed) {
                in.skipBytes(in.readableBytes());
                return;
            }
            byte b = in.readByte();
            if (payloadPattern != null) {
                payloadByte(ctx, b, out);
            } else {
                commandByte(ctx, b, out);
            }
        }
    }

    private void commandByte(ChannelHandlerContext ctx, byte b, List<Object> out) {
        if (++lineBytes > maxLine) {
            fail(out, "The command line is too big for the buffer size. Please send at most "
                    + maxLine + " bytes per line.");
            return;
        }
        if (escaped) {
            current.write(b);
            escaped = false;
        } else if (b == '\\') {
            current.write(b);
            escaped = true;
        } else if (b == ';') {
            lineCommands.add(take(current));
        } else if (b == '\n') {
            endOfLine(ctx, out);
        } else {
            current.write(b);
        }
    }

    private void endOfLine(ChannelHandlerContext ctx, List<Object> out) {
        String last = take(current);
        if (last.endsWith("\r")) {
            last = last.substring(0, last.length() - 1);
        }
        lineBytes = 0;
        int start = Math.max(last.lastIndexOf(' '), last.lastIndexOf('\t')) + 1;
        String lastWord = last.substring(start);
        if (lastWord.startsWith("<<") && lastWord.length() - 2 <= MAX_PATTERN) {
            payloadPattern = lastWord.substring(2);
            lineCommands.add(last.substring(0, start));
            payload.reset();
            payloadLines = 0;
            payloadListener.awaitingPayload(ctx);
            return;
        }
        lineCommands.add(last);
        emitLine(out, null);
    }

    private void payloadByte(ChannelHandlerContext ctx, byte b, List<Object> out) {
        if (payload.size() + payloadLine.size() + 1 > maxPayload) {
            fail(out, "The payload is too big. Please change 'runtime_api.max_payload' (" + maxPayload
                    + " bytes) in the configuration to use a bigger payload.");
            return;
        }
        if (b != '\n') {
            payloadLine.write(b);
            return;
        }
        String line = take(payloadLine);
        String compared = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
        if (compared.equals(payloadPattern)) {
            String text = payload.toString(StandardCharsets.UTF_8);
            payloadPattern = null;
            payload.reset();
            emitLine(out, text);
            return;
        }
        if (payloadLines++ > 0) {
            payload.write('\n');
        }
        payload.writeBytes(line.getBytes(StandardCharsets.UTF_8));
        payloadListener.awaitingPayload(ctx);
    }

    private void emitLine(List<Object> out, String payloadText) {
        for (int i = 0; i < lineCommands.size(); i++) {
            boolean last = i == lineCommands.size() - 1;
            out.add(new CliRequest(lineCommands.get(i), last ? payloadText : null, last));
        }
        lineCommands.clear();
    }

    private void fail(List<Object> out, String message) {
        failed = true;
        lineCommands.clear();
        current.reset();
        payload.reset();
        payloadLine.reset();
        out.add(new CliProtocolError(message));
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        decode(ctx, in, out);
        if (failed) {
            return;
        }
        if (payloadPattern == null && (current.size() > 0 || !lineCommands.isEmpty())) {
            // A last line without its LF (printf "show info" | socat ...): run it rather than drop it.
            endOfLine(ctx, out);
        }
        if (payloadPattern != null) {
            String end = payloadPattern.isEmpty() ? "an empty line" : "a line '" + payloadPattern + "'";
            fail(out, "The payload was not terminated: it must end with " + end + ". Nothing was changed.");
        }
    }

    private static String take(ByteArrayOutputStream buf) {
        String s = buf.toString(StandardCharsets.UTF_8);
        buf.reset();
        return s;
    }
}
