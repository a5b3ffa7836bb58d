package io.stapled.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;

/** The head scanner against Netty's real decoder, including heads split across reads. */
class StrictHttpRequestDecoderTest {

    private static List<HttpRequest> decode(String... parts) {
        EmbeddedChannel ch = new EmbeddedChannel(new StrictHttpRequestDecoder(new HttpDecoderConfig()));
        for (String p : parts) {
            ch.writeInbound(Unpooled.copiedBuffer(p, StandardCharsets.ISO_8859_1));
        }
        List<HttpRequest> requests = new ArrayList<>();
        Object o;
        while ((o = ch.readInbound()) != null) {
            if (o instanceof HttpRequest r) {
                requests.add(r);
            }
            ReferenceCountUtil.release(o);
        }
        ch.finishAndReleaseAll();
        return requests;
    }

    @Test
    void foldedHeaderFailsTheRequest() {
        List<HttpRequest> r = decode("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n");
        assertEquals(1, r.size());
        assertInstanceOf(StrictHttpRequestDecoder.ObsoleteLineFoldingException.class, r.get(0).decoderResult().cause());
    }

    @Test
    void foldSplitAcrossReadsIsFound() {
        List<HttpRequest> r = decode("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r", "\n", "\tb\r\n\r\n");
        assertTrue(r.get(0).decoderResult().isFailure());
    }

    @Test
    void spacesInsideValuesSplitAcrossReadsAreNotFolds() {
        List<HttpRequest> r = decode("GET / HTTP/1.1\r\nHost: x\r\nX-A: a", " b c\r\n", "X-B: d\r\n\r\n");
        assertTrue(r.get(0).decoderResult().isSuccess());
        assertEquals("a b c", r.get(0).headers().get("x-a"));
    }

    @Test
    void bodyBytesAndPipelinedRequestsAreScannedCorrectly() {
        // The body starts with "\r\n " which would look like a fold if the scanner did not stop at the
        // end of the head; the second request is scanned from its own start.
        List<HttpRequest> r = decode("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n\r\n x",
                "GET /2 HTTP/1.1\r\nHost: x\r\nX-B: y\r\n", " folded\r\n\r\n");
        assertEquals(2, r.size());
        assertTrue(r.get(0).decoderResult().isSuccess());
        assertTrue(r.get(1).decoderResult().isFailure(), "the second request's fold was missed");
    }

    @Test
    void pipelinedRequestInTheSameReadAsABodyIsScanned() {
        List<HttpRequest> r = decode("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                + "GET /2 HTTP/1.1\r\nHost: x\r\nX-B: y\r\n folded\r\n\r\n"
                + "GET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
        assertEquals(3, r.size());
        assertTrue(r.get(0).decoderResult().isSuccess());
        assertTrue(r.get(1).decoderResult().isFailure(), "fold in a pipelined request was missed");
    }

    private static String[] bytewise(String s) {
        String[] parts = new String[s.length()];
        for (int i = 0; i < s.length(); i++) {
            parts[i] = s.substring(i, i + 1);
        }
        return parts;
    }

    @Test
    void validHeadFedOneByteAtATimePasses() {
        List<HttpRequest> r = decode(bytewise("\r\nOPTIONS * HTTP/1.1\r\nHost: [::1]:443\r\nX-A: a b\r\n\r\n"
                + "GET /2?q HTTP/1.0\r\n\r\n"));
        assertEquals(2, r.size());
        assertTrue(r.get(0).decoderResult().isSuccess(), String.valueOf(r.get(0).decoderResult()));
        assertTrue(r.get(1).decoderResult().isSuccess(), String.valueOf(r.get(1).decoderResult()));
    }

    @Test
    void requestLineProblemsAreFoundAcrossReads() {
        for (String head : List.of("get / HTTP/1.1\r\nHost: x\r\n\r\n", "GET / http/1.1\r\nHost: x\r\n\r\n",
                " GET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET /\rHTTP/1.1\r\nHost: x\r\n\r\n",
                "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n")) {
            List<HttpRequest> r = decode(bytewise(head));
            assertEquals(1, r.size(), head);
            assertTrue(r.get(0).decoderResult().isFailure(), "accepted: " + head.replace("\r", "\\r"));
        }
        List<HttpRequest> r = decode("get / HTTP/1.1\r\nHost: x\r\n\r\n");
        assertInstanceOf(StrictHttpRequestDecoder.InvalidRequestLineException.class, r.get(0).decoderResult().cause());
    }

    @Test
    void pipelinedRequestWithABadRequestLineFailsAlone() {
        List<HttpRequest> r = decode("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                + "get /2 HTTP/1.1\r\nHost: x\r\n\r\n");
        assertEquals(2, r.size());
        assertTrue(r.get(0).decoderResult().isSuccess());
        assertInstanceOf(StrictHttpRequestDecoder.InvalidRequestLineException.class, r.get(1).decoderResult().cause());
    }
}
