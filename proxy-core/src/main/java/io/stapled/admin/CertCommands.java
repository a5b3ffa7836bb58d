package io.stapled.admin;

import static io.stapled.text.OneLine.oneLine;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import io.stapled.admin.CertificateAdmin.CertificateMaterial;
import io.stapled.admin.CertificateAdmin.CertificateUpdateException;
import io.stapled.admin.CertificateAdmin.StoredCertificate;
import io.stapled.tls.PemContent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HAProxy's certificate transactions: {@code new/set/commit/abort/del/show ssl cert}. As in HAProxy,
 * one transaction exists at a time, on one file; {@code set} fills it (the PEM, or its {@code .key},
 * {@code .issuer}, {@code .ocsp} siblings), {@code commit} hands it to the certificate store, which
 * checks it by the rules of a file at start-up, installs its {@code .ocsp} part and then swaps it in
 * for the next handshakes.
 *
 * <p>Every command runs on one worker thread: the transaction state needs no lock, and building TLS
 * contexts at commit stays off the event loops.
 */
final class CertCommands {
    private static final Logger log = LoggerFactory.getLogger(CertCommands.class);
    static final String NO_STORE = "Certificate updates are not available in this process.\n";

    private final CertificateAdmin store;
    private final OcspAdmin ocsp;
    private final Executor worker;

    /** Worker-confined state: the open transaction and the files made by {@code new ssl cert}. */
    private String txFile;
    private CertificateMaterial txMaterial;
    private final Map<String, Boolean> emptyFiles = new TreeMap<>();

    private CertCommands(CertificateAdmin store, OcspAdmin ocsp, Executor worker) {
        this.store = store;
        this.ocsp = ocsp;
        this.worker = worker;
    }

    static List<RuntimeCommand> all(CertificateAdmin store, OcspAdmin ocsp, Executor worker) {
        CertCommands c = new CertCommands(store, ocsp, worker);
        List<RuntimeCommand> all = new ArrayList<>(List.of(
                c.command("new ssl cert", CliLevel.ADMIN,
                        "new ssl cert <certfile>                 : create a new certificate file to be used in a crt-list or a directory",
                        c::newCert),
                c.command("set ssl cert", CliLevel.ADMIN,
                        "set ssl cert <certfile> <payload>       : replace a certificate file",
                        c::setCert),
                c.command("commit ssl cert", CliLevel.ADMIN,
                        "commit ssl cert <certfile>              : commit a certificate file",
                        c::commitCert),
                c.command("abort ssl cert", CliLevel.ADMIN,
                        "abort ssl cert <certfile>               : abort a transaction for a certificate file",
                        c::abortCert),
                c.command("del ssl cert", CliLevel.ADMIN,
                        "del ssl cert <certfile>                 : delete an unused certificate file",
                        c::delCert),
                c.command("show ssl cert", CliLevel.OPERATOR,
                        "show ssl cert [<certfile>]              : display the SSL certificates used in memory, or the details of a file",
                        c::showCert)));
        // the crt-list commands see the entries made by new ssl cert (worker-confined, like them)
        all.addAll(CrtListCommands.all(store, ocsp, worker, c.emptyFiles::containsKey));
        return List.copyOf(all);
    }

    private RuntimeCommand command(String words, CliLevel level, String usage, BasicCommand.SyncAction action) {
        return BasicCommand.async(words, level, usage, (args, payload, s) -> {
            if (store == null) {
                return RuntimeCommand.reply(NO_STORE);
            }
            return CompletableFuture.supplyAsync(() -> action.run(args, payload, s), worker);
        });
    }

    private static String arg(List<String> args, int i) {
        return i < args.size() ? args.get(i) : "";
    }

    private StoredCertificate stored(String file) {
        for (StoredCertificate c : store.certificates()) {
            if (c.file().equals(file)) {
                return c;
            }
        }
        return null;
    }

    private String newCert(List<String> args, String payload, CliSession s) {
        String file = arg(args, 3);
        if (file.isEmpty()) {
            return "'new ssl cert' expects a filename\n";
        }
        if (stored(file) != null || emptyFiles.containsKey(file)) {
            return "Certificate '" + file + "' already exists!\n";
        }
        emptyFiles.put(file, Boolean.TRUE);
        return "New empty certificate store '" + file + "'!\n";
    }

    /** The certificate file a {@code set ssl cert} name belongs to, and which part of it. */
    private record Target(String file, String part) {
        static Target of(String name) {
            for (String ext : List.of(".ocsp", ".issuer", ".key", ".sctl")) {
                if (name.endsWith(ext)) {
                    return new Target(name.substring(0, name.length() - ext.length()), ext);
                }
            }
            return new Target(name, "");
        }

        /**
         * Under HAProxy's {@code ssl-load-extra-del-ext} the siblings of {@code site.crt} are {@code site.key},
         * {@code site.issuer}, {@code site.ocsp}: a part sent under such a name belongs to {@code site.crt}.
         * Null for the PEM itself.
         */
        Target crtFile() {
            return part.isEmpty() ? null : new Target(file + ".crt", part);
        }
    }

