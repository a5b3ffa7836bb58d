package io.stapled.tls;

import java.util.List;

import io.netty.channel.ChannelHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import io.stapled.config.TlsConfig;

/**
 * The TLS side of one frontend: its certificates, their contexts in a {@link CertificateStore}, and
 * the session-ticket keys. {@link #newHandler()} gives the first handler of each client pipeline.
 */
public final class TlsFrontend implements AutoCloseable {
    private final String name;
    private final TlsConfig tls;
    private final ServerContextFactory contexts;
    private final CertificateStore store;
    private final List<LoadedCertificate> certificates;
    private final TicketKeyRotator tickets;
    private volatile boolean closed;

    TlsFrontend(String name, TlsConfig tls, ServerContextFactory contexts, CertificateSnapshot snapshot,
                TicketKeyRotator tickets) {
        this.name = name;
        this.tls = tls;
        this.contexts = contexts;
        this.store = new CertificateStore(snapshot);
        this.certificates = snapshot.certificates().stream().map(ServingCertificate::certificate).toList();
        this.tickets = tickets;
    }

    public String name() {
        return name;
    }

    public CertificateStore store() {
        return store;
    }

    /** The certificates loaded at start, in load order; the first is the default unless configured. */
    public List<LoadedCertificate> certificates() {
        return certificates;
    }

    /** The certificates served now: those of the current snapshot, after any runtime swap. */
    public List<LoadedCertificate> servedCertificates() {
        return store.current().certificates().stream().map(ServingCertificate::certificate).toList();
    }

    /** A new handler for one client channel; add it first in the pipeline. */
    public ChannelHandler newHandler() {
        return new CertificateSelectingHandler(store, tls.handshakeTimeout().toMillis(),
                !tls.sessionTickets() && contexts.isOpenSsl());
    }

    /**
     * A context for a certificate loaded later (a runtime certificate swap), with this frontend's TLS
     * settings and ticket keys. Serve it with {@link #replace}, or {@link #retire} it if it is not used.
     */
    public ServingCertificate prepare(LoadedCertificate certificate) {
        ServingCertificate serving = contexts.newServing(certificate);
        if (tickets != null) {
            tickets.register(serving.sslContext());
        }
        return serving;
    }

    /**
     * Serves {@code next} in {@code old}'s place from the next handshake on: one snapshot swap, then
     * {@code old} is retired (connections already using it hold their own reference and keep it).
     * Whatever {@code next} needs from the start (its staple) must be in place before this call.
     * One caller at a time (the runtime API's worker).
     */
    public void replace(ServingCertificate old, ServingCertificate next) {
        store.replace(store.current().replacing(old, next));
        retire(old);
    }

    /**
     * Serves {@code next} as well from the next handshake on (one snapshot swap). Like {@link #replace}:
     * its staple must be in place first; one caller at a time.
     */
    public void add(ServingCertificate next) {
        store.replace(store.current().adding(next));
    }

    /**
     * Stops serving {@code gone} from the next handshake on (one snapshot swap), then retires it;
     * connections already using it keep it. One caller at a time.
     *
     * @throws IllegalArgumentException for the default certificate, or one this frontend does not serve
     */
    public void remove(ServingCertificate gone) {
        store.replace(store.current().removing(gone));
        retire(gone);
    }

    /** Stops rotating keys for a certificate's context and drops this frontend's reference to it. */
    public void retire(ServingCertificate serving) {
        if (tickets != null) {
            tickets.unregister(serving.sslContext());
        }
        ReferenceCountUtil.release(serving.sslContext());
    }

    /** The session-ticket keys of this frontend, or null when tickets are off (or not BoringSSL). */
    public TicketKeyRotator ticketKeys() {
        return tickets;
    }

    /** Rotates the ticket keys now (the runtime API and tests); a no-op when tickets are off. */
    public void rotateTicketKeys() {
        if (tickets != null) {
            tickets.rotate();
        }
    }

    /** Stops key rotation and releases the contexts of the current snapshot. Live connections keep theirs. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (tickets != null) {
            tickets.close();
        }
        contexts.close();
        for (ServingCertificate s : store.current().certificates()) {
            ReferenceCountUtil.release(s.sslContext());
        }
    }
}
