package io.stapled.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import io.stapled.config.CertificateSource;
import io.stapled.config.CertificateSource.OcspOptions;

/**
 * Reads certificates in HAProxy's layouts: a PEM bundle (certificates and key in any order), a
 * certificate with its key in a sibling {@code <crt>.key} or an explicit file, a directory of such
 * files, and crt-lists. Every problem is a {@link TlsSetupException} naming the file.
 */
public final class CertificateLoader {
    private static final List<String> DIRECTORY_SKIPPED_SUFFIXES = List.of(".ocsp", ".issuer", ".sctl", ".key");

    private CertificateLoader() { }

    /** Every certificate of a source, in the order HAProxy would load them. */
    public static List<LoadedCertificate> load(CertificateSource source) {
        if (source instanceof CertificateSource.File f) {
            return List.of(loadFile(f.crt(), f.key(), f.sni(), List.of(), f.ocsp(), List.of()));
        } else if (source instanceof CertificateSource.Directory d) {
            List<LoadedCertificate> out = new ArrayList<>();
            for (Path file : certificateFiles(d.dir())) {
                out.add(loadFile(file, null, List.of(), List.of(), d.ocsp(), List.of()));
            }
            return List.copyOf(out);
        } else if (source instanceof CertificateSource.CrtList c) {
            List<LoadedCertificate> out = new ArrayList<>();
            for (CrtListEntry e : CrtListParser.parse(c.file())) {
                OcspOptions ocsp = e.ocspUpdate() == null ? c.ocsp()
                        : new OcspOptions(e.ocspUpdate(), c.ocsp().responder());
                try {
                    out.add(loadFile(e.crt(), null, e.sni(), e.excluded(), ocsp, e.alpn()));
                } catch (TlsSetupException ex) {
                    throw new TlsSetupException(c.file() + ":" + e.line() + ": " + ex.getMessage(), ex);
                }
            }
            return List.copyOf(out);
        }
        throw new IllegalArgumentException("unknown certificate source " + source);
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
            throw new TlsSetupException(dir + ": cannot list directory: " + PemContent.oneLine(e), e);
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
        PemContent content = PemContent.read(crt);
        if (content.certificates().isEmpty()) {
            throw new TlsSetupException(crt + ": no certificate found in the file");
        }
        Path keyFile = crt;
        PemContent keys = content;
        if (key != null) {
            keyFile = key;
            keys = PemContent.read(key);
            if (keys.keyCount() == 0) {
                throw new TlsSetupException(key + ": no private key found in the file");
            }
        } else if (keys.keyCount() == 0) {
            Path sibling = crt.resolveSibling(crt.getFileName() + ".key");
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
        try {
            return CertificateAssembly.assemble(new CertificateAssembly.Placement(crt, sni, excluded, ocsp, alpn),
                    content.certificates(), keys.key(), issuerSibling(crt));
        } catch (CertificateAssembly.KeyMismatchException e) {
            throw new TlsSetupException(crt + ": the private key"
                    + (keyFile.equals(crt) ? "" : " in " + keyFile) + " does not match the certificate", e);
        }
    }

    /** HAProxy's {@code <crt>.issuer} sibling, read only if the chain lacks the issuer. */
    private static CertificateAssembly.IssuerPart issuerSibling(Path crt) {
        Path sibling = crt.resolveSibling(crt.getFileName() + ".issuer");
        return new CertificateAssembly.IssuerPart(sibling.toString(),
                () -> Files.exists(sibling) ? PemContent.read(sibling).certificates() : null);
    }
}
