package io.stapled.tls;

import static io.stapled.text.OneLine.oneLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * HAProxy's {@code issuers-chain-path}: intermediate chains read once from a directory, one per file,
 * the first certificate of each being the CA that issues leaves. A certificate file holding only its
 * leaf is completed with the chain whose first certificate issued it, as HAProxy does.
 */
public final class IssuerChains {
    public static final IssuerChains NONE = new IssuerChains(List.of());

    private final List<List<X509Certificate>> chains;

    private IssuerChains(List<List<X509Certificate>> chains) {
        this.chains = List.copyOf(chains);
    }

    /**
     * Every regular file of {@code dir} (dotfiles and subdirectories left out), sorted by name; each must be
     * PEM holding at least one certificate.
     *
     * @throws TlsSetupException naming the directory or the file that cannot be used
     */
    public static IssuerChains load(Path dir) {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> !p.getFileName().toString().startsWith(".") && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException e) {
            throw new TlsSetupException(dir + ": cannot list the issuers chain directory: " + oneLine(e), e);
        }
        List<List<X509Certificate>> chains = new ArrayList<>();
        List<Path> origins = new ArrayList<>();
        for (Path file : files) {
            List<X509Certificate> chain = PemContent.read(file).certificates();
            if (chain.isEmpty()) {
                throw new TlsSetupException(file + ": no certificate found in the file (every file of an issuers "
                        + "chain directory must hold a PEM chain, its issuing CA first)");
            }
            for (int i = 0; i < chains.size(); i++) {
                if (chains.get(i).get(0).getSubjectX500Principal().equals(chain.get(0).getSubjectX500Principal())
                        && chains.get(i).get(0).getPublicKey().equals(chain.get(0).getPublicKey())) {
                    throw new TlsSetupException(file + ": duplicate issuers chain for "
                            + chain.get(0).getSubjectX500Principal().getName() + ", already in " + origins.get(i));
                }
            }
            chains.add(chain);
            origins.add(file);
        }
        return new IssuerChains(chains);
    }

    /** The chain whose first certificate issued {@code leaf}, or empty. */
    public List<X509Certificate> chainOf(X509Certificate leaf) {
        for (List<X509Certificate> chain : chains) {
            if (X509Facts.issued(chain.get(0), leaf)) {
                return chain;
            }
        }
        return List.of();
    }

    public int size() {
        return chains.size();
    }
}
