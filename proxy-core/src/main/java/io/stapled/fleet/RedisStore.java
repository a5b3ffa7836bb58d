package io.stapled.fleet;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Function;

import org.apache.commons.pool2.impl.GenericObjectPoolConfig;

import io.stapled.config.FleetConfig;
import io.stapled.ocsp.RegularFiles;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisSentinelPool;
import redis.clients.jedis.util.Pool;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The connections to the fleet's Redis (the configured server, or the master Redis Sentinel names): a
 * small pool for commands and a dedicated connection for the subscription. Blocking (Jedis): used on the fleet's and the OCSP engine's threads only, never on an
 * event loop.
 */
final class RedisStore implements AutoCloseable {
    private static final int TIMEOUT_MILLIS = 2000;
    private static final int MAX_PASSWORD_FILE = 4096;

    private final FleetConfig config;
    private final HostAndPort address;
    private final JedisClientConfig clientConfig;
    private final JedisClientConfig sentinelClientConfig;
    private final GenericObjectPoolConfig<Jedis> poolConfig;
    /** With Sentinel: null until a sentinel has named the master (its constructor asks them, and throws when none answers). */
    private volatile Pool<Jedis> pool;
    private boolean closed;

    RedisStore(FleetConfig config) {
        this.config = config;
        this.address = new HostAndPort(config.host(), config.port());
        DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(TIMEOUT_MILLIS).socketTimeoutMillis(TIMEOUT_MILLIS)
                .database(config.database()).ssl(config.tls()).clientName(clientName(config.nodeName()));
        if (config.tls()) {
            // Jedis checks the chain only; the name in Redis's certificate is checked too, as for HTTPS.
            SSLParameters params = new SSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            b.sslParameters(params);
            if (config.caFile() != null) {
                b.sslSocketFactory(trusting(config));
            }
        }
        String password = password(config);
        if (password != null) {
            b.password(password);
        }
        if (config.username() != null) {
            b.user(config.username());
        }
        this.clientConfig = b.build();
        this.poolConfig = new GenericObjectPoolConfig<>();
        poolConfig.setMaxTotal(8);
        poolConfig.setMaxIdle(4);
        poolConfig.setMinIdle(0);
        poolConfig.setJmxEnabled(false);
        FleetConfig.Sentinel sentinel = config.sentinel();
        if (sentinel == null) {
            this.sentinelClientConfig = null;
            this.pool = new JedisPool(poolConfig, address, clientConfig);
        } else {
            DefaultJedisClientConfig.Builder sb = DefaultJedisClientConfig.builder()
                    .connectionTimeoutMillis(TIMEOUT_MILLIS).socketTimeoutMillis(TIMEOUT_MILLIS)
                    .clientName(clientName(config.nodeName()));
            if (sentinel.password() != null) {
                sb.password(sentinel.password());
            }
            if (sentinel.username() != null) {
                sb.user(sentinel.username());
            }
            this.sentinelClientConfig = sb.build();
            try {
                this.pool = sentinelPool();
            } catch (JedisException e) {
                // no sentinel answers yet: asked again on the next command (the member starts on its own fetches)
            }
        }
    }

    /**
     * Jedis's Sentinel pool asks the sentinels for the master, and follows {@code +switch-master} (it
     * subscribes on every sentinel), so a failover moves the pool's connections to the new master.
     */
    private Pool<Jedis> sentinelPool() {
        FleetConfig.Sentinel sentinel = config.sentinel();
        Set<HostAndPort> nodes = new LinkedHashSet<>();
        sentinel.nodes().forEach(n -> nodes.add(new HostAndPort(n.host(), n.port())));
        return new JedisSentinelPool(sentinel.master(), nodes, poolConfig, clientConfig, sentinelClientConfig);
    }

    private Pool<Jedis> pool() {
        Pool<Jedis> p = pool;
        if (p != null) {
            return p;
        }
        synchronized (this) {
            if (pool == null && !closed) {
                pool = sentinelPool();
            }
            if (pool == null) {
                throw new JedisException("fleet store closed");
            }
            return pool;
        }
    }

    /** Where the commands go now: the configured server, or the master the sentinels name. */
    HostAndPort master() {
        return pool() instanceof JedisSentinelPool s ? s.getCurrentHostMaster() : address;
    }

    /** CLIENT SETNAME takes no spaces. */
    private static String clientName(String node) {
        return "stapled-" + node.replaceAll("[^A-Za-z0-9._:-]", "_");
    }

    private static String password(FleetConfig config) {
        if (config.password() != null) {
            return config.password();
        }
        Path file = config.passwordFile();
        if (file == null) {
            return null;
        }
        try {
            return new String(RegularFiles.read(file, MAX_PASSWORD_FILE), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw config.passwordOrigin().error("cannot read the Redis password from " + file + ": " + e.getMessage());
        }
    }

    /** A TLS socket factory trusting only the CA certificates of {@code fleet.ca_file}. */
    private static SSLSocketFactory trusting(FleetConfig config) {
        Path file = config.caFile();
        try (InputStream in = new ByteArrayInputStream(RegularFiles.read(file, 1 << 20))) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int n = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca-" + n++, c);
            }
            if (n == 0) {
                throw config.origin().error("fleet.ca_file " + file + " holds no PEM certificate");
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx.getSocketFactory();
        } catch (IOException | GeneralSecurityException e) {
            throw config.origin().error("cannot read fleet.ca_file " + file + ": " + e.getMessage());
        }
    }

    /** Runs {@code command} on a pooled connection; throws {@link JedisException} when Redis does not answer. */
    <T> T call(Function<Jedis, T> command) {
        try (Jedis jedis = pool().getResource()) {
            return command.apply(jedis);
        }
    }

    /** A new connection of its own (the subscription's), authenticated and on the database. */
    Jedis connect(HostAndPort server) {
        return new Jedis(server, clientConfig);
    }

    /**
     * True when {@code e} says the credentials are wrong rather than that Redis is away: a configuration
     * error, reported as one.
     */
    static boolean isAuthFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof JedisAccessControlException) {
                return true;
            }
            if (t instanceof JedisDataException && t.getMessage() != null
                    && (t.getMessage().startsWith("WRONGPASS") || t.getMessage().startsWith("NOAUTH")
                    || t.getMessage().contains("invalid password") || t.getMessage().contains("AUTH"))) {
                return true;
            }
        }
        return false;
    }

    FleetConfig config() {
        return config;
    }

    @Override
    public void close() {
        Pool<Jedis> p;
        synchronized (this) {
            closed = true;
            p = pool;
        }
        if (p != null) {
            p.close();
        }
    }
}
