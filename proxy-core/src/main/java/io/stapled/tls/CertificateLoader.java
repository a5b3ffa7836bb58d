package io.stapled.tls;

import static io.stapled.text.OneLine.oneLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import io.stapled.config.CertificateSource;
import io.stapled.config.ConfigException;
import io.stapled.config.ConfigOrigin;
import io.stapled.config.CertificateSource.OcspOptions;
import io.stapled.ocsp.RegularFiles;
import io.stapled.ocsp.StapleSlots;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads certificates in HAProxy's layouts: a PEM bundle (certificates and key in any order), a
 * certificate with its key in a sibling {@code <crt>.key} or an explicit file, a directory of such
 * files, and crt-lists. Every problem is a {@link TlsSetupException} naming the file, or, for a source
 * from a config file, a {@link ConfigException} at the line that named it. A CA certificate as the
 * leaf is refused; an expired, expiring or weak one is served with a warning ({@link CertificateChecks}).
 */
public final class CertificateLoader {
    private static final Logger log = LoggerFactory.getLogger(CertificateLoader.class);
    private static final List<String> DIRECTORY_SKIPPED_SUFFIXES = List.of(".ocsp", ".issuer", ".sctl", ".key");
    private static final String DSA = ".dsa";

    private CertificateLoader() { }

    /**
     * Every certificate of a source, in the order HAProxy would load them.
     *
     * @throws ConfigException   for a source read from a config file: one error at the config line that
     *                           names the file ({@code file:line key.path: <file>: problem})
     * @throws TlsSetupException for a source built in code (no {@link ConfigOrigin})
     */
    public static List<LoadedCertificate> load(CertificateSource source) {
        return load(source, StapleSlots.UNMANAGED);
    }

    /** As {@link #load(CertificateSource)}, each certificate stapled from the slot {@code slots} hands out. */
    public static List<LoadedCertificate> load(CertificateSource source, StapleSlots slots) {
        return load(source, slots, CertificateLayout.DEFAULT);
    }

    /** As {@link #load(CertificateSource, StapleSlots)}, siblings and chains found by {@code layout}'s rules. */
    public static List<LoadedCertificate> load(CertificateSource source, StapleSlots slots, CertificateLayout layout) {
        if (source instanceof CertificateSource.File f) {
            try {
                return loadNamed(f.crt(), f.key(), f.sni(), List.of(), f.ocsp(), List.of(), f.keyOrigin(), slots,
                        layout);
            } catch (TlsSetupException e) {
                throw at(f.crtOrigin(), e);
            }
        } else if (source instanceof CertificateSource.Directory d) {
            try {
                List<LoadedCertificate> out = new ArrayList<>();
                for (Path file : certificateFiles(d.dir())) {
                    LoadedCertificate c = loadMember(file, List.of(), List.of(), d.ocsp(), List.of(), slots, layout);
                    if (c != null) {
                        out.add(c);
                    }
                }
                return List.copyOf(out);
            } catch (TlsSetupException e) {
                throw at(d.origin(), e);
            }
        } else if (source instanceof CertificateSource.CrtList c) {
            try {
                List<LoadedCertificate> out = new ArrayList<>();
                for (CrtListEntry e : CrtListParser.parse(c.file(), c.crtBase())) {
                    try {
                        for (LoadedCertificate member : loadNamed(e.crt(), null, e.sni(), e.excluded(),
                                e.ocspUnder(c.ocsp()), e.alpn(), null, slots, layout)) {
                            out.add(member.withTls(e.tls()));
                        }
                    } catch (TlsSetupException ex) {
                        throw new TlsSetupException(c.file() + ":" + e.line() + ": " + ex.getMessage(), ex);
                    }
                }
                return List.copyOf(out);
            } catch (TlsSetupException e) {
                throw at(c.origin(), e);
            }
        }
        throw new IllegalArgumentException("unknown certificate source " + source);
    }

