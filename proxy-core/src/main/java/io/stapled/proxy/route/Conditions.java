package io.stapled.proxy.route;

import java.net.InetAddress;
import java.util.Iterator;
import java.util.List;

import com.google.re2j.Pattern;

import io.stapled.config.Cidr;
import io.stapled.config.RouteCondition;
import io.stapled.tls.ClientCertificate;

/**
 * Compiles {@link RouteCondition}s into {@link Condition}s. The host, path, method and header-equality
 * tests compare regions of the strings the request already holds ({@code regionMatches}), so they
 * allocate nothing; a regex test allocates its RE2/J matcher (and the host without its port, when one
 * was sent), a header test the iterator over its field lines, a source test the address's bytes. The
 * client certificate tests read the channel attribute the handshake left and allocate nothing (but
 * the subject regex's matcher).
 */
final class Conditions {
    private Conditions() { }

    static Condition compile(RouteCondition c) {
        if (c instanceof RouteCondition.Host h) {
            return new Names(h.names(), false);
        } else if (c instanceof RouteCondition.Sni s) {
            return new Names(s.names(), true);
        } else if (c instanceof RouteCondition.HostRegex h) {
            Pattern p = h.pattern();
            return r -> {
                String host = r.host();
                return host != null && p.matcher(host.substring(0, hostEnd(host))).find();
            };
        } else if (c instanceof RouteCondition.SniRegex s) {
            Pattern p = s.pattern();
            return r -> {
                String sni = r.sni();
                return sni != null && p.matcher(sni).find();
            };
        } else if (c instanceof RouteCondition.Path p) {
            return new Paths(p.paths(), false);
        } else if (c instanceof RouteCondition.PathPrefix p) {
            return new Paths(p.prefixes(), true);
        } else if (c instanceof RouteCondition.PathRegex p) {
            Pattern pattern = p.pattern();
            return r -> {
                String uri = r.uri();
                return pattern.matcher(uri.substring(0, pathEnd(uri))).find();
            };
        } else if (c instanceof RouteCondition.Method m) {
            String[] methods = m.methods().toArray(new String[0]);
            return r -> {
                String method = r.methodName();
                for (String each : methods) {
                    if (each.equals(method)) {
                        return true;
                    }
                }
                return false;
            };
        } else if (c instanceof RouteCondition.Header h) {
            return header(h);
        } else if (c instanceof RouteCondition.Query q) {
            return new QueryParameter(q);
        } else if (c instanceof RouteCondition.Source s) {
            Cidr[] networks = s.networks().toArray(new Cidr[0]);
            return r -> {
                InetAddress source = r.source();
                if (source == null) {
                    return false;
                }
                byte[] address = source.getAddress();
                for (Cidr n : networks) {
                    if (n.contains(address)) {
                        return true;
                    }
                }
                return false;
            };
        } else if (c instanceof RouteCondition.TlsVersion t) {
            String[] versions = t.versions().toArray(new String[0]);
            return r -> {
                String version = r.tlsVersion();
                for (String each : versions) {
                    if (each.equals(version)) {
                        return true;
                    }
                }
                return false;
            };
        } else if (c instanceof RouteCondition.ClientVerified v) {
            boolean verified = v.verified();
            return r -> verified(r) == verified;
        } else if (c instanceof RouteCondition.ClientSubject s) {
            String[] subjects = s.subjects().toArray(new String[0]);
            return r -> {
                ClientCertificate cert = r.clientCertificate();
                if (cert == null || !cert.verified()) {
                    return false;
                }
                for (String each : subjects) {
                    if (each.equals(cert.subject())) {
                        return true;
                    }
                }
                return false;
            };
        } else if (c instanceof RouteCondition.ClientSubjectRegex s) {
            Pattern p = s.pattern();
            return r -> {
                ClientCertificate cert = r.clientCertificate();
                return cert != null && cert.verified() && p.matcher(cert.subject()).find();
            };
        }
        throw new IllegalArgumentException("no test for " + c);
    }

    private static boolean verified(RouteRequest r) {
        ClientCertificate cert = r.clientCertificate();
        return cert != null && cert.verified();
    }

