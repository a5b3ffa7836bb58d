package io.stapled.haproxy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The TLS options of one {@code ssl} bind line (after the global {@code ssl-default-bind-*} ones) as a
 * frontend's {@code certificates}, {@code default_certificate} and {@code tls}.
 */
final class BindTls {
    final YamlTree.Seq certificates = new YamlTree.Seq();
    final YamlTree.Map tls = new YamlTree.Map();
    String defaultCertificate;

    private final Globals globals;
    private final Report report;
    private int minVersion = 2;
    private int maxVersion = 3;
    private YamlTree.Map clientAuth;

    BindTls(Globals globals, Report report) {
        this.globals = globals;
        this.report = report;
    }

    /** The global defaults, as if they were written on the bind line first. */
    void options(List<String> words, HaproxyLine line) {
        for (int i = 0; i < words.size(); i++) {
            int used = option(words, i, line);
            if (used < 0) {
                report.skip(line, words.get(i) + " is not translated");
            } else {
                i += used;
            }
        }
    }

    /** Applies the TLS option at {@code words[i]}; returns how many values after it it took, or -1 if it is none. */
    int option(List<String> words, int i, HaproxyLine line) {
        String w = words.get(i);
        String v = i + 1 < words.size() ? words.get(i + 1) : null;
        try {
            switch (w) {
                case "crt" -> certificates.add(certificate(need(v, w), globals.crtBase));
                case "crt-list" -> certificates.add(new YamlTree.Map().put("crt_list", need(v, w)));
                case "default-crt" -> defaultCertificate = need(v, w);
                case "alpn" -> tls.put("alpn", YamlTree.Seq.of(Arrays.asList(need(v, w).split(","))));
                case "ciphers" -> tls.put("ciphers", need(v, w));
                case "ciphersuites" -> tls.put("ciphersuites", need(v, w));
                case "strict-sni" -> {
                    tls.put("strict_sni", true);
                    return 0;
                }
                case "no-tls-tickets" -> {
                    tls.put("session_tickets", false);
                    return 0;
                }
                case "no-sslv3", "no-tlsv10", "no-tlsv11" -> {
                    return 0; // stapled never offers them
                }
                case "force-tlsv12" -> {
                    minVersion = 2;
                    maxVersion = 2;
                    protocols();
                    return 0;
                }
                case "no-tlsv12" -> {
                    minVersion = 3;
                    protocols();
                    return 0;
                }
                case "no-tlsv13" -> {
                    maxVersion = 2;
                    protocols();
                    return 0;
                }
                case "force-tlsv13" -> {
                    minVersion = 3;
                    maxVersion = 3;
                    protocols();
                    return 0;
                }
                case "ssl-min-ver", "ssl-max-ver" -> {
                    int version = HaproxyValues.tlsVersion(need(v, w));
                    if (version < 2) {
                        report.note(line, w + " " + v + ": stapled's floor is TLS 1.2 (TLS 1.0 and 1.1 are not "
                                + "available)");
                        version = 2;
                    }
                    if (w.equals("ssl-min-ver")) {
                        minVersion = version;
                    } else {
                        maxVersion = version;
                    }
                    protocols();
                }
                case "verify" -> clientAuth().put("mode", need(v, w));
                case "ca-file" -> clientAuth().put("ca_file", globals.caPath(need(v, w)));
                case "crl-file" -> clientAuth().put("crl_file", globals.caPath(need(v, w)));
                case "prefer-client-ciphers", "allow-0rtt", "no-ca-names", "generate-certificates" -> {
                    report.skip(line, "bind option " + w + " is not translated");
                    return 0;
                }
                default -> {
                    return -1;
                }
            }
        } catch (Untranslatable e) {
            report.skip(line, e.getMessage());
        }
        return 1;
    }

    /** Call after the last option: a client_auth that asks for nothing is left out (HAProxy's verify none). */
    void finish() {
        if (clientAuth != null && "none".equals(clientAuth.get("mode"))) {
            tls.remove("client_auth");
        }
    }

    private static String need(String v, String option) throws Untranslatable {
        if (v == null) {
            throw new Untranslatable(option + " without its value");
        }
        return v;
    }

    private YamlTree.Map clientAuth() {
        if (clientAuth == null) {
            clientAuth = tls.map("client_auth");
            clientAuth.put("mode", "none");
        }
        return clientAuth;
    }

    private void protocols() {
        List<String> list = new ArrayList<>();
        for (int v = minVersion; v <= maxVersion; v++) {
            list.add("TLSv1." + v);
        }
        tls.put("protocols", YamlTree.Seq.of(list));
    }

    /** {@code crt X}: a directory when HAProxy would read it as one (a trailing slash, or a directory on disk). */
    private static YamlTree.Map certificate(String path, String crtBase) {
        Path onDisk = crtBase == null || path.startsWith("/") ? Path.of(path) : Path.of(crtBase, path);
        boolean dir = path.endsWith("/") || Files.isDirectory(onDisk);
        return new YamlTree.Map().put(dir ? "dir" : "crt", path);
    }
}
