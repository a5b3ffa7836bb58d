package io.stapled.tls;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;

import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import io.stapled.config.CertificateSource;
import io.stapled.config.FrontendConfig;
import io.stapled.config.GlobalConfig;
import io.stapled.ocsp.StapleSlots;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a frontend's config into a running {@link TlsFrontend}: loads its certificates, builds one
 * context per certificate, installs ticket keys and builds the first snapshot. Fails with a one-line
 * {@link TlsSetupException} (naming the frontend and the file) and frees what it built; a certificate
 * source read from a config file fails instead with a {@link io.stapled.config.ConfigException} at the
 * config line that named the file ({@link CertificateLoader#load}).
 */
public final class TlsFrontendFactory {
    private static final Logger log = LoggerFactory.getLogger(TlsFrontendFactory.class);

    private TlsFrontendFactory() { }

    public static TlsFrontend create(FrontendConfig frontend, GlobalConfig global) {
        return create(frontend, global, null, StapleSlots.UNMANAGED);
    }

    /** @param slots where each certificate's staple slot comes from (the OCSP engine, in the proxy) */
    public static TlsFrontend create(FrontendConfig frontend, GlobalConfig global, StapleSlots slots) {
        return create(frontend, global, null, slots);
    }

    public static TlsFrontend create(FrontendConfig frontend, GlobalConfig global, ScheduledExecutorService scheduler) {
        return create(frontend, global, scheduler, StapleSlots.UNMANAGED);
    }

    /**
     * @param scheduler where ticket keys rotate (not an event loop); null gives the frontend a daemon
     *                  thread of its own
     */
    public static TlsFrontend create(FrontendConfig frontend, GlobalConfig global, ScheduledExecutorService scheduler,
                                     StapleSlots slots) {
        String name = frontend.name();
        try {
            return build(frontend, global, scheduler, slots);
        } catch (TlsSetupException e) {
            throw new TlsSetupException("frontend " + name + ": " + e.getMessage(), e);
        }
    }

    private static TlsFrontend build(FrontendConfig frontend, GlobalConfig global, ScheduledExecutorService scheduler,
                                     StapleSlots slots) {
        SslProvider provider = TlsProviders.resolve(global.tlsProvider());
        if (frontend.certificates().isEmpty()) {
            throw new TlsSetupException("no certificates configured");
        }
        CertificateLayout layout = CertificateLayout.of(global.certificateFiles());
        List<LoadedCertificate> loaded = new ArrayList<>();
        for (CertificateSource source : frontend.certificates()) {
            loaded.addAll(CertificateLoader.load(source, slots, layout));
        }
        ServerContextFactory contexts = new ServerContextFactory(frontend.tls(), provider);
        TicketKeyRotator tickets = frontend.tls().sessionTickets() && contexts.isOpenSsl()
                ? new TicketKeyRotator(frontend.name(), frontend.tls().ticketKeyRotation(), scheduler)
                : null;
        List<ServingCertificate> serving = new ArrayList<>();
        try {
            for (LoadedCertificate c : loaded) {
                ServingCertificate s = contexts.newServing(c);
                serving.add(s);
                if (tickets != null) {
                    tickets.register(s.sslContext());
                }
            }
            CertificateSnapshot.Builder snapshot = CertificateSnapshot.builder().addAll(serving)
                    .strictSni(frontend.tls().strictSni());
            if (frontend.defaultCertificate() != null) {
                snapshot.defaultCertificate(findDefault(frontend.defaultCertificate(), serving));
            }
            TlsFrontend tls = new TlsFrontend(frontend.name(), frontend.tls(), contexts, snapshot.build(), tickets);
            if (tickets != null) {
                tickets.start();
            }
            log.info("frontend {}: {} certificates loaded, TLS by {}", frontend.name(), loaded.size(),
                    provider == SslProvider.JDK ? "the JDK" : "BoringSSL");
            return tls;
        } catch (RuntimeException e) {
            for (ServingCertificate s : serving) {
                ReferenceCountUtil.release(s.sslContext());
            }
            if (tickets != null) {
                tickets.close();
            }
            contexts.close();
            throw e;
        }
    }

    private static ServingCertificate findDefault(String path, List<ServingCertificate> serving) {
        Path wanted = Path.of(path).toAbsolutePath().normalize();
        for (ServingCertificate s : serving) {
            if (s.certificate().source().toAbsolutePath().normalize().equals(wanted)) {
                return s;
            }
        }
        throw new TlsSetupException("default_certificate " + path + " is not one of the frontend's certificates");
    }
}
