package io.stapled.admin;

import static io.stapled.text.OneLine.oneLine;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Predicate;
import java.util.function.Supplier;

import io.stapled.admin.CertificateAdmin.CertificateUpdateException;
import io.stapled.admin.CertificateAdmin.CrtList;
import io.stapled.admin.CertificateAdmin.ServedFrontend;
import io.stapled.admin.CertificateAdmin.StoredCertificate;
import io.stapled.tls.CrtListEntry;
import io.stapled.tls.CrtListParser;
import io.stapled.tls.KeyType;
import io.stapled.tls.LoadedCertificate;
import io.stapled.tls.TlsSetupException;

/**
 * HAProxy's crt-list commands ({@code show/add/del ssl crt-list}) and HAProxy 3.x's {@code show ssl
 * sni}. A line added names a certificate the store already knows (loaded, or made by {@code new/set/
 * commit ssl cert}); the store serves it in every frontend using the list from the next handshake on.
 *
 * <p>Every command runs on the runtime API's one worker thread, as the certificate transactions do:
 * the lists' lines need no lock, and building TLS contexts stays off the event loops.
 */
final class CrtListCommands {
    private final CertificateAdmin store;
    private final OcspAdmin ocsp;
    private final Executor worker;
    private final Supplier<Date> now;
    private final Predicate<String> emptyEntry;

    private CrtListCommands(CertificateAdmin store, OcspAdmin ocsp, Executor worker, Supplier<Date> now,
                            Predicate<String> emptyEntry) {
        this.store = store;
        this.ocsp = ocsp;
        this.worker = worker;
        this.now = now;
        this.emptyEntry = emptyEntry;
    }

    /** @param emptyEntry whether a file is an entry {@code new ssl cert} made and no commit filled yet */
    static List<RuntimeCommand> all(CertificateAdmin store, OcspAdmin ocsp, Executor worker,
                                    Predicate<String> emptyEntry) {
        CrtListCommands c = new CrtListCommands(store, ocsp, worker, Date::new, emptyEntry);
        return List.of(
                c.command("show ssl crt-list", CliLevel.OPERATOR,
                        "show ssl crt-list [-n] [<list>]         : show the list of crt-lists or the content of a crt-list file <list>",
                        c::show),
                c.command("add ssl crt-list", CliLevel.ADMIN,
                        "add ssl crt-list <list> <cert> [opts]*  : add to crt-list file <list> a line <cert> or a payload",
                        c::add),
                c.command("del ssl crt-list", CliLevel.ADMIN,
                        "del ssl crt-list <list> <cert[:line]>   : delete a line <cert> from crt-list file <list>",
                        c::del),
                c.command("show ssl sni", CliLevel.OPERATOR,
                        "show ssl sni [-f <frontend>] [-A]       : display the list of SNI and their corresponding filename",
                        c::sni));
    }

    private RuntimeCommand command(String words, CliLevel level, String usage, BasicCommand.SyncAction action) {
        return BasicCommand.async(words, level, usage, (args, payload, s) -> {
            if (store == null) {
                return RuntimeCommand.reply(CertCommands.NO_STORE);
            }
            return CompletableFuture.supplyAsync(() -> action.run(args, payload, s), worker);
        });
    }

    private CrtList list(String name) {
        for (CrtList l : store.crtLists()) {
            if (l.name().equals(name)) {
                return l;
            }
        }
        return null;
    }

    // ---- show ssl crt-list ------------------------------------------------------------------------

    private String show(List<String> args, String payload, CliSession s) {
        boolean numbered = false;
        String name = "";
        for (int i = 3; i < args.size(); i++) {
            if (args.get(i).equals("-n")) {
                numbered = true;
            } else {
                name = args.get(i);
            }
        }
        if (name.isEmpty()) {
            if (numbered) {
                return "'show ssl crt-list -n' expects a filename or a directory\n";
            }
            StringBuilder sb = new StringBuilder();
            // sorted by name, as HAProxy walks its tree of crt-lists
            store.crtLists().stream().map(CrtList::name).sorted().forEach(n -> sb.append(n).append('\n'));
            return sb.toString();
        }
        CrtList l = list(name);
        if (l == null) {
            return "didn't find the specified filename\n";
        }
        StringBuilder sb = new StringBuilder("# ").append(l.name()).append('\n');
        for (CrtListEntry e : l.lines()) {
            sb.append(line(e, numbered)).append('\n');
        }
        return sb.toString();
    }

    /** A line as HAProxy dumps it: {@code <crt>[:<line>] [<options>] <filters>}. */
    static String line(CrtListEntry e, boolean numbered) {
        StringBuilder sb = new StringBuilder(e.crt().toString());
        if (numbered) {
            sb.append(':').append(e.line());
        }
        List<String> options = new ArrayList<>();
        if (!e.alpn().isEmpty()) {
            options.add("alpn " + String.join(",", e.alpn()));
        }
        if (e.ocspUpdate() != null) {
            options.add("ocsp-update " + (e.ocspUpdate() ? "on" : "off"));
        }
        if (!e.tls().describe().isEmpty()) {
            options.add(e.tls().describe());
        }
        if (!options.isEmpty()) {
            sb.append(" [").append(String.join(" ", options)).append(']');
        }
        e.sni().forEach(n -> sb.append(' ').append(n));
        e.excluded().forEach(n -> sb.append(" !").append(n));
        return sb.toString();
    }

