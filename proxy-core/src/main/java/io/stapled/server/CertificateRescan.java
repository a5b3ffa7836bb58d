package io.stapled.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.stapled.config.CertificateSource;
import io.stapled.ocsp.ManagedCertificate;
import io.stapled.ocsp.OcspManager;
import io.stapled.ocsp.OcspSettings;
import io.stapled.ocsp.StapleFiles;
import io.stapled.tls.CertificateLayout;
import io.stapled.tls.CertificateLoader;
import io.stapled.tls.LoadedCertificate;

import static io.stapled.text.OneLine.oneLine;

/**
 * {@code stapled staple} notices certificates added, renewed or removed while it runs (certbot writing a
 * renewed {@code site.pem} into HAProxy's directory): every {@code interval} it compares what the
 * sources look like on disk (names, sizes and times of the files, {@code .ocsp} files and dotfiles aside)
 * with the last load, and only on a difference loads them again with the engine as their slots — which
 * manages a new file, and a new leaf under a known file, at once ({@link OcspManager#slotFor}) — then
 * stops managing the files that are gone. A load that fails (a renewal half written) changes nothing,
 * is logged once, and is tried again at the next difference.
 */
final class CertificateRescan implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CertificateRescan.class);

    private final List<CertificateSource> sources;
    private final CertificateLayout layout;
    private final OcspManager ocsp;
    private final OcspSettings settings;
    private final ScheduledExecutorService thread;
    private Map<String, String> lastSeen;
    private List<LoadedCertificate> loaded;
    private String lastFailure;

    CertificateRescan(List<CertificateSource> sources, CertificateLayout layout, OcspManager ocsp,
                      List<LoadedCertificate> loaded) {
        this.sources = List.copyOf(sources);
        this.layout = layout;
        this.ocsp = ocsp;
        this.settings = ocsp.settings();
        this.loaded = List.copyOf(loaded);
        this.lastSeen = snapshot();
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "stapled-rescan");
            th.setDaemon(true);
            return th;
        });
        t.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.thread = t;
    }

    void start(Duration interval) {
        long ms = interval.toMillis();
        thread.scheduleWithFixedDelay(this::rescanSafely, ms, ms, TimeUnit.MILLISECONDS);
    }

    private void rescanSafely() {
        try {
            rescan();
        } catch (RuntimeException e) {
            log.error("certificate rescan failed", e);
        }
    }

    void rescan() {
        Map<String, String> now = snapshot();
        if (now.equals(lastSeen)) {
            return;
        }
        List<LoadedCertificate> next = new ArrayList<>();
        try {
            for (CertificateSource source : sources) {
                next.addAll(CertificateLoader.load(source, ocsp, layout));
            }
        } catch (RuntimeException e) {
            String why = oneLine(e);
            if (!why.equals(lastFailure)) {
                log.warn("certificates changed on disk but do not load ({}); still stapling the ones loaded before,"
                        + " trying again at the next change", why);
                lastFailure = why;
            }
            lastSeen = now;
            return;
        }
        lastFailure = null;
        Set<String> ids = new HashSet<>();
        for (LoadedCertificate c : next) {
            ids.add(c.ocspSubject().id());
            if (c.ocspSubject().missingIssuer(settings)) {
                log.warn("certificate {}: missing issuer certificate for OCSP; it is not stapled", c.source());
            }
        }
        Set<String> before = new HashSet<>();
        for (LoadedCertificate c : loaded) {
            before.add(c.ocspSubject().id());
        }
        int added = 0;
        int removed = 0;
        for (String id : ids) {
            if (!before.contains(id)) {
                added++;
            }
        }
        for (ManagedCertificate mc : ocsp.certificates()) {
            if (!ids.contains(mc.id())) {
                ocsp.unmanage(mc.id());
                removed++;
            }
        }
        log.info("certificates changed on disk: {} now ({} new, {} gone; renewed leaves are stapled anew)",
                ids.size(), added, removed);
        loaded = List.copyOf(next);
        lastSeen = snapshot(); // the files the new load names
    }

    /** Path to size and modification time of every file the sources consist of, as far as they are known. */
    private Map<String, String> snapshot() {
        Map<String, String> seen = new TreeMap<>();
        for (CertificateSource source : sources) {
            if (source instanceof CertificateSource.Directory d) {
                try (Stream<Path> files = Files.list(d.dir())) {
                    files.filter(p -> !p.getFileName().toString().startsWith(".")
                                    && !p.getFileName().toString().endsWith(".ocsp"))
                            .forEach(p -> seen.put(p.toString(), stamp(p)));
                } catch (IOException e) {
                    seen.put(d.dir().toString(), "unreadable: " + e.getMessage());
                }
            } else if (source instanceof CertificateSource.CrtList c) {
                seen.put(c.file().toString(), stamp(c.file()));
            } else if (source instanceof CertificateSource.File f) {
                seen.put(f.crt().toString(), stamp(f.crt()));
            }
        }
        for (LoadedCertificate c : loaded) {
            seen.put(c.source().toString(), stamp(c.source()));
        }
        return seen;
    }

    private static String stamp(Path p) {
        StapleFiles.Stamp s = StapleFiles.stamp(p);
        return s.modified() + "/" + s.size() + "/" + s.fileKey();
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