    /** The problem as a config error at {@code origin}, or unchanged for a source built in code. */
    private static RuntimeException at(ConfigOrigin origin, TlsSetupException e) {
        if (origin == null) {
            return e;
        }
        ConfigException located = origin.error(e.getMessage());
        located.initCause(e);
        return located;
    }

    /**
     * HAProxy's multi-certificate bundle: a {@code crt} that does not exist stands for each of
     * {@code <crt>.dsa}, {@code <crt>.ecdsa}, {@code <crt>.rsa} that does, in that order (HAProxy's), each
     * its own certificate with its own siblings. An existing {@code crt} is just itself.
     */
    static List<Path> bundleMembers(Path crt) {
        if (Files.exists(crt)) {
            return List.of(crt);
        }
        List<Path> members = new ArrayList<>();
        for (String ext : CertificateSource.BUNDLE_EXTENSIONS) {
            Path member = crt.resolveSibling(crt.getFileName() + ext);
            if (Files.exists(member)) {
                members.add(member);
            }
        }
        return members.isEmpty() ? List.of(crt) : List.copyOf(members);
    }

    /** The certificate a config names, or each member when it names a bundle. */
    private static List<LoadedCertificate> loadNamed(Path crt, Path key, List<String> sni, List<String> excluded,
                                                     OcspOptions ocsp, List<String> alpn, ConfigOrigin keyOrigin,
                                                     StapleSlots slots, CertificateLayout layout) {
        List<Path> members = bundleMembers(crt);
        if (members.size() == 1 && members.get(0).equals(crt)) {
            return List.of(loadFile(crt, key, sni, excluded, ocsp, alpn, keyOrigin, slots, layout));
        }
        if (key != null) {
            throw new TlsSetupException(crt + ": a multi-certificate bundle (" + names(members) + ") takes each "
                    + "member's key from the member or its .key sibling; an explicit key would fit one member only");
        }
        List<LoadedCertificate> out = new ArrayList<>();
        for (Path member : members) {
            LoadedCertificate c = loadMember(member, sni, excluded, ocsp, alpn, slots, layout);
            if (c != null) {
                out.add(c);
            }
        }
        if (out.isEmpty()) {
            throw new TlsSetupException(crt + ": the bundle's only member " + members.get(0).getFileName()
                    + " is a DSA certificate; stapled serves EC and RSA certificates");
        }
        return List.copyOf(out);
    }

    /**
     * A file found rather than named (a bundle member, a directory entry): a {@code .dsa} one with a DSA
     * key is skipped with a warning (null), since HAProxy would load it and no client today negotiates
     * DSA; anything else is loaded or refused as a named file.
     */
    private static LoadedCertificate loadMember(Path file, List<String> sni, List<String> excluded, OcspOptions ocsp,
                                                List<String> alpn, StapleSlots slots, CertificateLayout layout) {
        try {
            return loadFile(file, null, sni, excluded, ocsp, alpn, null, slots, layout);
        } catch (CertificateAssembly.UnsupportedKeyException e) {
            if (!file.getFileName().toString().endsWith(DSA)) {
                throw e;
            }
            log.warn("certificate {}: skipped: a DSA certificate, which stapled does not serve (EC and RSA only); "
                    + "the bundle's other members serve every client", file);
            return null;
        }
    }

    private static String names(List<Path> files) {
        return String.join(", ", files.stream().map(p -> p.getFileName().toString()).toList());
    }

