package io.stapled.ocsp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/**
 * One blocking OCSP exchange over HTTP/1.1 with real bounds: connect timeout, a read timeout per read
 * and for the whole body, and a size cap. GET with the base64 URL form when the URL fits in 255 bytes
 * (RFC 5019 section 5), POST with {@code application/ocsp-request} otherwise. Runs on the engine's
 * fetch threads, never on a caller's.
 */
public final class OcspHttpClient {
    /** RFC 5019: GET when the whole encoded URL is at most this long. */
    public static final int MAX_GET_URL = 255;

    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final int maxResponseSize;
    private final boolean useGet;
    private final Proxy proxy;

    public OcspHttpClient(Duration connectTimeout, Duration readTimeout, int maxResponseSize, boolean useGet,
                          InetSocketAddress httpProxy) {
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
        this.maxResponseSize = maxResponseSize;
        this.useGet = useGet;
        this.proxy = httpProxy == null ? Proxy.NO_PROXY : new Proxy(Proxy.Type.HTTP, httpProxy);
    }

    public static OcspHttpClient of(OcspSettings s) {
        return new OcspHttpClient(s.connectTimeout(), s.readTimeout(), s.maxResponseSize(), s.useGet(), s.httpProxy());
    }

    /** The GET URL for this request: the responder URL, a slash, then the URL-encoded base64 DER. */
    public static String getUrl(URI responder, byte[] request) {
        String base = responder.toString();
        String encoded = URLEncoder.encode(Base64.getEncoder().encodeToString(request), StandardCharsets.US_ASCII);
        return (base.endsWith("/") ? base : base + "/") + encoded;
    }

    /** Whether {@link #exchange} will use GET for this request. */
    public boolean usesGet(URI responder, byte[] request) {
        return useGet && getUrl(responder, request).length() <= MAX_GET_URL;
    }

    /** Sends the request, returns the response body. */
    public byte[] exchange(URI responder, byte[] request) throws OcspFetchException {
        boolean get = usesGet(responder, request);
        long deadline = System.nanoTime() + readTimeout.toNanos() + connectTimeout.toNanos();
        HttpURLConnection c = null;
        try {
            URL url = get ? URI.create(getUrl(responder, request)).toURL() : responder.toURL();
            c = (HttpURLConnection) url.openConnection(proxy);
            c.setConnectTimeout(millis(connectTimeout));
            c.setReadTimeout(millis(readTimeout));
            c.setUseCaches(false);
            c.setInstanceFollowRedirects(false);
            c.setRequestProperty("Accept", "application/ocsp-response");
            if (get) {
                c.setRequestMethod("GET");
            } else {
                c.setRequestMethod("POST");
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "application/ocsp-request");
                c.setFixedLengthStreamingMode(request.length);
                try (OutputStream out = c.getOutputStream()) {
                    out.write(request);
                }
            }
            int code = c.getResponseCode();
            if (code != 200) {
                drain(c);
                throw new OcspFetchException(OcspFetchException.Kind.HTTP_STATUS,
                        "responder " + responder + " answered HTTP " + code, null);
            }
            long declared = c.getContentLengthLong();
            if (declared > maxResponseSize) {
                throw new OcspFetchException(OcspFetchException.Kind.TOO_LARGE, "responder " + responder
                        + " sent " + declared + " bytes, over the " + maxResponseSize + "-byte cap", null);
            }
            try (InputStream in = c.getInputStream()) {
                return readBounded(in, responder, deadline);
            }
        } catch (OcspFetchException e) {
            throw e;
        } catch (SocketTimeoutException e) {
            throw new OcspFetchException(OcspFetchException.Kind.TIMEOUT,
                    "responder " + responder + " timed out (" + e.getMessage() + ")", e);
        } catch (ConnectException e) {
            throw new OcspFetchException(OcspFetchException.Kind.CONNECT,
                    "cannot connect to responder " + responder + " (" + e.getMessage() + ")", e);
        } catch (IOException | IllegalArgumentException e) {
            throw new OcspFetchException(OcspFetchException.Kind.IO,
                    "exchange with responder " + responder + " failed (" + e + ")", e);
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }

    private byte[] readBounded(InputStream in, URI responder, long deadline) throws IOException, OcspFetchException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(maxResponseSize, 4096));
        byte[] buf = new byte[4096];
        int n;
        while ((n = in.read(buf)) != -1) {
            if (out.size() + n > maxResponseSize) {
                throw new OcspFetchException(OcspFetchException.Kind.TOO_LARGE, "response from " + responder
                        + " exceeds the " + maxResponseSize + "-byte cap", null);
            }
            out.write(buf, 0, n);
            // A responder trickling bytes must not hold a fetch thread past the overall bound.
            if (System.nanoTime() > deadline) {
                throw new OcspFetchException(OcspFetchException.Kind.TIMEOUT,
                        "responder " + responder + " too slow: body not complete within the read timeout", null);
            }
        }
        return out.toByteArray();
    }

    private static void drain(HttpURLConnection c) {
        try (InputStream err = c.getErrorStream()) {
            if (err != null) {
                err.readNBytes(8192);
            }
        } catch (IOException ignored) {
            // the status code is what we report
        }
    }

    private static int millis(Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, d.toMillis()));
    }
}
