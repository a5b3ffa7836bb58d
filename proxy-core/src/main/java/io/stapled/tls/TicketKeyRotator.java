package io.stapled.tls;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.SslContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Session-ticket keys of one frontend. Every context of the frontend gets the same keys, so a ticket
 * issued under one certificate's context resumes under another's. Each rotation makes a fresh random
 * key that encrypts new tickets; the previous key still decrypts (and BoringSSL renews those tickets),
 * so a ticket lives at most two rotation periods. Rotation runs on a scheduler thread, never on an
 * event loop; installing keys takes the context's write lock, which handshakes only read-lock.
 */
public final class TicketKeyRotator implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TicketKeyRotator.class);

    private final String frontend;
    private final Duration period;
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;
    private final SecureRandom random = new SecureRandom();
    private final List<OpenSslSessionContext> contexts = new CopyOnWriteArrayList<>();
    private volatile OpenSslSessionTicketKey[] keys;
    /** Fleet mode: until then the keys come from the fleet ({@link #install}) and own rotations pause. */
    private volatile long externalUntilMillis;
    private ScheduledFuture<?> task;

    /**
     * @param scheduler where rotation runs; null makes (and on close stops) a daemon thread of its own
     */
    public TicketKeyRotator(String frontend, Duration period, ScheduledExecutorService scheduler) {
        if (period.isZero() || period.isNegative()) {
            throw new TlsSetupException(frontend + ": tls.ticket_key_rotation must be positive, not " + period);
        }
        this.frontend = frontend;
        this.period = period;
        this.ownsScheduler = scheduler == null;
        this.scheduler = scheduler != null ? scheduler : Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "stapled-ticket-keys-" + frontend);
            t.setDaemon(true);
            return t;
        });
        this.keys = new OpenSslSessionTicketKey[] {newKey()};
    }

    public synchronized void start() {
        if (task == null) {
            long ms = period.toMillis();
            task = scheduler.scheduleAtFixedRate(this::rotateQuietly, ms, ms, TimeUnit.MILLISECONDS);
        }
    }

    /** Installs the current keys on this context now and on every later rotation. Non-OpenSSL contexts are ignored. */
    public void register(SslContext context) {
        if (context.sessionContext() instanceof OpenSslSessionContext s) {
            contexts.add(s);
            s.setTicketKeys(keys);
        }
    }

    public String frontend() {
        return frontend;
    }

    public Duration period() {
        return period;
    }

    /**
     * Fleet mode: serves keys made by the fleet's rotating member — {@code keys[0]} encrypts new tickets,
     * every one decrypts — on every context now and on those registered later, and pauses this rotator's
     * own rotations until {@code untilMillis} (epoch ms). If the fleet stops sending keys (its store away)
     * own rotations resume then, on the keys held, so tickets keep being renewed; only resumption on other
     * members is lost until the fleet's keys come back.
     */
    public synchronized void install(OpenSslSessionTicketKey[] fleetKeys, long untilMillis) {
        OpenSslSessionTicketKey[] next = fleetKeys.clone();
        keys = next;
        externalUntilMillis = untilMillis;
        for (OpenSslSessionContext s : contexts) {
            s.setTicketKeys(next);
        }
        log.debug("{}: installed {} fleet session ticket keys on {} contexts", frontend, next.length, contexts.size());
    }

    /** True while fleet keys are served and own rotations pause. */
    public boolean fleetKeys() {
        return System.currentTimeMillis() < externalUntilMillis;
    }

    public void unregister(SslContext context) {
        contexts.remove(context.sessionContext());
    }

    /** Makes a new encrypting key and keeps the last one for decryption only. */
    public synchronized void rotate() {
        OpenSslSessionTicketKey[] next = {newKey(), keys[0]};
        keys = next;
        for (OpenSslSessionContext s : contexts) {
            s.setTicketKeys(next);
        }
        log.debug("{}: rotated session ticket keys on {} contexts", frontend, contexts.size());
    }

    private void rotateQuietly() {
        if (fleetKeys()) {
            return;
        }
        try {
            rotate();
        } catch (RuntimeException e) {
            log.warn("{}: session ticket key rotation failed: {}", frontend, e.toString());
        }
    }

    private OpenSslSessionTicketKey newKey() {
        byte[] name = new byte[OpenSslSessionTicketKey.NAME_SIZE];
        byte[] hmac = new byte[OpenSslSessionTicketKey.HMAC_KEY_SIZE];
        byte[] aes = new byte[OpenSslSessionTicketKey.AES_KEY_SIZE];
        random.nextBytes(name);
        random.nextBytes(hmac);
        random.nextBytes(aes);
        return new OpenSslSessionTicketKey(name, hmac, aes);
    }

    @Override
    public synchronized void close() {
        if (task != null) {
            task.cancel(false);
            task = null;
        }
        contexts.clear();
        if (ownsScheduler) {
            scheduler.shutdownNow();
        }
    }
}
