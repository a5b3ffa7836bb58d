package io.stapled.tls;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The certificates of a frontend at one moment, immutable: exact names, one-label wildcards and a
 * default. Lookups are plain hash-map reads, safe from any thread.
 *
 * <p>HAProxy's semantics: {@code *.example.com} matches {@code a.example.com} but neither
 * {@code example.com} nor {@code a.b.example.com}; an exact name beats a wildcard; a certificate's
 * {@code !name} exclusion keeps it from answering that name through its wildcard.
 */
public final class CertificateSnapshot {
    private final Map<String, CertificatePair> exact;
    private final Map<String, CertificatePair> wildcard;
    private final CertificatePair defaultPair;
    private final ServingCertificate defaultCertificate;
    /** What an unknown name or no SNI gets: the default pair, or null with strict SNI (the handshake fails). */
    private final CertificatePair fallback;
    private final boolean strictSni;
    private final List<ServingCertificate> certificates;

    private CertificateSnapshot(Builder b, ServingCertificate defaultCertificate, CertificatePair defaultPair) {
        this.exact = Map.copyOf(b.exact);
        this.wildcard = Map.copyOf(b.wildcard);
        this.defaultPair = defaultPair;
        this.defaultCertificate = defaultCertificate;
        this.strictSni = b.strictSni;
        this.fallback = b.strictSni ? null : defaultPair;
        this.certificates = List.copyOf(b.certificates);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The pair for a server name: exact, then wildcard, then the default (null with strict SNI).
     *
     * @param serverName lower-case without trailing dot (as {@link ClientHelloParser} gives it), or null
     */
    public CertificatePair lookup(String serverName) {
        if (serverName == null || serverName.isEmpty()) {
            return fallback;
        }
        CertificatePair p = exact.get(serverName);
        if (p != null) {
            return p;
        }
        int dot = serverName.indexOf('.');
        if (dot > 0) {
            p = wildcard.get(serverName.substring(dot + 1));
            if (p != null) {
                return p;
            }
        }
        return fallback;
    }

    /** Normalizes a name (lower case, no trailing dot) and looks it up. */
    public CertificatePair lookupName(String name) {
        return lookup(name == null ? null : X509Facts.normalize(name));
    }

    public CertificatePair defaultPair() {
        return defaultPair;
    }

    /** The certificate served to clients without SNI or with an unknown name (unless strict SNI). */
    public ServingCertificate defaultCertificate() {
        return defaultCertificate;
    }

    public boolean strictSni() {
        return strictSni;
    }

    /** Every certificate in the order added. */
    public List<ServingCertificate> certificates() {
        return certificates;
    }

    /**
     * This snapshot with {@code next} in {@code old}'s place: same order, same default (or {@code next}
     * if {@code old} was it), names and exclusions recomputed from {@code next}.
     */
    public CertificateSnapshot replacing(ServingCertificate old, ServingCertificate next) {
        Builder b = builder();
        for (ServingCertificate s : certificates) {
            b.add(s == old ? next : s);
        }
        return b.defaultCertificate(defaultCertificate == old ? next : defaultCertificate).strictSni(strictSni).build();
    }

    /**
     * This snapshot with {@code next} served as well, after the others (a runtime
     * {@code add ssl crt-list}): an exact name another certificate already has keeps that one for
     * its key type, as at start-up; the default stays.
     */
    public CertificateSnapshot adding(ServingCertificate next) {
        return builder().addAll(certificates).add(next).defaultCertificate(defaultCertificate).strictSni(strictSni)
                .build();
    }

    /**
     * This snapshot without {@code gone} (a runtime {@code del ssl crt-list}); names only it served fall
     * back to wildcards or the default.
     *
     * With strict SNI there is no default to keep (HAProxy lets it go then too): the first one left
     * takes its place in the snapshot.
     *
     * @throws IllegalArgumentException when {@code gone} is the default certificate (without strict SNI),
     *                                  the last one, or not in this snapshot
     */
    public CertificateSnapshot removing(ServingCertificate gone) {
        if (gone == defaultCertificate && !strictSni) {
            throw new IllegalArgumentException("the default certificate cannot be removed");
        }
        if (certificates.size() == 1) {
            throw new IllegalArgumentException("the last certificate cannot be removed");
        }
        if (!certificates.contains(gone)) {
            throw new IllegalArgumentException("not a certificate of this snapshot");
        }
        Builder b = builder();
        for (ServingCertificate s : certificates) {
            if (s != gone) {
                b.add(s);
            }
        }
        return b.defaultCertificate(gone == defaultCertificate ? null : defaultCertificate).strictSni(strictSni)
                .build();
    }

    /** Builds a snapshot; not thread-safe. */
    public static final class Builder {
        private final Map<String, CertificatePair> exact = new HashMap<>();
        private final Map<String, CertificatePair> wildcard = new HashMap<>();
        private final Map<ServingCertificate, List<String>> exclusions = new LinkedHashMap<>();
        private final List<ServingCertificate> certificates = new ArrayList<>();
        private ServingCertificate defaultCertificate;
        private boolean strictSni;

        private Builder() { }

        /** HAProxy's {@code strict-sni}: {@link #lookup} has no default to fall back to. */
        public Builder strictSni(boolean strict) {
            this.strictSni = strict;
            return this;
        }

        /** Adds a certificate under its SNI names; for a name that already has one of this key type, the first wins. */
        public Builder add(ServingCertificate c) {
            certificates.add(c);
            for (String name : c.certificate().sniNames()) {
                if (c.certificate().excludedNames().contains(name)) {
                    continue;
                }
                if (name.startsWith("*.")) {
                    wildcard.merge(name.substring(2), CertificatePair.of(c), (old, n) -> old.with(c));
                } else {
                    exact.merge(name, CertificatePair.of(c), (old, n) -> old.with(c));
                }
            }
            if (!c.certificate().excludedNames().isEmpty()) {
                exclusions.put(c, c.certificate().excludedNames());
            }
            return this;
        }

        public Builder addAll(List<ServingCertificate> all) {
            all.forEach(this::add);
            return this;
        }

        /** The certificate for clients without SNI or with an unknown name; defaults to the first added. */
        public Builder defaultCertificate(ServingCertificate c) {
            this.defaultCertificate = c;
            return this;
        }

        public CertificateSnapshot build() {
            if (certificates.isEmpty()) {
                throw new IllegalStateException("a certificate snapshot needs at least one certificate");
            }
            ServingCertificate def = defaultCertificate != null ? defaultCertificate : certificates.get(0);
            CertificatePair defaultPair = defaultPairFor(def);
            fillRsaFromWildcards();
            applyExclusions(defaultPair);
            return new CertificateSnapshot(this, def, defaultPair);
        }

        /** The default certificate, with its ECDSA/RSA twin when another certificate serves the same first name. */
        private CertificatePair defaultPairFor(ServingCertificate def) {
            List<String> names = def.certificate().sniNames();
            if (!names.isEmpty()) {
                String first = names.get(0);
                CertificatePair p = first.startsWith("*.") ? wildcard.get(first.substring(2)) : exact.get(first);
                if (p != null && (p.ecdsa() == def || p.rsa() == def)) {
                    return p;
                }
            }
            return CertificatePair.of(def);
        }

        /**
         * An exact name served only by ECDSA gets the RSA certificate of its matching wildcard (unless
         * that certificate excludes the name) in its empty RSA place. HAProxy tries the exact entry and
         * then the wildcard before giving up, so an RSA-only client is served the wildcard's RSA; doing
         * it here keeps the pick one map read with no allocation. An exact RSA certificate serves every
         * client, so only the RSA place is ever filled and an ECDSA client still gets the exact ECDSA.
         */
        private void fillRsaFromWildcards() {
            for (Map.Entry<String, CertificatePair> e : exact.entrySet()) {
                CertificatePair p = e.getValue();
                if (p.rsa() != null) {
                    continue;
                }
                String name = e.getKey();
                int dot = name.indexOf('.');
                CertificatePair w = dot > 0 ? wildcard.get(name.substring(dot + 1)) : null;
                if (w != null && w.rsa() != null && !w.rsa().certificate().excludedNames().contains(name)) {
                    e.setValue(p.with(w.rsa()));
                }
            }
        }

        /**
         * An excluded name that would reach the excluding certificate through a wildcard gets an exact
         * entry without that certificate, so lookups stay one map read.
         */
        private void applyExclusions(CertificatePair defaultPair) {
            Map<String, CertificatePair> pinned = new HashMap<>();
            for (Map.Entry<ServingCertificate, List<String>> e : exclusions.entrySet()) {
                for (String name : e.getValue()) {
                    if (exact.containsKey(name) && !pinned.containsKey(name)) {
                        continue; // a certificate names it exactly: exact wins anyway
                    }
                    CertificatePair p = pinned.get(name);
                    if (p == null) {
                        int dot = name.indexOf('.');
                        p = dot > 0 ? wildcard.get(name.substring(dot + 1)) : null;
                        if (p == null) {
                            continue;
                        }
                    }
                    CertificatePair left = p.without(e.getKey());
                    pinned.put(name, left != null ? left : defaultPair);
                }
            }
            exact.putAll(pinned);
        }
    }

    @Override
    public String toString() {
        return "CertificateSnapshot[" + certificates.size() + " certificates, exact " + Collections.unmodifiableSet(
                exact.keySet()) + ", wildcard " + wildcard.keySet() + "]";
    }
}
