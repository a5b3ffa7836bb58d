package io.stapled.fleet;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.stapled.config.FleetConfig;
import io.stapled.ocsp.ManagedCertificate;
import io.stapled.ocsp.OcspListener;
import io.stapled.ocsp.OcspManager;
import io.stapled.ocsp.OcspVerificationException;
import io.stapled.ocsp.RefreshOutcome;
import io.stapled.ocsp.SharedStaples;
import io.stapled.ocsp.Staple;
import io.stapled.ocsp.VerifiedResponse;
import io.stapled.text.OneLine;
import io.stapled.tls.TicketKeyRotator;
import redis.clients.jedis.BinaryJedisPubSub;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.SetParams;

/**
 * Fleet mode on Redis: this member's connection to the fleet, its shared staples (below) and, with
 * {@code fleet.ticket_key_file}, its shared session-ticket keys ({@link FleetTicketKeys}).
 *
 * <p>Staples. Per certificate (by the hex DER of its CertID in the managed hash):
 * <ul>
 *   <li>{@code <prefix>staple:<certid>}: a hash {@code der}, {@code this_update}, {@code next_update}
 *       (epoch ms), {@code node}; it expires at the staple's nextUpdate. Written only by {@link #STORE}, which
 *       replaces a stored staple only with a newer thisUpdate and publishes in the same step;</li>
 *   <li>{@code <prefix>lease:<certid>}: the fetch lease, {@code SET NX PX lease}, value
 *       {@code <node> <token>}; released (only by its holder) once the staple is stored.</li>
 * </ul>
 * The channel {@code <prefix>staples} carries the CertID of each stored staple; every member subscribes
 * and, on a message or on (re)joining, reads the staple and hands it to the engine, which verifies it
 * ({@link OcspManager#acceptShared}). Redis being away is never an error here: this member then fetches on
 * its own (the engine asks, this answers {@link Lease#FETCH}) until the subscription comes back.
 */
