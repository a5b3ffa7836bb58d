package io.stapled.staple;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.stapled.ocsp.ManagedCertificate;
import io.stapled.ocsp.OcspListener;
import io.stapled.ocsp.Staple;

/**
 * {@code --on-change}: runs the operator's command after each new staple stapled fetched or took from its
 * fleet (and so wrote to its {@code .ocsp} file), for servers that only read the file at a reload (nginx's
 * {@code ssl_stapling_file}). The command is run directly, never through a shell; the certificate is
 * passed in the environment ({@code STAPLED_CERT}, {@code STAPLED_OCSP_FILE}, {@code STAPLED_THIS_UPDATE},
 * {@code STAPLED_NEXT_UPDATE}). Runs one at a time on a thread of its own (the engine's callbacks must not
 * block), with its output going to stapled's, killed after the timeout. A staple read from a file (at
 * start, or changed by someone else) runs nothing: the file was there for the server already.
 */
public final class OnChangeHook implements OcspListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(OnChangeHook.class);

    private final List<String> command;
    private final Duration timeout;
    private final ExecutorService thread;
    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    public OnChangeHook(List<String> command, Duration timeout) {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        this.command = List.copyOf(command);
        this.timeout = timeout;
        this.thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "stapled-on-change");
            t.setDaemon(true);
            return t;
        });
    }

    /** {@code stapled_on_change_runs_total{result=ok|failed}}. */
    public void bindMetrics(MeterRegistry registry) {
        String description = "Runs of the --on-change command, by result (failed: could not start, non-zero exit"
                + " or killed at the timeout)";
        FunctionCounter.builder("stapled.on.change.runs", ok, AtomicLong::get).description(description)
                .tag("result", "ok").register(registry);
        FunctionCounter.builder("stapled.on.change.runs", failed, AtomicLong::get).description(description)
                .tag("result", "failed").register(registry);
    }

    public long succeeded() {
        return ok.get();
    }

    public long failed() {
        return failed.get();
    }

    @Override
    public void stapleChanged(ManagedCertificate c, Staple old, Staple now) {
        // A fleet member's staple is written to the file like a fetched one: the server must read it too.
        if (now == null || (now.origin() != Staple.Origin.FETCHED && now.origin() != Staple.Origin.FLEET)) {
            return;
        }
        Path cert = c.subject().certFile();
        Path ocsp = c.ocspFile();
        try {
            thread.execute(() -> run(c.id(), cert, ocsp, now));
        } catch (RejectedExecutionException closing) {
            // shutting down
        }
    }

    private void run(String id, Path cert, Path ocsp, Staple staple) {
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        Map<String, String> env = pb.environment();
        env.put("STAPLED_CERT", cert == null ? id : cert.toString());
        env.put("STAPLED_OCSP_FILE", ocsp == null ? "" : ocsp.toString());
        env.put("STAPLED_THIS_UPDATE", staple.thisUpdate().toString());
        env.put("STAPLED_NEXT_UPDATE", staple.nextUpdate().toString());
        Process p;
        try {
            p = pb.start();
        } catch (java.io.IOException | RuntimeException e) {
            failed.incrementAndGet();
            log.warn("on-change command {} for {} could not start: {}", command.get(0), id, e.getMessage());
            return;
        }
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                failed.incrementAndGet();
                log.warn("on-change command {} for {} still ran after {}; killed", command.get(0), id, timeout);
                return;
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return;
        }
        if (p.exitValue() == 0) {
            ok.incrementAndGet();
            log.info("on-change command {} ran for {}", command.get(0), id);
        } else {
            failed.incrementAndGet();
            log.warn("on-change command {} for {} exited with {}", command.get(0), id, p.exitValue());
        }
    }

    /** Lets the runs under way and queued finish for up to the timeout, then stops. */
    @Override
    public void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