    /** The certificate files of a directory, sorted by name, without siblings and dotfiles. */
    static List<Path> certificateFiles(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new TlsSetupException(dir + ": not a directory");
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> {
                String name = p.getFileName().toString();
                return !name.startsWith(".")
                        && DIRECTORY_SKIPPED_SUFFIXES.stream().noneMatch(name::endsWith)
                        && Files.isRegularFile(p);
            }).sorted().toList();
        } catch (IOException e) {
            throw new TlsSetupException(dir + ": cannot list directory: " + oneLine(e), e);
        }
        if (files.isEmpty()) {
            throw new TlsSetupException(dir + ": directory holds no certificate file");
        }
        return files;
    }

    /**
     * One certificate file.
     *
     * @param crt      PEM with the certificate (and possibly the chain and key)
     * @param key      explicit key file, or null for the one in {@code crt} or the sibling {@code <crt>.key}
     * @param sni      names to answer to; empty means the certificate's own names
     * @param excluded names never to answer to
     */
    public static LoadedCertificate loadFile(Path crt, Path key, List<String> sni, List<String> excluded,
                                             OcspOptions ocsp, List<String> alpn) {
        return loadFile(crt, key, sni, excluded, ocsp, alpn, null, StapleSlots.UNMANAGED, CertificateLayout.DEFAULT);
    }

    /** @param keyOrigin where the explicit {@code key} was written: its problems are reported there */
    private static LoadedCertificate loadFile(Path crt, Path key, List<String> sni, List<String> excluded,
                                              OcspOptions ocsp, List<String> alpn, ConfigOrigin keyOrigin,
                                              StapleSlots slots, CertificateLayout layout) {
        PemContent content = PemContent.read(crt);
        if (content.certificates().isEmpty()) {
            throw new TlsSetupException(crt + ": no certificate found in the file");
        }
        Path keyFile = crt;
        PemContent keys = content;
        if (key != null) {
            keyFile = key;
            try {
                keys = PemContent.read(key);
                if (keys.keyCount() == 0) {
                    throw new TlsSetupException(key + ": no private key found in the file");
                }
                if (keys.keyCount() > 1) {
                    throw new TlsSetupException(key + ": holds " + keys.keyCount() + " private keys, expected one");
                }
            } catch (TlsSetupException e) {
                throw at(keyOrigin, e);
            }
        } else if (keys.keyCount() == 0) {
            Path sibling = layout.sibling(crt, ".key");
            if (!Files.exists(sibling)) {
                throw new TlsSetupException(crt + ": no private key in the file and no " + sibling.getFileName()
                        + " beside it");
            }
            keyFile = sibling;
            keys = PemContent.read(sibling);
            if (keys.keyCount() == 0) {
                throw new TlsSetupException(sibling + ": no private key found in the file");
            }
        }
        if (keys.keyCount() > 1) {
            throw new TlsSetupException(keyFile + ": holds " + keys.keyCount() + " private keys, expected one");
        }
        refuseSpecialOcspFile(layout.sibling(crt, ".ocsp"));
        try {
            CertificateAssembly.Placement placement = new CertificateAssembly.Placement(crt, sni, excluded, ocsp, alpn,
                    TlsOverrides.NONE, layout);
            return CertificateAssembly.assemble(placement, content.certificates(), keys.key(),
                    issuerSibling(layout.sibling(crt, ".issuer"))).stapledBy(slots);
        } catch (CertificateAssembly.KeyMismatchException e) {
            throw new TlsSetupException(crt + ": the private key"
                    + (keyFile.equals(crt) ? "" : " in " + keyFile) + " does not match the certificate", e);
        }
    }

    /**
     * The OCSP engine reads {@code <crt>.ocsp} later, on its own thread, where a FIFO would block it and
     * a device fill the heap; such a file is a mistake best reported now, with the certificate.
     */
    private static void refuseSpecialOcspFile(Path sibling) {
        String notRegular;
        try {
            notRegular = RegularFiles.notRegular(sibling);
        } catch (IOException e) {
            return; // no .ocsp file (the usual case), or one the engine will warn about
        }
        if (notRegular != null) {
            throw new TlsSetupException(sibling + ": not a regular file (" + notRegular + ")");
        }
    }

    /** HAProxy's {@code <crt>.issuer} sibling, read only if the chain lacks the issuer. */
    private static CertificateAssembly.IssuerPart issuerSibling(Path sibling) {
        return new CertificateAssembly.IssuerPart(sibling.toString(),
                () -> Files.exists(sibling) ? PemContent.read(sibling).certificates() : null);
    }
}
