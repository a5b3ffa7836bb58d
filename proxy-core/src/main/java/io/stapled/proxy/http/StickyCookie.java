package io.stapled.proxy.http;

import java.util.ArrayList;
import java.util.List;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.stapled.config.BackendConfig.CookieConfig;
import io.stapled.config.BackendConfig.CookieMode;
import io.stapled.proxy.backend.BackendPool;
import io.stapled.proxy.backend.BackendServer;

/**
 * Cookie stickiness of one backend (HAProxy's {@code cookie NAME insert indirect | rewrite | prefix}):
 * reads the server a request's cookie names (stripping what the server must not see), and sets or
 * rewrites the cookie in the response. Stateless; one per backend, shared by every event loop.
 */
final class StickyCookie {
    /** Between the server's value and the application's in prefix mode, as HAProxy writes it. */
    private static final char PREFIX_SEPARATOR = '~';

    private final CookieConfig config;
    private final String namePrefix;

    StickyCookie(CookieConfig config) {
        this.config = config;
        this.namePrefix = config.name() + "=";
    }

    /**
     * The value of the request's cookie that names a server (the part before {@code ~} in prefix mode),
     * or null. In insert mode the cookie is removed from the request, in prefix mode its {@code VALUE~}
     * prefix, so the server sees only what it set itself.
     */
    String fromRequest(HttpHeaders headers) {
        List<String> values = headers.getAll(HttpHeaderNames.COOKIE);
        if (values.isEmpty()) {
            return null;
        }
        String found = null;
        List<String> rewritten = new ArrayList<>(values.size());
        boolean changed = false;
        for (String header : values) {
            StringBuilder kept = new StringBuilder(header.length());
            for (String pair : header.split(";")) {
                String p = pair.strip();
                if (!p.startsWith(namePrefix)) {
                    append(kept, p);
                    continue;
                }
                String value = p.substring(namePrefix.length());
                switch (config.mode()) {
                    case INSERT -> {
                        found = found == null ? value : found;
                        changed = true;
                    }
                    case REWRITE -> {
                        found = found == null ? value : found;
                        append(kept, p);
                    }
                    case PREFIX -> {
                        int sep = value.indexOf(PREFIX_SEPARATOR);
                        if (sep < 0) {
                            append(kept, p); // not ours: the application's own cookie
                        } else {
                            found = found == null ? value.substring(0, sep) : found;
                            append(kept, namePrefix + value.substring(sep + 1));
                            changed = true;
                        }
                    }
                }
            }
            if (!kept.isEmpty()) {
                rewritten.add(kept.toString());
            }
        }
        if (changed) {
            headers.remove(HttpHeaderNames.COOKIE);
            for (String v : rewritten) {
                headers.add(HttpHeaderNames.COOKIE, v);
            }
        }
        return found;
    }

    private static void append(StringBuilder sb, String pair) {
        if (pair.isEmpty()) {
            return;
        }
        if (!sb.isEmpty()) {
            sb.append("; ");
        }
        sb.append(pair);
    }

    /** The available server {@code value} names, or null (unknown, down, draining: balance as usual). */
    static BackendServer server(BackendPool pool, String value) {
        BackendServer s = value == null ? null : pool.serverByCookie(value);
        return s != null && s.isAvailable() ? s : null;
    }

    /**
     * Sets (insert) or rewrites (rewrite, prefix) the cookie in the response of {@code served};
     * {@code requestValue} is what the request's cookie said, so a client that already names the
     * server is not sent the cookie again (HAProxy's {@code indirect}).
     */
    void onResponse(HttpHeaders headers, BackendServer served, String requestValue) {
        switch (config.mode()) {
            case INSERT -> {
                // the server's own cookie of that name is removed: the proxy owns it (indirect)
                removeSetCookies(headers);
                if (!served.cookie().equals(requestValue)) {
                    headers.add(HttpHeaderNames.SET_COOKIE, inserted(served.cookie()));
                    if (config.noCache()) {
                        headers.set(HttpHeaderNames.CACHE_CONTROL, "private");
                    }
                }
            }
            case REWRITE, PREFIX -> rewriteSetCookies(headers, served.cookie());
        }
    }

    private String inserted(String value) {
        StringBuilder sb = new StringBuilder(namePrefix).append(value).append("; path=/");
        if (config.httpOnly()) {
            sb.append("; HttpOnly");
        }
        if (config.secure()) {
            sb.append("; Secure");
        }
        return sb.toString();
    }

    private void removeSetCookies(HttpHeaders headers) {
        List<String> all = headers.getAll(HttpHeaderNames.SET_COOKIE);
        if (all.stream().anyMatch(this::isOurs)) {
            headers.remove(HttpHeaderNames.SET_COOKIE);
            all.stream().filter(c -> !isOurs(c)).forEach(c -> headers.add(HttpHeaderNames.SET_COOKIE, c));
        }
    }

    private void rewriteSetCookies(HttpHeaders headers, String serverValue) {
        List<String> all = headers.getAll(HttpHeaderNames.SET_COOKIE);
        if (all.stream().noneMatch(this::isOurs)) {
            return;
        }
        headers.remove(HttpHeaderNames.SET_COOKIE);
        for (String c : all) {
            headers.add(HttpHeaderNames.SET_COOKIE, isOurs(c) ? rewrite(c.strip(), serverValue) : c);
        }
    }

    /** {@code NAME=v; attrs} to {@code NAME=VALUE; attrs} (rewrite) or {@code NAME=VALUE~v; attrs} (prefix). */
    private String rewrite(String setCookie, String serverValue) {
        int end = setCookie.indexOf(';');
        String value = setCookie.substring(namePrefix.length(), end < 0 ? setCookie.length() : end);
        String attributes = end < 0 ? "" : setCookie.substring(end);
        String replaced = config.mode() == CookieMode.PREFIX ? serverValue + PREFIX_SEPARATOR + value : serverValue;
        return namePrefix + replaced + attributes;
    }

    private boolean isOurs(String setCookie) {
        return setCookie.strip().startsWith(namePrefix);
    }
}