    private String setCert(List<String> args, String payload, CliSession s) {
        String name = arg(args, 3);
        if (name.isEmpty() || payload == null) {
            return "'set ssl cert' expects a filename and a certificate as a payload\n";
        }
        Target t = Target.of(name);
        String cantUpdate = "Can't update " + name + "!\n";
        Target crt = store.deletesCrtExtension() ? t.crtFile() : null;
        if (txFile != null && !txFile.equals(t.file())) {
            if (crt == null || !txFile.equals(crt.file())) {
                return "The ongoing transaction is about '" + txFile + "' but you are trying to set '" + t.file()
                        + "'\n" + cantUpdate;
            }
            t = crt;
        }
        CertificateMaterial base;
        if (txFile != null) {
            base = txMaterial;
        } else {
            if (crt != null && stored(t.file()) == null && !emptyFiles.containsKey(t.file())
                    && (stored(crt.file()) != null || emptyFiles.containsKey(crt.file()))) {
                t = crt;
            }
            StoredCertificate c = stored(t.file());
            if (c == null && !emptyFiles.containsKey(t.file())) {
                return "Can't replace a certificate which is not referenced by the configuration!\n" + cantUpdate;
            }
            base = c == null || c.material() == null ? new CertificateMaterial(List.of(), null, null, null) : c.material();
        }
        CertificateMaterial next;
        try {
            next = apply(base, t.part(), payload);
        } catch (IOException e) {
            return oneLine(e.getMessage()) + "\nCan't load the payload\n" + cantUpdate;
        }
        boolean created = txFile == null;
        txFile = t.file();
        txMaterial = next;
        log.info("runtime API: certificate transaction {} for {} ({})", created ? "created" : "updated", txFile,
                t.part().isEmpty() ? "pem" : t.part());
        return "Transaction " + (created ? "created" : "updated") + " for certificate " + txFile + "!\n";
    }

    private static CertificateMaterial apply(CertificateMaterial base, String part, String payload) throws IOException {
        switch (part) {
            case ".ocsp" -> {
                return base.withOcsp(PemPayload.ocsp(payload));
            }
            case ".issuer" -> {
                PemContent p = PemPayload.parse(payload);
                if (p.certificates().size() != 1) {
                    throw new IOException("an .issuer payload must hold exactly one certificate");
                }
                return base.withIssuer(p.certificates().get(0));
            }
            case ".key" -> {
                PemContent p = PemPayload.parse(payload);
                if (p.key() == null) {
                    throw new IOException("no private key in the payload");
                }
                return base.withKey(p.key());
            }
            case ".sctl" -> throw new IOException("stapled does not serve SCT lists");
            default -> {
                PemContent p = PemPayload.parse(payload);
                if (p.certificates().isEmpty()) {
                    throw new IOException("no certificate in the payload");
                }
                // A new certificate invalidates the old staple, as HAProxy resets the CertID.
                return new CertificateMaterial(p.certificates(), p.key() != null ? p.key() : base.key(),
                        base.issuer(), null);
            }
        }
    }

    private String commitCert(List<String> args, String payload, CliSession s) {
        String file = arg(args, 3);
        if (file.isEmpty()) {
            return "'commit ssl cert' expects a filename\n";
        }
        String cantCommit = "Can't commit " + file + "!\n";
        if (txFile == null) {
            return "No ongoing transaction! !\n" + cantCommit;
        }
        if (!txFile.equals(file)) {
            return "The ongoing transaction is about '" + txFile + "' but you are trying to set '" + file + "'\n"
                    + cantCommit;
        }
        CertificateMaterial m = txMaterial;
        if (m.leaf() == null) {
            return "no certificate in the transaction for '" + file + "'.\n" + cantCommit;
        }
        boolean isNew = emptyFiles.containsKey(file);
        StringBuilder out = new StringBuilder("Committing ").append(file);
        StaplePush staple = new StaplePush(m.ocsp());
        try {
            if (isNew) {
                // its .ocsp part stays with it and is installed when a crt-list line serves it: the OCSP
                // engine manages only served certificates, so pushing it now could only be refused
                store.add(file, m);
                emptyFiles.remove(file);
            } else {
                out.append(".".repeat(store.replace(file, m, staple)));
            }
        } catch (CertificateUpdateException e) {
            if (e.keyMismatch()) {
                return "inconsistencies between private key and certificate loaded '" + file + "'.\n" + cantCommit;
            }
            log.warn("runtime API: commit of {} failed: {}", file, e.getMessage());
            return out.append('\n').append(oneLine(e.getMessage())).append("\nFailed!\n").toString();
        }
        txFile = null;
        txMaterial = null;
        log.info("runtime API: certificate {} committed", file);
        out.append("\nSuccess!\n");
        if (staple.outcome != null && !staple.outcome.accepted()) {
            out.append("OCSP response of ").append(file).append(" not installed: ")
                    .append(oneLine(staple.outcome.message())).append('\n');
        }
        return out.toString();
    }