    // ---- add ssl crt-list -------------------------------------------------------------------------

    private String add(List<String> args, String payload, CliSession s) {
        String listName = args.size() > 3 ? args.get(3) : "";
        List<String> lines = new ArrayList<>();
        if (payload != null) {
            payload.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).forEach(lines::add);
        } else if (args.size() > 4) {
            lines.add(String.join(" ", args.subList(4, args.size())));
        }
        if (listName.isEmpty() || lines.isEmpty()) {
            return "'add ssl crtlist' expects a filename and a certificate name\n";
        }
        String cant = "Can't edit the crt-list: ";
        CrtList l = list(listName);
        if (l == null) {
            return cant + "crt-list '" + listName + "' does not exist!\n";
        }
        Path listPath = Path.of(l.name());
        StringBuilder out = new StringBuilder();
        int lineNo = l.lastLine();
        for (int i = 0; i < lines.size(); i++) {
            CrtListEntry parsed;
            String text = lines.get(i);
            try {
                parsed = CrtListParser.parseLine(listPath, lineNo + 1, text, l.crtBase());
            } catch (TlsSetupException e) {
                String msg = oneLine(e.getMessage());
                String prefix = listPath + ":" + (lineNo + 1) + ": ";
                return out + cant + "parsing [CLI:" + (i + 1) + "]: "
                        + (msg.startsWith(prefix) ? msg.substring(prefix.length()) : msg) + "\n";
            }
            String word = text.split("\\s+", 2)[0];
            StoredCertificate c = known(word, parsed.crt());
            if (c == null && emptyEntry.test(word)) {
                return out + cant + "certificate '" + word + "' is empty!\n";
            }
            if (c == null) {
                return out + cant + "certificate '" + word + "' does not exist!\n";
            }
            if (c.material() == null || c.material().leaf() == null || c.material().key() == null) {
                return out + cant + "certificate '" + c.file() + "' is empty!\n";
            }
            CrtListEntry entry = parsed.at(Path.of(c.file()), ++lineNo);
            byte[] der = c.used() ? null : c.material().ocsp();
            OcspAdmin.PushOutcome[] pushed = new OcspAdmin.PushOutcome[1];
            try {
                store.addCrtListLine(l.name(), entry, () -> {
                    if (der != null && ocsp != null) {
                        pushed[0] = ocsp.push(der);
                    }
                });
            } catch (CertificateUpdateException e) {
                return out + cant + oneLine(e.getMessage()) + "\n";
            }
            out.append("Inserting certificate '").append(c.file()).append("' in crt-list '").append(l.name())
                    .append("'.\nSuccess!\n");
            if (pushed[0] != null && !pushed[0].accepted()) {
                out.append("OCSP response of ").append(c.file()).append(" not installed: ")
                        .append(oneLine(pushed[0].message())).append('\n');
            }
        }
        return out.toString();
    }

    /** The stored certificate a line names: as written, or as resolved against the list's directory. */
    private StoredCertificate known(String written, Path resolved) {
        StoredCertificate byResolved = null;
        for (StoredCertificate c : store.certificates()) {
            if (c.file().equals(written)) {
                return c;
            }
            if (Path.of(c.file()).toAbsolutePath().normalize().equals(resolved.toAbsolutePath().normalize())) {
                byResolved = c;
            }
        }
        return byResolved;
    }

    // ---- del ssl crt-list -------------------------------------------------------------------------

    private String del(List<String> args, String payload, CliSession s) {
        String listName = args.size() > 3 ? args.get(3) : "";
        String target = args.size() > 4 ? args.get(4) : "";
        if (listName.isEmpty() || target.isEmpty()) {
            return "'del ssl crtlist' expects a filename and a certificate name\n";
        }
        String cant = "Can't delete the entry: ";
        String cert = target;
        int lineNo = 0;
        int colon = target.lastIndexOf(':');
        if (colon >= 0) {
            cert = target.substring(0, colon);
            try {
                lineNo = Integer.parseInt(target.substring(colon + 1));
            } catch (NumberFormatException e) {
                lineNo = -1;
            }
            if (lineNo <= 0) {
                return cant + "wrong line number after colons in '" + target + "'!\n";
            }
        }
        CrtList l = list(listName);
        if (l == null) {
            return cant + "crt-list '" + listName + "' does not exist!\n";
        }
        StoredCertificate c = null;
        for (StoredCertificate sc : store.certificates()) {
            if (sc.file().equals(cert)) {
                c = sc;
            }
        }
        if (c == null && emptyEntry.test(cert)) {
            return cant + "certificate '" + cert + "' is empty!\n";
        }
        if (c == null) {
            return cant + "certificate '" + cert + "' does not exist!\n";
        }
        if (c.material() == null || c.material().leaf() == null) {
            return cant + "certificate '" + cert + "' is empty!\n";
        }
        List<CrtListEntry> found = new ArrayList<>();
        for (CrtListEntry e : l.lines()) {
            if (e.crt().toString().equals(cert)) {
                found.add(e);
            }
        }
        if (found.isEmpty()) {
            return cant + "certificate '" + cert + "' can't be found in crt-list '" + l.name() + "'!\n";
        }
        String numbers = String.join(", ", found.stream().map(e -> Integer.toString(e.line())).toList());
        CrtListEntry entry = null;
        for (CrtListEntry e : found) {
            if (lineNo == 0 || e.line() == lineNo) {
                entry = entry == null ? e : entry;
            }
        }
        if (entry == null) {
            return cant + "found a certificate '" + cert + "' but the line number is incorrect, please specify a "
                    + "correct line number preceded by colons (" + numbers + ")!\n";
        }
        if (lineNo == 0 && found.size() > 1) {
            return cant + "found the certificate '" + cert + "' in several entries, please specify a line number "
                    + "preceded by colons (" + numbers + ")!\n";
        }
        List<String> defaultOf = defaultOf(l, entry);
        if (!defaultOf.isEmpty()) {
            StringBuilder sb = new StringBuilder(cant).append("certificate '").append(cert)
                    .append("' cannot be deleted, it is used as default certificate by the following frontends:\n");
            defaultOf.forEach(f -> sb.append("\t- ").append(f).append('\n'));
            return sb.toString();
        }
        try {
            store.removeCrtListLine(l.name(), entry);
        } catch (CertificateUpdateException e) {
            return cant + oneLine(e.getMessage()) + "\n";
        }
        return "Entry '" + cert + "' deleted in crtlist '" + l.name() + "'!\n";
    }

    /** The frontends using {@code l} whose default certificate (without strict SNI) is {@code entry}'s. */
    private List<String> defaultOf(CrtList l, CrtListEntry entry) {
        List<String> out = new ArrayList<>();
        for (ServedFrontend f : store.served()) {
            if (l.frontends().contains(f.frontend()) && !f.strictSni() && f.defaultCertificate() != null
                    && entry.servedBy(f.defaultCertificate())) {
                out.add(f.frontend());
            }
        }
        return out;
    }

    // ---- show ssl sni -----------------------------------------------------------------------------

    private String sni(List<String> args, String payload, CliSession s) {
        String only = null;
        boolean expired = false;
        List<ServedFrontend> all = store.served();
        for (int i = 3; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("-f")) {
                if (i + 1 >= args.size()) {
                    return "'-f' requires a frontend name!\n";
                }
                only = args.get(++i);
                String wanted = only;
                if (all.stream().noneMatch(f -> f.frontend().equals(wanted))) {
                    return "Couldn't find the specified frontend!\n";
                }
            } else if (a.equals("-A")) {
                expired = true;
            } else {
                return "Invalid parameters, 'show ssl sni' only supports '-f', or '-A' options!\n";
            }
        }
        Date at = now.get();
        StringBuilder sb = new StringBuilder("# Frontend/Bind\tSNI\tNegative Filter\tType\tFilename\tNotAfter\tNotBefore\n");
        for (ServedFrontend f : all) {
            if (only != null && !only.equals(f.frontend())) {
                continue;
            }
            List<String[]> exact = new ArrayList<>();
            List<String[]> wildcards = new ArrayList<>();
            for (LoadedCertificate c : f.certificates()) {
                X509Certificate leaf = c.leaf();
                if (expired && !at.after(leaf.getNotAfter())) {
                    continue;
                }
                for (String name : c.sniNames()) {
                    if (c.excludedNames().contains(name)) {
                        continue;
                    }
                    boolean wildcard = name.startsWith("*.");
                    String negative = "-";
                    if (wildcard && !c.excludedNames().isEmpty()) {
                        StringBuilder n = new StringBuilder();
                        c.excludedNames().forEach(x -> n.append('!').append(x).append(' '));
                        negative = n.toString();
                    }
                    String[] row = {wildcard ? name.substring(1) : name, f.frontend() + "/" + f.bind() + "\t" + name
                            + "\t" + negative + "\t" + (c.keyType() == KeyType.EC ? "ecdsa" : "rsa") + "\t"
                            + c.source() + "\t" + OcspResponseText.time(leaf.getNotAfter()) + "\t" + OcspResponseText.time(leaf.getNotBefore())
                            + "\n"};
                    (wildcard ? wildcards : exact).add(row);
                }
            }
            // HAProxy walks its exact-name tree, then its wildcard tree, each in key order
            Comparator<String[]> byKey = Comparator.comparing(r -> r[0]);
            exact.sort(byKey);
            wildcards.sort(byKey);
            exact.forEach(r -> sb.append(r[1]));
            wildcards.forEach(r -> sb.append(r[1]));
        }
        return sb.toString();
    }
}