public final class RedisFleet implements SharedStaples, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RedisFleet.class);
    private static final Duration RECONNECT = Duration.ofMillis(500);
    private static final Duration HEARTBEAT = Duration.ofSeconds(1);
    /** The end of JedisSentinelPool's message when a sentinel answers but monitors no master of the name. */
    private static final String NOT_MONITORED = " seems to be not monitored...";

    /** KEYS: staple, channel; ARGV: der, thisUpdate, nextUpdate, node, message, force. */
    private static final byte[] STORE = bytes("""
            local cur = redis.call('HGET', KEYS[1], 'this_update')
            if ARGV[6] ~= '1' and cur and tonumber(cur) and tonumber(cur) >= tonumber(ARGV[2]) then return 0 end
            redis.call('HSET', KEYS[1], 'der', ARGV[1], 'this_update', ARGV[2], 'next_update', ARGV[3], 'node', ARGV[4])
            redis.call('PEXPIREAT', KEYS[1], ARGV[3])
            redis.call('PUBLISH', KEYS[2], ARGV[5])
            return 1
            """);
    /** KEYS: lease; ARGV: value. */
    private static final byte[] RELEASE = bytes("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
            return 0
            """);
    private static final byte[] DER = bytes("der");

    private final FleetConfig config;
    private final Clock clock;
    private final RedisStore store;
    private final FleetStatus status;
    private final byte[] channel;
    private final Map<String, String> leases = new ConcurrentHashMap<>();
    private final ScheduledExecutorService worker;
    private final Thread subscriber;
    private final Subscription subscription = new Subscription();
    private volatile OcspManager engine;
    private volatile Jedis subscriberConnection;
    /** The server the subscription is on: with Sentinel, moved when the sentinels name another master. */
    private volatile HostAndPort subscribedTo;
    private volatile FleetTicketKeys tickets;
    private volatile boolean closed;

    public RedisFleet(FleetConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.store = new RedisStore(config);
        this.status = new FleetStatus(config.url(), config.nodeName());
        this.channel = bytes(config.keyPrefix() + "staples");
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "stapled-fleet"));
        this.subscriber = new Thread(this::subscribeLoop, "stapled-fleet-subscriber");
        this.subscriber.setDaemon(true);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    public FleetStatus status() {
        return status;
    }

    public FleetConfig config() {
        return config;
    }

    /**
     * Checks the store once before start-up goes on: wrong credentials are a configuration error and stop
     * start-up; an unreachable Redis is not (this member starts fetching on its own, and joins when it can).
     */
    public void connect() {
        try {
            store.call(Jedis::ping);
            status.up();
        } catch (JedisException e) {
            if (RedisStore.isAuthFailure(e)) {
                throw config.passwordOrigin().error("Redis at " + config.url() + " refused the credentials"
                        + (config.username() != null ? " of user " + config.username() : "") + ": "
                        + OneLine.oneLine(e.getMessage()));
            }
            if (config.sentinel() != null && String.valueOf(e.getMessage()).endsWith(NOT_MONITORED)) {
                // a sentinel answered, and knows no master of that name: a typo, not an outage
                throw config.origin().error("the sentinels at " + config.url() + " monitor no master named \""
                        + config.sentinel().master() + "\"");
            }
            status.down(OneLine.oneLine(String.valueOf(e.getMessage())));
        }
    }

    /**
     * With {@code fleet.ticket_key_file}: serves the fleet's session-ticket keys on these frontends' rotators
     * from now on (a first sync before returning, so the listeners open with them) and keeps them in step;
     * without it, nothing. Call before the listeners open.
     */
    public void shareTicketKeys(List<TicketKeyRotator> rotators) {
        if (config.ticketKeyFile() == null || rotators.isEmpty()) {
            return;
        }
        TicketKeySeal seal = TicketKeySeal.fromFile(config.ticketKeyFile(), config.ticketKeyOrigin());
        FleetTicketKeys t = new FleetTicketKeys(store, status, seal, config.keyPrefix(), config.nodeName(), rotators);
        t.sync();
        tickets = t;
        long every = t.pollInterval().toMillis();
        worker.scheduleWithFixedDelay(this::syncTickets, every, every, TimeUnit.MILLISECONDS);
    }

    private void syncTickets() {
        FleetTicketKeys t = tickets;
        if (t != null && !closed) {
            try {
                t.sync();
            } catch (RuntimeException e) {
                log.warn("fleet: session ticket key sync failed: {}", e.toString());
            }
        }
    }

    /** The rotation (epoch ms) of the fleet ticket keys served on {@code frontend}, or null. */
    public Long ticketKeyRotation(String frontend) {
        FleetTicketKeys t = tickets;
        return t == null ? null : t.installedRotation(frontend);
    }

    @Override
    public void start(OcspManager engine) {
        this.engine = engine;
        engine.addListener(new Counting());
        subscriber.start();
        worker.scheduleWithFixedDelay(this::heartbeat, HEARTBEAT.toMillis(), HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
    }

    // ---- what the engine asks, on its fetch threads ----------------------------------------------------

    @Override
    public byte[] read(ManagedCertificate mc) {
        if (!usable(mc)) {
            return null;
        }
        try {
            status.storeRead();
            return store.call(j -> j.hget(stapleKey(mc), DER));
        } catch (JedisException e) {
            lost(e);
            return null;
        }
    }

    @Override
    public Lease lease(ManagedCertificate mc) {
        if (!usable(mc)) {
            status.fetchedOwn();
            return Lease.FETCH;
        }
        String value = config.nodeName() + " " + UUID.randomUUID();
        try {
            String ok = store.call(j -> j.set(leaseKey(mc), bytes(value), SetParams.setParams().nx().px(config.lease().toMillis())));
            if ("OK".equals(ok)) {
                leases.put(mc.id(), value);
                status.fetchedOwn();
                return Lease.FETCH;
            }
            return Lease.HELD_ELSEWHERE;
        } catch (JedisException e) {
            lost(e);
            status.fetchedOwn();
            return Lease.FETCH;
        }
    }

    @Override
    public Duration leaseWait() {
        return Duration.ofMillis(Math.max(100, Math.min(1000, config.lease().toMillis() / 4)));
    }

    @Override
    public void fetched(ManagedCertificate mc, Staple staple) {
        if (closed || mc.certIdentity() == null) {
            return; // stopped while the fetch ran: a stopped member publishes nothing, its lease lapses
        }
        if (!status.connected()) {
            leases.remove(mc.id());
            return;
        }
        try {
            boolean stored = storeStaple(mc, staple, false);
            if (!stored && storedIsBogus(mc, staple)) {
                storeStaple(mc, staple, true);
            }
            releaseLease(mc);
        } catch (JedisException e) {
            lost(e);
        }
    }

    @Override
    public void release(ManagedCertificate mc) {
        if (closed) {
            return;
        }
        try {
            releaseLease(mc);
        } catch (JedisException e) {
            lost(e);
        }
    }

    @Override
    public void fetchAvoided(ManagedCertificate mc) {
        status.fetchAvoided();
    }

    private boolean usable(ManagedCertificate mc) {
        return !closed && status.connected() && mc.certIdentity() != null;
    }

    private boolean storeStaple(ManagedCertificate mc, Staple staple, boolean force) {
        if (!staple.isValidAt(clock.instant())) {
            return false;
        }
        byte[] certId = bytes(mc.certIdentity().derHex());
        Object r = store.call(j -> j.eval(STORE, List.of(stapleKey(mc), channel), List.of(staple.der(),
                bytes(Long.toString(staple.thisUpdate().toEpochMilli())),
                bytes(Long.toString(staple.nextUpdate().toEpochMilli())), bytes(config.nodeName()), certId,
                bytes(force ? "1" : "0"))));
        boolean stored = r instanceof Long n && n == 1;
        if (stored) {
            status.stored();
            log.debug("fleet: stored and published the staple of {} (thisUpdate {})", mc.id(), staple.thisUpdate());
        }
        return stored;
    }

    /**
     * The store kept its staple because it claims a newer thisUpdate: true when that staple does not
     * verify here (written by hand, or another certificate's), so ours, which does, replaces it.
     */
    private boolean storedIsBogus(ManagedCertificate mc, Staple ours) {
        byte[] der = store.call(j -> j.hget(stapleKey(mc), DER));
        if (der == null || Arrays.equals(der, ours.der())) {
            return false;
        }
        try {
            VerifiedResponse v = engine.verifyFor(mc, der);
            return v.status() != Staple.CertStatus.GOOD || v.nextUpdate() == null
                    || !v.nextUpdate().isAfter(clock.instant());
        } catch (OcspVerificationException e) {
            log.warn("fleet: the stored staple of {} does not verify ({}); replacing it with ours", mc.id(),
                    e.getMessage());
            return true;
        }
    }

    private void releaseLease(ManagedCertificate mc) {
        String value = leases.remove(mc.id());
        if (value != null && status.connected()) {
            store.call(j -> j.eval(RELEASE, List.of(leaseKey(mc)), List.of(bytes(value))));
        }
    }

    // ---- the subscription: staples others publish, and (re)joining ------------------------------------

    private void subscribeLoop() {
        while (!closed) {
            try {
                HostAndPort master = store.master(); // with Sentinel: the one the sentinels name now
                try (Jedis jedis = store.connect(master)) {
                    subscribedTo = master;
                    subscriberConnection = jedis;
                    jedis.subscribe(subscription, channel);
                }
            } catch (JedisException | IllegalStateException e) {
                if (!closed) {
                    if (RedisStore.isAuthFailure(e)) {
                        status.down("credentials refused: " + OneLine.oneLine(String.valueOf(e.getMessage())));
                    } else {
                        lost(e);
                    }
                }
            } finally {
                subscriberConnection = null;
                subscribedTo = null;
            }
            if (!closed) {
                try {
                    Thread.sleep(RECONNECT.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** Receives the CertIDs of stored staples; all work goes to the worker thread. */
    private final class Subscription extends BinaryJedisPubSub {
        @Override
        public void onSubscribe(byte[] ch, int count) {
            worker.execute(RedisFleet.this::joined);
        }

        @Override
        public void onMessage(byte[] ch, byte[] message) {
            String certId = new String(message, StandardCharsets.US_ASCII);
            worker.execute(() -> published(certId));
        }
    }

    /** Subscribed (again): take what the store holds for every certificate, and offer what we fetched alone. */
    private void joined() {
        status.up();
        syncTickets();
        OcspManager e = engine;
        if (e == null) {
            return;
        }
        for (ManagedCertificate mc : e.certificates()) {
            try {
                take(mc);
                Staple own = mc.staple();
                if (own != null && own.origin() == Staple.Origin.FETCHED && own.isValidAt(clock.instant())) {
                    storeStaple(mc, own, false); // newer than the store's (fetched while it was away): share it
                }
            } catch (JedisException ex) {
                lost(ex);
                return;
            }
        }
    }

    private void published(String certId) {
        OcspManager e = engine;
        if (e == null || closed) {
            return;
        }
        for (ManagedCertificate mc : e.certificates()) {
            if (mc.certIdentity() != null && mc.certIdentity().derHex().equals(certId)) {
                try {
                    take(mc);
                } catch (JedisException ex) {
                    lost(ex);
                }
            }
        }
    }

    private void take(ManagedCertificate mc) {
        if (mc.certIdentity() == null || !mc.enabled() || closed) {
            return;
        }
        status.storeRead();
        byte[] der = store.call(j -> j.hget(stapleKey(mc), DER));
        if (der != null) {
            RefreshOutcome out = engine.acceptShared(mc, der);
            log.debug("fleet: staple of {} from the store: {}", mc.id(), out.detail());
        }
    }

    private void heartbeat() {
        if (closed) {
            return;
        }
        try {
            // the member's heartbeat (show fleet's members): gone three beats after it stops
            store.call(j -> j.set(config.keyPrefix() + "member:" + config.nodeName(), clock.instant().toString(),
                    SetParams.setParams().px(3 * HEARTBEAT.toMillis())));
            followMaster();
            if (!status.connected() && subscription.isSubscribed()) {
                // A command failed (a timeout) while the subscription held: nothing will resubscribe, so
                // rejoin from here.
                joined();
            }
        } catch (JedisException e) {
            lost(e);
            dropSubscription(); // a half-open subscription would never notice: make it reconnect
        }
    }

    /**
     * With Sentinel: after a failover the commands already go to the new master (the pool follows the
     * sentinels), but a subscription still open on the old one (demoted to a replica, not stopped) would
     * hear only what is replicated to it, and nothing once it is cut off: move it to the new master, which
     * also rejoins (re-reads every staple).
     */
    private void followMaster() {
        HostAndPort on = subscribedTo;
        if (config.sentinel() != null && on != null && !on.equals(store.master())) {
            log.info("fleet: the sentinels name {} as master; moving the subscription from {}", store.master(), on);
            dropSubscription();
        }
    }

    private void dropSubscription() {
        Jedis sub = subscriberConnection;
        if (sub != null) {
            try {
                sub.disconnect();
            } catch (RuntimeException ignored) {
                // closing a broken connection
            }
        }
    }

    private void lost(Exception e) {
        if (!closed) {
            status.down(OneLine.oneLine(String.valueOf(e.getMessage())));
        }
    }

    /** The members whose heartbeat the store holds, sorted; empty when it is away. Blocking. */
    public List<String> members() {
        if (!status.connected()) {
            return List.of();
        }
        String pattern = config.keyPrefix() + "member:";
        try {
            return store.call(j -> {
                java.util.TreeSet<String> out = new java.util.TreeSet<>();
                String cursor = redis.clients.jedis.params.ScanParams.SCAN_POINTER_START;
                redis.clients.jedis.params.ScanParams params = new redis.clients.jedis.params.ScanParams()
                        .match(pattern + "*").count(100);
                do {
                    redis.clients.jedis.resps.ScanResult<String> r = j.scan(cursor, params);
                    r.getResult().forEach(k -> out.add(k.substring(pattern.length())));
                    cursor = r.getCursor();
                } while (!cursor.equals(redis.clients.jedis.params.ScanParams.SCAN_POINTER_START));
                return List.copyOf(out);
            });
        } catch (JedisException e) {
            lost(e);
            return List.of();
        }
    }

    /** The node holding {@code mc}'s fetch lease now, or null (none, or the store away). Blocking. */
    public String leaseHolder(ManagedCertificate mc) {
        if (!usable(mc)) {
            return null;
        }
        try {
            byte[] v = store.call(j -> j.get(leaseKey(mc)));
            if (v == null) {
                return null;
            }
            String value = new String(v, StandardCharsets.UTF_8);
            int space = value.lastIndexOf(' ');
            return space < 0 ? value : value.substring(0, space);
        } catch (JedisException e) {
            lost(e);
            return null;
        }
    }

    /** Counts refusals and installs of staples that came from the store. */
    private final class Counting implements OcspListener {
        @Override
        public void responseRefused(ManagedCertificate c, Staple.Origin origin, String reason) {
            if (origin == Staple.Origin.FLEET) {
                status.refused();
            }
        }

        @Override
        public void stapleChanged(ManagedCertificate c, Staple old, Staple now) {
            if (now != null && now.origin() == Staple.Origin.FLEET) {
                status.received(c.id(), now.receivedAt());
            }
        }
    }

    private byte[] stapleKey(ManagedCertificate mc) {
        return bytes(config.keyPrefix() + "staple:" + mc.certIdentity().derHex());
    }

    private byte[] leaseKey(ManagedCertificate mc) {
        return bytes(config.keyPrefix() + "lease:" + mc.certIdentity().derHex());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Stops subscribing; leases this member holds are left to lapse, as a stopped member's would. */
    @Override
    public void close() {
        closed = true;
        Jedis sub = subscriberConnection;
        if (sub != null) {
            try {
                sub.disconnect();
            } catch (RuntimeException ignored) {
                // already broken
            }
        }
        subscriber.interrupt();
        worker.shutdownNow();
        store.close();
    }
}
