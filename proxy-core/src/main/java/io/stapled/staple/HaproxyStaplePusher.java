package io.stapled.staple;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.stapled.ocsp.ManagedCertificate;
import io.stapled.ocsp.OcspListener;
import io.stapled.ocsp.Staple;

/**
 * Pushes every staple the engine installs to HAProxy with {@code set ssl ocsp-response <base64>}, so
 * HAProxy staples it without a reload. The engine's callbacks only queue (they run on its threads and
 * must not block); one thread of its own talks to the socket. Per certificate only the newest staple
 * waits. HAProxy unreachable (no socket yet, refused, timed out): the staples wait and are retried with
 * a growing delay and on the next change. HAProxy answering with an error: logged and counted, not
 * retried, since the same bytes would be refused again (HAProxy reads the {@code .ocsp} file, already
 * written, at its next reload).
 */
public final class HaproxyStaplePusher implements OcspListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HaproxyStaplePusher.class);
    static final String UPDATED = "OCSP Response updated!";
    private static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    private static final Duration MAX_RETRY = Duration.ofSeconds(30);

    private final Path socket;
    private final Duration timeout;
    private final ScheduledExecutorService thread;
    /** The newest staple per certificate not yet pushed; touched only on {@link #thread}. */
    private final Map<String, byte[]> pending = new LinkedHashMap<>();
    /** Certificates whose last push HAProxy refused, with its answer; until one is accepted. */
    private final Map<String, String> refusedNow = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicLong pushed = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile int waiting;
    private volatile boolean busy;
    private volatile Boolean reachable; // null until the first attempt
    private volatile String lastProblem;
    private ScheduledFuture<?> retry;
    private Duration retryDelay = FIRST_RETRY;

    public HaproxyStaplePusher(Path socket, Duration timeout) {
        this.socket = socket;
        this.timeout = timeout;
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "stapled-haproxy-push");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true);
        t.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.thread = t;
    }

    public Path socket() {
        return socket;
    }

    /**
     * {@code stapled_haproxy_pushes_total{result=ok|refused|unreachable}},
     * {@code stapled_haproxy_pushes_pending} and {@code stapled_haproxy_socket_up}.
     */
    public void bindMetrics(MeterRegistry registry) {
        String description = "Staples pushed to HAProxy's stats socket, by result: ok (\"" + UPDATED
                + "\"), refused (HAProxy answered an error), unreachable (no answer; retried)";
        FunctionCounter.builder("stapled.haproxy.pushes", pushed, AtomicLong::get).description(description)
                .tag("result", "ok").register(registry);
        FunctionCounter.builder("stapled.haproxy.pushes", refused, AtomicLong::get).description(description)
                .tag("result", "refused").register(registry);
        FunctionCounter.builder("stapled.haproxy.pushes", failed, AtomicLong::get).description(description)
                .tag("result", "unreachable").register(registry);
        Gauge.builder("stapled.haproxy.certificates.refused", refusedNow, Map::size)
                .description("Certificates whose last staple HAProxy refused (a reload of HAProxy usually cures it)")
                .register(registry);
        Gauge.builder("stapled.haproxy.pushes.pending", this, p -> p.waiting)
                .description("Staples waiting for HAProxy's stats socket to answer").register(registry);
        Gauge.builder("stapled.haproxy.socket.up", this,
                        p -> p.reachable == null ? Double.NaN : p.reachable ? 1 : 0)
                .description("1 when the last exchange with HAProxy's stats socket got an answer, 0 when it did not,"
                        + " NaN before the first").register(registry);
    }

    public long pushed() {
        return pushed.get();
    }

    public long refused() {
        return refused.get();
    }

    /** Attempts that got no answer from HAProxy. */
    public long unreachable() {
        return failed.get();
    }

    /** Staples waiting for HAProxy to answer. */
    public int waiting() {
        return waiting;
    }

    /** Whether a push is under way now (sent, its answer not yet counted). */
    public boolean busy() {
        return busy;
    }

    /** Null until the first attempt; then whether the last one got an answer. */
    public Boolean reachable() {
        return reachable;
    }

    /** Certificate id to HAProxy's answer, for each certificate whose last push HAProxy refused. */
    public Map<String, String> refusedNow() {
        return Map.copyOf(refusedNow);
    }

    /** The last unreachable or refused push, one line, or null. */
    public String lastProblem() {
        return lastProblem;
    }

    /**
     * One {@code show version} at start-up, so an absent socket is said once, clearly, before any staple
     * is ready to push. Blocks up to the push timeout; call it from the assembly.
     */
    public boolean probe() {
        try {
            String version = firstLine(HaproxySocket.exchange(socket, "show version", timeout));
            log.info("HAProxy {} answers on {}; new staples are pushed to it", version, socket);
            reachable = true;
            return true;
        } catch (HaproxySocket.UnreachableException e) {
            reachable = false;
            lastProblem = e.getMessage();
            log.warn("HAProxy stats socket {} does not answer ({}); staples are still written to the .ocsp files, "
                    + "and pushed once it answers", socket, e.getMessage());
            return false;
        }
    }

    @Override
    public void stapleChanged(ManagedCertificate c, Staple old, Staple now) {
        if (now == null) {
            return; // HAProxy stops stapling a response past its nextUpdate on its own
        }
        String id = c.id();
        byte[] der = now.der();
        try {
            thread.execute(() -> {
                pending.put(id, der);
                waiting = pending.size();
                drain();
            });
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // shutting down
        }
    }

    /** Pushes what waits, in order, until done or HAProxy stops answering. On the pusher thread. */
    private void drain() {
        if (retry != null) {
            retry.cancel(false);
            retry = null;
        }
        Iterator<Map.Entry<String, byte[]>> it = pending.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, byte[]> e = it.next();
            String answer;
            busy = true;
            try {
                answer = HaproxySocket.exchange(socket, "set ssl ocsp-response "
                        + Base64.getEncoder().encodeToString(e.getValue()), timeout);
            } catch (HaproxySocket.UnreachableException ex) {
                failed.incrementAndGet();
                busy = false;
                lastProblem = ex.getMessage();
                if (!Boolean.FALSE.equals(reachable)) {
                    log.warn("HAProxy stats socket does not answer ({}); {} staple(s) wait and are pushed when it does",
                            ex.getMessage(), pending.size());
                }
                reachable = false;
                scheduleRetry();
                waiting = pending.size();
                return;
            }
            if (Boolean.FALSE.equals(reachable)) {
                log.info("HAProxy stats socket {} answers again; pushing {} waiting staple(s)", socket, pending.size());
            }
            reachable = true;
            retryDelay = FIRST_RETRY;
            it.remove();
            waiting = pending.size(); // before the counters, which callers poll
            String first = firstLine(answer);
            if (first.startsWith(UPDATED)) {
                refusedNow.remove(e.getKey());
                pushed.incrementAndGet();
                log.info("HAProxy: staple of {} pushed ({})", e.getKey(), first);
            } else {
                refusedNow.put(e.getKey(), first);
                refused.incrementAndGet();
                lastProblem = e.getKey() + ": HAProxy answered: " + first;
                log.warn("HAProxy refused the staple of {}: {}{}", e.getKey(), first, hint(first));
            }
            busy = false;
        }
        waiting = pending.size();
    }

    /**
     * HAProxy 2.6 and 2.7 accept a pushed response only for a certificate that had a {@code .ocsp} file
     * (even an empty one) when they loaded it; the one refusal an operator cannot guess the cause of.
     */
    private static String hint(String answer) {
        if (answer.contains("does not match any certificate")) {
            return " (HAProxy before 2.8 takes pushed staples only for certificates that had a .ocsp file when it"
                    + " loaded them; the file is written now, so reload HAProxy once — or create empty .ocsp files"
                    + " before it starts)";
        }
        if (answer.toLowerCase(java.util.Locale.ROOT).contains("permission denied")) {
            return " (raise the stats socket's level: \"level admin\")";
        }
        return "";
    }

    private void scheduleRetry() {
        Duration delay = retryDelay;
        retryDelay = retryDelay.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : retryDelay.multipliedBy(2);
        try {
            retry = thread.schedule(this::drain, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // shutting down
        }
    }

    private static String firstLine(String answer) {
        String t = answer.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl).strip();
    }

    /** Lets a push under way finish (up to the push timeout), then stops; what still waits is in the files. */
    @Override
    public void close() {
        thread.shutdown();
        try {
            thread.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread.shutdownNow();
    }
}
