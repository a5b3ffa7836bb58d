package io.stapled.proxy.headers;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.net.ssl.SSLSession;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AsciiString;

import io.stapled.config.HeaderRule;
import io.stapled.config.HeaderRules;
import io.stapled.config.HeaderTemplate;
import io.stapled.proxy.proxyprotocol.ClientAddress;
import io.stapled.tls.ClientCertificate;
import io.stapled.tls.TlsAttributes;
import io.stapled.tls.TlsSelection;

/**
 * Applies compiled header rules to a request or a response head: in order, each set / add / delete
 * seeing what the ones before it did. Immutable, shared by every event loop. A rule whose value is
 * constant costs a header write and nothing else; a template concatenates its parts.
 */
public final class HeaderRewriter {
    private static final HeaderRewriter NONE = new HeaderRewriter(List.of());

    private final Op[] ops;

    private HeaderRewriter(List<HeaderRule> rules) {
        this.ops = rules.stream().map(HeaderRewriter::op).toArray(Op[]::new);
    }

    public static HeaderRewriter of(List<HeaderRule> rules) {
        return rules.isEmpty() ? NONE : new HeaderRewriter(rules);
    }

    public static HeaderRewriter request(HeaderRules rules) {
        return of(rules.request());
    }

    public static HeaderRewriter response(HeaderRules rules) {
        return of(rules.response());
    }

    public boolean isEmpty() {
        return ops.length == 0;
    }

    /** Rewrites {@code headers} (the request's own, or a response's) for {@code request}. */
    public void apply(HttpHeaders headers, HeaderRequest request) {
        for (Op op : ops) {
            op.apply(headers, request);
        }
    }

    private interface Op {
        void apply(HttpHeaders headers, HeaderRequest request);
    }

    private static Op op(HeaderRule rule) {
        if (rule instanceof HeaderRule.Set s) {
            AsciiString name = AsciiString.cached(s.name());
            String constant = s.value().constant();
            if (constant != null) {
                return (h, r) -> h.set(name, constant);
            }
            List<HeaderTemplate.Part> parts = s.value().parts();
            return (h, r) -> h.set(name, evaluate(parts, r));
        }
        if (rule instanceof HeaderRule.Add a) {
            AsciiString name = AsciiString.cached(a.name());
            String constant = a.value().constant();
            if (constant != null) {
                return (h, r) -> h.add(name, constant);
            }
            List<HeaderTemplate.Part> parts = a.value().parts();
            return (h, r) -> h.add(name, evaluate(parts, r));
        }
        if (rule instanceof HeaderRule.Delete d) {
            AsciiString name = AsciiString.cached(d.name());
            return (h, r) -> h.remove(name);
        }
        HeaderRule.DeleteRegex d = (HeaderRule.DeleteRegex) rule;
        return (h, r) -> {
            List<String> matched = null;
            for (Map.Entry<String, String> e : h) {
                if (d.names().matcher(e.getKey()).find() && !isFraming(e.getKey())) {
                    if (matched == null) {
                        matched = new ArrayList<>(2);
                    }
                    matched.add(e.getKey());
                }
            }
            if (matched != null) {
                for (String name : matched) {
                    h.remove(name);
                }
            }
        };
    }

    /** A regex may name these by accident ({@code ^content-}); they frame the message, so they stay. */
    private static boolean isFraming(String name) {
        return name.equalsIgnoreCase("content-length") || name.equalsIgnoreCase("transfer-encoding")
                || name.equalsIgnoreCase("connection") || name.equalsIgnoreCase("upgrade");
    }

    static String evaluate(List<HeaderTemplate.Part> parts, HeaderRequest request) {
        StringBuilder out = new StringBuilder(64);
        for (HeaderTemplate.Part part : parts) {
            if (part instanceof HeaderTemplate.Literal l) {
                out.append(l.text());
            } else {
                appendSafe(out, fetch((HeaderTemplate.Fetch) part, request));
            }
        }
        return out.toString();
    }

    /**
     * A fetched value goes into a header: a control character in it (a certificate subject can hold
     * one) would split the header or be refused by the codec, so it is left out.
     */
    private static void appendSafe(StringBuilder out, String value) {
        if (value == null) {
            return;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c >= 0x20 && c != 0x7f) || c == '\t') {
                out.append(c);
            }
        }
    }

    private static SSLSession session(HeaderRequest request) {
        SslHandler ssl = request.connection().pipeline().get(SslHandler.class);
        return ssl == null ? null : ssl.engine().getSession();
    }

    /**
     * What HAProxy's fetch of the same name gives; null when there is nothing (no TLS, no certificate).
     * The access log's {@code %[fetch]} reads it too, so both speak of a request alike.
     */
    public static String fetch(HeaderTemplate.Fetch fetch, HeaderRequest request) {
        switch (fetch.fetch()) {
            case SRC -> {
                InetSocketAddress src = ClientAddress.source(request.connection());
                return src == null ? null : src.getAddress().getHostAddress();
            }
            case SRC_PORT -> {
                InetSocketAddress src = ClientAddress.source(request.connection());
                return src == null ? null : Integer.toString(src.getPort());
            }
            case SSL_FC_SNI -> {
                TlsSelection selection = request.connection().attr(TlsAttributes.SELECTION).get();
                return selection == null ? null : selection.serverName();
            }
            case SSL_FC_PROTOCOL -> {
                SSLSession session = session(request);
                return session == null ? null : session.getProtocol();
            }
            case SSL_FC_CIPHER -> {
                SSLSession session = session(request);
                return session == null ? null : session.getCipherSuite();
            }
            case REQ_HDR -> {
                // HAProxy's req.hdr(name) without an occurrence is the last one.
                List<String> all = request.requestHeaders().getAll(fetch.arg());
                return all.isEmpty() ? null : all.get(all.size() - 1);
            }
            case UNIQUE_ID -> {
                return request.uniqueId();
            }
            default -> {
                ClientCertificate cert = request.connection().attr(TlsAttributes.CLIENT_CERTIFICATE).get();
                if (cert == null) {
                    return null;
                }
                return switch (fetch.fetch()) {
                    case SSL_C_S_DN -> cert.subject();
                    case SSL_C_SERIAL -> cert.serial();
                    case SSL_C_SHA256 -> cert.sha256();
                    // HAProxy gives the verify result code: 0 for a certificate that verified.
                    case SSL_C_VERIFY -> cert.verified() ? "0" : "1";
                    default -> throw new IllegalStateException(fetch.fetch().name());
                };
            }
        }
    }
}
