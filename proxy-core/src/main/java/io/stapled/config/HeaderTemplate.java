package io.stapled.config;

import java.util.List;

/**
 * A header value as written in the config, compiled at load into literal text and sample fetches
 * ({@code %[src]}), so a request only concatenates parts and never parses the template.
 *
 * @param parts in order
 */
public record HeaderTemplate(List<Part> parts) {
    public HeaderTemplate {
        parts = List.copyOf(parts);
    }

    /** The template when it has no fetch, else null: such a value is the same for every request. */
    public String constant() {
        if (parts.isEmpty()) {
            return "";
        }
        return parts.size() == 1 && parts.get(0) instanceof Literal l ? l.text() : null;
    }

    /** One piece of a template. */
    public sealed interface Part { }

    /** Text copied as written. */
    public record Literal(String text) implements Part { }

    /**
     * A sample fetch, named as HAProxy's.
     *
     * @param fetch which
     * @param arg   the header name of {@code req.hdr(name)} (lower case), else null
     */
    public record Fetch(Kind fetch, String arg) implements Part { }

    /** The fetches a template may use; {@link #haproxyName} is what the config writes. */
    public enum Kind {
        SRC("src"),
        SRC_PORT("src_port"),
        SSL_FC_SNI("ssl_fc_sni"),
        SSL_FC_PROTOCOL("ssl_fc_protocol"),
        SSL_FC_CIPHER("ssl_fc_cipher"),
        REQ_HDR("req.hdr"),
        UNIQUE_ID("unique-id"),
        SSL_C_S_DN("ssl_c_s_dn"),
        SSL_C_SERIAL("ssl_c_serial"),
        SSL_C_SHA256("ssl_c_sha256"),
        SSL_C_VERIFY("ssl_c_verify");

        private final String haproxyName;

        Kind(String haproxyName) {
            this.haproxyName = haproxyName;
        }

        public String haproxyName() {
            return haproxyName;
        }

        /** Fetches that read the TLS connection: meaningless on a plain-HTTP frontend. */
        public boolean needsTls() {
            return name().startsWith("SSL_");
        }
    }
}
