package io.stapled.fleet;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.stapled.tls.TicketKeyRotator;
import io.stapled.text.OneLine;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.SetParams;

/**
 * Shared session-ticket keys: per frontend name, one set {@code [previous, current, next]} in the store
 * ({@code <prefix>tickets:<frontend>}, sealed by {@link TicketKeySeal}). Every member polls it and serves
 * it (current encrypts, all three decrypt), so a ticket issued by one member resumes on any other. When
 * the set is a rotation period old, the member that takes the rotation lease
 * ({@code <prefix>tickets-lease:<frontend>}, {@code SET NX PX}) moves it on by one: previous ← current,
 * current ← next, next ← new. Because every member already decrypts with {@code next}, tickets issued by
 * a member that has not polled the rotation yet still resume everywhere. The stored set expires two
 * periods after its last rotation; a ticket lives two rotations, as without a fleet.
 */
final class FleetTicketKeys {
    private static final Logger log = LoggerFactory.getLogger(FleetTicketKeys.class);
    private static final int KEY_BYTES = OpenSslSessionTicketKey.NAME_SIZE + OpenSslSessionTicketKey.HMAC_KEY_SIZE
            + OpenSslSessionTicketKey.AES_KEY_SIZE;

    /** One set as stored: when it was last rotated and its three keys. */
    record KeySet(long rotatedAt, byte[] previous, byte[] current, byte[] next) { }

    private final RedisStore store;
    private final FleetStatus status;
    private final TicketKeySeal seal;
    private final String prefix;
    private final String node;
    private final List<TicketKeyRotator> rotators;
    private final Map<String, Long> installed = new ConcurrentHashMap<>();
    private final Map<String, String> unreadable = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();

    FleetTicketKeys(RedisStore store, FleetStatus status, TicketKeySeal seal, String prefix, String node,
                    List<TicketKeyRotator> rotators) {
        this.store = store;
        this.status = status;
        this.seal = seal;
        this.prefix = prefix;
        this.node = node;
        this.rotators = List.copyOf(rotators);
    }

    /** How often to look at the store: a quarter of the shortest rotation period, between 0.2 s and 30 s. */
    Duration pollInterval() {
        long shortest = rotators.stream().mapToLong(r -> r.period().toMillis()).min().orElse(60_000);
        return Duration.ofMillis(Math.max(200, Math.min(30_000, shortest / 4)));
    }

    /** Reads, rotates when due and installs every frontend's set; false if the store did not answer. */
    boolean sync() {
        if (!status.connected()) {
            return false;
        }
        for (TicketKeyRotator r : rotators) {
            try {
                sync(r);
            } catch (JedisException e) {
                status.down(OneLine.oneLine(String.valueOf(e.getMessage())));
                return false;
            }
        }
        return true;
    }

    private void sync(TicketKeyRotator r) {
        byte[] key = bytes(prefix + "tickets:" + r.frontend());
        long period = r.period().toMillis();
        KeySet set = read(key, r.frontend());
        long now = System.currentTimeMillis();
        if (set == null || set.rotatedAt() + period <= now) {
            byte[] lease = bytes(prefix + "tickets-lease:" + r.frontend());
            String leased = store.call(j -> j.set(lease, bytes(node + " " + UUID.randomUUID()),
                    SetParams.setParams().nx().px(Math.max(500, Math.min(period / 2, 30_000)))));
            if ("OK".equals(leased)) {
                KeySet rotated = set == null
                        ? new KeySet(now, newKey(), newKey(), newKey())
                        : new KeySet(now, set.current(), set.next(), newKey());
                byte[] sealed = seal.seal(encode(rotated), key);
                store.call(j -> j.set(key, sealed, SetParams.setParams().px(2 * period)));
                log.debug("fleet: {} session ticket keys for frontend {}", set == null ? "made" : "rotated", r.frontend());
                set = rotated;
            }
        }
        if (set != null) {
            Long had = installed.get(r.frontend());
            // also when this member's own rotation took over while the fleet's keys did not come
            if (had == null || had != set.rotatedAt() || !r.fleetKeys()) {
                r.install(new OpenSslSessionTicketKey[] {ticketKey(set.current()), ticketKey(set.previous()),
                        ticketKey(set.next())}, set.rotatedAt() + 2 * period);
                installed.put(r.frontend(), set.rotatedAt());
            }
        }
    }

    private KeySet read(byte[] key, String frontend) {
        byte[] sealed = store.call(j -> j.get(key));
        if (sealed == null) {
            return null;
        }
        byte[] plain = seal.open(sealed, key);
        if (plain == null || plain.length != 8 + 3 * KEY_BYTES) {
            if (unreadable.put(frontend, "x") == null) {
                log.warn("fleet: the session ticket keys of frontend {} in Redis do not open with this fleet key"
                        + " (another fleet key, or written by hand); they are replaced at the next rotation", frontend);
            }
            status.refused();
            return null;
        }
        unreadable.remove(frontend);
        ByteBuffer b = ByteBuffer.wrap(plain);
        long rotatedAt = b.getLong();
        byte[][] keys = new byte[3][KEY_BYTES];
        for (byte[] k : keys) {
            b.get(k);
        }
        return new KeySet(rotatedAt, keys[0], keys[1], keys[2]);
    }

    /** The epoch (ms) of the set served for {@code frontend}, or null when none came from the fleet yet. */
    Long installedRotation(String frontend) {
        return installed.get(frontend);
    }

    private static byte[] encode(KeySet s) {
        return ByteBuffer.allocate(8 + 3 * KEY_BYTES).putLong(s.rotatedAt()).put(s.previous()).put(s.current())
                .put(s.next()).array();
    }

    private byte[] newKey() {
        byte[] k = new byte[KEY_BYTES];
        random.nextBytes(k);
        return k;
    }

    private static OpenSslSessionTicketKey ticketKey(byte[] k) {
        int n = OpenSslSessionTicketKey.NAME_SIZE;
        int h = OpenSslSessionTicketKey.HMAC_KEY_SIZE;
        byte[] name = java.util.Arrays.copyOfRange(k, 0, n);
        byte[] hmac = java.util.Arrays.copyOfRange(k, n, n + h);
        byte[] aes = java.util.Arrays.copyOfRange(k, n + h, k.length);
        return new OpenSslSessionTicketKey(name, hmac, aes);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