    /** Where the host ends in a Host value: before its {@code :port}; an IPv6 literal keeps its brackets. */
    static int hostEnd(String host) {
        int colon = host.lastIndexOf(':');
        if (colon < 0 || host.indexOf(']', colon) >= 0) {
            return host.length();
        }
        return colon;
    }

    /** Where the path ends in an origin-form target: at its query. */
    static int pathEnd(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri.length() : q;
    }

    /** Exact names and {@code *.suffix} names (kept as {@code .suffix}), case-insensitive. */
    private static final class Names implements Condition {
        private final String[] exact;
        private final String[] suffixes;
        private final boolean sni;

        Names(List<String> names, boolean sni) {
            this.exact = names.stream().filter(n -> !n.startsWith("*.")).toArray(String[]::new);
            this.suffixes = names.stream().filter(n -> n.startsWith("*.")).map(n -> n.substring(1))
                    .toArray(String[]::new);
            this.sni = sni;
        }

        @Override
        public boolean test(RouteRequest r) {
            String name = sni ? r.sni() : r.host();
            if (name == null) {
                return false;
            }
            int end = sni ? name.length() : hostEnd(name);
            if (end > 0 && name.charAt(end - 1) == '.') {
                end--; // the absolute form www.example.com. names the same host
            }
            for (String e : exact) {
                if (e.length() == end && name.regionMatches(true, 0, e, 0, end)) {
                    return true;
                }
            }
            for (String s : suffixes) {
                int len = s.length();
                if (end > len && name.regionMatches(true, end - len, s, 0, len)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Exact paths or path prefixes, case-sensitive, compared with the path as sent (not decoded). */
    private static final class Paths implements Condition {
        private final String[] paths;
        private final boolean prefix;

        Paths(List<String> paths, boolean prefix) {
            this.paths = paths.toArray(new String[0]);
            this.prefix = prefix;
        }

        @Override
        public boolean test(RouteRequest r) {
            String uri = r.uri();
            int end = pathEnd(uri);
            for (String p : paths) {
                int len = p.length();
                if ((prefix ? len <= end : len == end) && uri.startsWith(p)) {
                    return true;
                }
            }
            return false;
        }
    }

    private static Condition header(RouteCondition.Header h) {
        String name = h.name();
        if (h.value() == null && h.regex() == null) {
            return r -> r.headers().contains(name);
        }
        String value = h.value();
        Pattern regex = h.regex();
        return r -> {
            Iterator<? extends CharSequence> values = r.headers().valueCharSequenceIterator(name);
            while (values.hasNext()) {
                CharSequence v = values.next();
                if (value != null ? value.contentEquals(v) : regex.matcher(v).find()) {
                    return true;
                }
            }
            return false;
        };
    }

    /** A parameter of the query string: {@code name} or {@code name=value} between {@code &}s, raw. */
    private static final class QueryParameter implements Condition {
        private final String name;
        private final String value;
        private final Pattern regex;

        QueryParameter(RouteCondition.Query q) {
            this.name = q.name();
            this.value = q.value();
            this.regex = q.regex();
        }

        @Override
        public boolean test(RouteRequest r) {
            String uri = r.uri();
            int start = uri.indexOf('?');
            if (start < 0) {
                return false;
            }
            int len = uri.length();
            int i = start + 1;
            while (i <= len) {
                int amp = uri.indexOf('&', i);
                int end = amp < 0 ? len : amp;
                int nameEnd = i + name.length();
                if (nameEnd <= end && uri.startsWith(name, i) && (nameEnd == end || uri.charAt(nameEnd) == '=')) {
                    int valueStart = nameEnd == end ? end : nameEnd + 1;
                    if (matches(uri, valueStart, end)) {
                        return true;
                    }
                }
                i = end + 1;
            }
            return false;
        }

        private boolean matches(String uri, int start, int end) {
            if (value != null) {
                return value.length() == end - start && uri.startsWith(value, start);
            }
            return regex == null || regex.matcher(uri.substring(start, end)).find();
        }
    }
}
