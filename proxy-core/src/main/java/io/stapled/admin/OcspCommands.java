package io.stapled.admin;

import io.stapled.text.Json;
import static io.stapled.text.OneLine.oneLine;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

import io.stapled.ocsp.Staple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HAProxy's OCSP commands ({@code set/show/update ssl ocsp-response}, {@code show ssl ocsp-updates})
 * over the OCSP engine, plus {@code json} forms HAProxy does not have.
 */
final class OcspCommands {
    private static final Logger log = LoggerFactory.getLogger(OcspCommands.class);
    static final String UPDATES_HEADER = "OCSP Certid | Path | Next Update | Last Update | Successes | Failures | "
            + "Last Update Status | Last Update Status (str)\n";
    private static final DateTimeFormatter LOG_DATE =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.US);
    static final String NO_OCSP = "OCSP stapling is not enabled in this process.\n";

    private OcspCommands() { }

    /**
     * @param worker runs {@code set ssl ocsp-response}: verifying a signature and writing the
     *               {@code .ocsp} file stay off the event loop
     */
    static List<RuntimeCommand> all(OcspAdmin ocsp, Supplier<Instant> clock, Executor worker) {
        return List.of(
                BasicCommand.async("set ssl ocsp-response", CliLevel.ADMIN,
                        "set ssl ocsp-response <resp|payload>       : update a certificate's OCSP Response from a base64-encode DER",
                        (args, payload, s) -> CompletableFuture.supplyAsync(() -> set(ocsp, args, payload), worker)),
                BasicCommand.sync("show ssl ocsp-response", CliLevel.ADMIN,
                        "show ssl ocsp-response [[text|base64|json] id]  : display the IDs of the OCSP responses used in memory, or the details of a single OCSP response (in text, base64 or json format)",
                        (args, payload, s) -> show(ocsp, args, clock.get())),
                BasicCommand.sync("show ssl ocsp-updates", CliLevel.ADMIN,
                        "show ssl ocsp-updates [json]               : display information about the next OCSP responses that will be updated automatically",
                        (args, payload, s) -> updates(ocsp, args, clock.get())),
                BasicCommand.async("update ssl ocsp-response", CliLevel.ADMIN,
                        "update ssl ocsp-response <certfile>     : send ocsp request, wait for and show the new OCSP response",
                        (args, payload, s) -> update(ocsp, args)));
    }

    private static String set(OcspAdmin ocsp, List<String> args, String payload) {
        if (ocsp == null) {
            return NO_OCSP;
        }
        String text = payload != null ? payload : args.size() > 3 ? args.get(3) : "";
        String b64 = text.replaceAll("\\s", "");
        if (b64.isEmpty()) {
            return "'set ssl ocsp-response' expects response in base64 encoding.\n";
        }
        byte[] der;
        try {
            der = Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            return "'set ssl ocsp-response' received invalid base64 encoded response.\n";
        }
        OcspAdmin.PushOutcome outcome = ocsp.push(der);
        if (outcome.accepted()) {
            log.info("runtime API: OCSP response for {} updated", outcome.id());
            return "OCSP Response updated!\n";
        }
        log.warn("runtime API: OCSP response refused: {}", outcome.message());
        String m = outcome.message() == null ? "Failed to update OCSP response" : outcome.message();
        return oneLine(m.endsWith(".") ? m : m + ".") + "\n";
    }

    static OcspEntry find(OcspAdmin ocsp, String key) {
        for (OcspEntry e : ocsp.entries()) {
            if (key.equalsIgnoreCase(e.certIdHex()) || key.equals(e.path()) || key.equals(e.id())) {
                return e;
            }
        }
        return null;
    }

    private static String show(OcspAdmin ocsp, List<String> args, Instant now) {
        if (ocsp == null) {
            return NO_OCSP;
        }
        int i = 3;
        String format = "text";
        if (i < args.size() && (args.get(i).equals("text") || args.get(i).equals("base64") || args.get(i).equals("json"))) {
            format = args.get(i++);
            if (i >= args.size() && !format.equals("json")) {
                return "'show ssl ocsp-response [text|base64]' expects a valid certid.\n";
            }
        }
        if (i >= args.size()) {
            return format.equals("json") ? json(ocsp.entries(), now) : list(ocsp.entries());
        }
        String key = args.get(i);
        OcspEntry e = find(ocsp, key);
        if (e == null || (e.staple() == null && !format.equals("json"))) {
            return key.matches("[0-9a-fA-F]+") || e != null
                    ? "Certificate ID or path does not match any certificate.\n"
                    : "'show ssl ocsp-response' expects a valid certid or certificate path.\n";
        }
        return switch (format) {
            case "base64" -> Base64.getEncoder().encodeToString(e.staple().der()) + "\n";
            case "json" -> json(List.of(e), now);
            default -> OcspResponseText.render(e.staple().der());
        };
    }

    /**
     * HAProxy's list: key, path, then the CertID fields indented as OpenSSL prints them, in HAProxy's order
     * (its tree of responses compares the DER CertIDs bytewise, zero-padded), so two runs list alike.
     */
    static String list(List<OcspEntry> entries) {
        StringBuilder sb = new StringBuilder("# Certificate IDs\n");
        List<OcspEntry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparing(OcspEntry::certIdHex,
                Comparator.nullsLast(OcspCommands::compareZeroPadded)));
        for (OcspEntry e : sorted) {
            if (e.certIdHex() == null) {
                continue;
            }
            sb.append("Certificate ID key : ").append(e.certIdHex()).append('\n');
            sb.append("Certificate path : ").append(e.path()).append('\n');
            sb.append(" Certificate ID:\n");
            sb.append("   Issuer Name Hash: ").append(e.issuerNameHashHex().toUpperCase(Locale.ROOT)).append('\n');
            sb.append("   Issuer Key Hash: ").append(e.issuerKeyHashHex().toUpperCase(Locale.ROOT)).append('\n');
            sb.append("   Serial Number: ").append(serial(e.serialHex())).append('\n');
        }
        return sb.toString();
    }

    /** Bytewise order of two hex strings with the shorter padded with zeros, as a fixed-length memcmp. */
    static int compareZeroPadded(String a, String b) {
        int n = Math.max(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = i < a.length() ? a.charAt(i) : '0';
            char y = i < b.length() ? b.charAt(i) : '0';
            if (x != y) {
                return Character.compare(x, y);
            }
        }
        return 0;
    }

    private static String serial(String hex) {
        String h = hex.toUpperCase(Locale.ROOT);
        while (h.length() > 2 && h.startsWith("00")) {
            h = h.substring(2);
        }
        return h;
    }

    private static String updates(OcspAdmin ocsp, List<String> args, Instant now) {
        if (ocsp == null) {
            return NO_OCSP;
        }
        List<OcspEntry> entries = new ArrayList<>();
        for (OcspEntry e : ocsp.entries()) {
            if (e.certIdHex() != null && e.nextRefresh() != null) {
                entries.add(e);
            }
        }
        entries.sort(Comparator.comparing(OcspEntry::nextRefresh));
        if (args.size() > 3 && args.get(3).equals("json")) {
            return json(entries, now);
        }
        StringBuilder sb = new StringBuilder(UPDATES_HEADER);
        for (OcspEntry e : entries) {
            sb.append(e.certIdHex()).append(" | ").append(e.path()).append(" | ")
                    .append(logDate(e.nextRefresh())).append(" | ")
                    .append(e.lastUpdate() == null ? "-" : logDate(e.lastUpdate())).append(" | ")
                    .append(e.successes()).append(" | ").append(e.failures()).append(" | ")
                    .append(e.lastStatus()).append(" | ").append(e.lastStatusText());
            if (e.lastError() != null && e.lastStatus() > 1) {
                sb.append(" (").append(oneLine(e.lastError())).append(')');
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static CompletionStage<String> update(OcspAdmin ocsp, List<String> args) {
        if (ocsp == null) {
            return RuntimeCommand.reply(NO_OCSP);
        }
        if (args.size() < 4) {
            return RuntimeCommand.reply("'update ssl ocsp-response' expects a filename\n");
        }
        String file = args.get(3);
        OcspEntry e = find(ocsp, file);
        if (e == null) {
            return RuntimeCommand.reply("Unknown certificate! 'update ssl ocsp-response' expects an already known "
                    + "certificate file name.\n");
        }
        return ocsp.refresh(e.id()).thenApply(report -> {
            if (!report.success()) {
                return oneLine(report.message()) + "\nCan't update the OCSP response of " + file + "!\n";
            }
            OcspEntry now = find(ocsp, e.id());
            return now == null || now.staple() == null ? "OCSP Response updated!\n"
                    : OcspResponseText.render(now.staple().der());
        });
    }

    /** stapled's JSON view of entries: what the text commands show plus expiry, responder and last error. */
    static String json(List<OcspEntry> entries, Instant now) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < entries.size(); i++) {
            OcspEntry e = entries.get(i);
            Staple st = e.staple();
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"id\":").append(Json.quote(e.id()))
                    .append(",\"path\":").append(Json.quote(e.path()))
                    .append(",\"certid\":").append(Json.quote(e.certIdHex()))
                    .append(",\"serial\":").append(Json.quote(e.serialHex()))
                    .append(",\"responder\":").append(Json.quote(e.responder() == null ? null : e.responder().toString()))
                    .append(",\"must_staple\":").append(e.mustStaple())
                    .append(",\"stapled\":").append(st != null && st.isValidAt(now))
                    .append(",\"cert_status\":").append(Json.quote(st == null ? null : st.status().name().toLowerCase(Locale.ROOT)))
                    .append(",\"origin\":").append(Json.quote(st == null ? null : st.origin().name().toLowerCase(Locale.ROOT)))
                    .append(",\"produced_at\":").append(Json.quote(st == null ? null : iso(st.producedAt())))
                    .append(",\"this_update\":").append(Json.quote(st == null ? null : iso(st.thisUpdate())))
                    .append(",\"next_update\":").append(Json.quote(st == null ? null : iso(st.nextUpdate())))
                    .append(",\"seconds_to_expiry\":")
                    .append(st == null ? "null" : Long.toString(Math.max(0, Duration.between(now, st.nextUpdate()).toSeconds())))
                    .append(",\"next_refresh\":").append(Json.quote(iso(e.nextRefresh())))
                    .append(",\"last_update\":").append(Json.quote(iso(e.lastUpdate())))
                    .append(",\"successes\":").append(e.successes())
                    .append(",\"failures\":").append(e.failures())
                    .append(",\"last_status\":").append(e.lastStatus())
                    .append(",\"last_status_text\":").append(Json.quote(e.lastStatusText()))
                    .append(",\"last_error\":").append(Json.quote(e.lastError()))
                    .append('}');
        }
        return sb.append("]\n").toString();
    }

    /** UTC, to the second: {@code 2026-11-24T07:41:20Z}; null stays null. */
    private static String iso(Instant t) {
        return t == null ? null : t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    }

    /** HAProxy's log date ({@code 30/Jan/2023:00:08:09 +0000}) in the process's time zone. */
    static String logDate(Instant t) {
        return LOG_DATE.format(t.atZone(ZoneId.systemDefault()));
    }
}