    /**
     * Pushes a transaction's {@code .ocsp} part to the OCSP engine when the store says it is time:
     * after the engine follows the new certificate, before a handshake can get it.
     */
    private final class StaplePush implements Runnable {
        private final byte[] der;
        OcspAdmin.PushOutcome outcome;

        StaplePush(byte[] der) {
            this.der = der;
        }

        @Override
        public void run() {
            if (der != null && ocsp != null) {
                outcome = ocsp.push(der);
            }
        }
    }

    private String abortCert(List<String> args, String payload, CliSession s) {
        String file = arg(args, 3);
        if (file.isEmpty()) {
            return "'abort ssl cert' expects a filename\n";
        }
        if (txFile == null) {
            return "No ongoing transaction!\n";
        }
        if (!txFile.equals(file)) {
            return "The ongoing transaction is about '" + txFile + "' but you are trying to abort a transaction for '"
                    + file + "'\n";
        }
        txFile = null;
        txMaterial = null;
        return "Transaction aborted for certificate '" + file + "'!\n";
    }

    private String delCert(List<String> args, String payload, CliSession s) {
        String file = arg(args, 3);
        if (file.isEmpty()) {
            return "'del ssl cert' expects a certificate name\n";
        }
        String cant = "Can't remove the certificate: ";
        if (file.equals(txFile)) {
            return cant + "ongoing transaction for the certificate '" + file + "'\n";
        }
        if (emptyFiles.remove(file) != null) {
            return "Certificate '" + file + "' deleted!\n";
        }
        StoredCertificate c = stored(file);
        if (c == null) {
            return cant + "certificate '" + file + "' doesn't exist!\n";
        }
        if (c.used()) {
            return cant + "certificate '" + file + "' in use, can't be deleted!\n";
        }
        try {
            store.remove(file);
        } catch (CertificateUpdateException e) {
            return cant + oneLine(e.getMessage()) + "\n";
        }
        log.info("runtime API: certificate {} deleted", file);
        return "Certificate '" + file + "' deleted!\n";
    }

    private String showCert(List<String> args, String payload, CliSession s) {
        String name = arg(args, 3);
        if (name.isEmpty()) {
            StringBuilder sb = new StringBuilder();
            if (txFile != null) {
                sb.append("# transaction\n*").append(txFile).append('\n');
            }
            sb.append("# filename\n");
            List<String> files = new ArrayList<>(emptyFiles.keySet());
            for (StoredCertificate c : store.certificates()) {
                files.add(c.file());
            }
            files.sort(null);
            files.forEach(f -> sb.append(f).append('\n'));
            return sb.toString();
        }
        boolean inTx = false;
        String file = name;
        if (name.startsWith("*") && txFile != null && txFile.equals(name.substring(1))) {
            inTx = true;
            file = name.substring(1);
        } else if (name.startsWith("*") && txFile != null && txFile.equals(Target.of(name.substring(1)).file())) {
            inTx = true;
            file = name.substring(1);
        }
        Target t = Target.of(file);
        if (t.part().equals(".ocsp")) {
            byte[] der = ocspOf(t.file(), inTx);
            if (der == null) {
                return "Can't display the certificate: Not found or the certificate is a bundle!\n";
            }
            return OcspResponseText.render(der);
        }
        CertificateMaterial m;
        String status;
        if (inTx) {
            m = txMaterial;
            status = m.leaf() == null ? "Empty" : "Uncommitted";
        } else if (emptyFiles.containsKey(file)) {
            m = null;
            status = "Empty";
        } else {
            StoredCertificate c = stored(file);
            if (c == null) {
                return "Can't display the certificate: Not found or the certificate is a bundle!\n";
            }
            m = c.material();
            status = m == null || m.leaf() == null ? "Empty" : c.used() ? "Used" : "Unused";
        }
        StringBuilder sb = new StringBuilder("Filename: ").append(inTx ? "*" : "").append(file).append('\n');
        sb.append("Status: ").append(status).append('\n');
        if (m != null && m.leaf() != null) {
            sb.append(CertificateDetails.render(m.chain()));
            if (!inTx && ocsp != null) {
                OcspEntry e = OcspCommands.find(ocsp, file);
                if (e != null && e.certIdHex() != null) {
                    sb.append("OCSP Response Key: ").append(e.certIdHex()).append('\n');
                }
            }
        }
        return sb.toString();
    }

    private byte[] ocspOf(String file, boolean inTx) {
        if (inTx) {
            return txMaterial.ocsp();
        }
        if (ocsp != null) {
            OcspEntry e = OcspCommands.find(ocsp, file);
            if (e != null && e.staple() != null) {
                return e.staple().der();
            }
        }
        StoredCertificate c = stored(file);
        return c == null || c.material() == null ? null : c.material().ocsp();
    }
}
