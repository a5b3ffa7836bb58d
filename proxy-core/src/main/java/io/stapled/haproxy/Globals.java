package io.stapled.haproxy;

import java.util.ArrayList;
import java.util.List;

/** What the {@code global} section sets that frontends and backends take as their defaults. */
final class Globals {
    /** {@code ssl-default-bind-ciphers}, {@code -ciphersuites} and {@code -options}, as bind options. */
    final List<String> bindTlsOptions = new ArrayList<>();
    HaproxyLine bindTlsLine;
    /** {@code crt-base}, to tell a {@code crt} directory from a file. */
    String crtBase;
    /** {@code ca-base}: HAProxy prefixes relative {@code ca-file} and {@code crl-file} with it. */
    String caBase;
    /** {@code tune.ssl.cachesize} / {@code tune.ssl.lifetime}. */
    Integer sessionCacheSize;
    String sessionTimeout;
    /** {@code tune.h2.*} as {@code http2} keys. */
    final YamlTree.Map http2 = new YamlTree.Map();

    /** {@code path} as HAProxy reads a {@code ca-file} or {@code crl-file}: relative ones under {@code ca-base}. */
    String caPath(String path) {
        if (caBase == null || path.startsWith("/")) {
            return path;
        }
        return caBase.endsWith("/") ? caBase + path : caBase + "/" + path;
    }
}
