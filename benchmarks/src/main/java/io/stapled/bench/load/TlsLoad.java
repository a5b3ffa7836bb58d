package io.stapled.bench.load;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;

/**
 * The end-to-end load client with BoringSSL (netty-tcnative) instead of OpenSSL 3: same modes, flags
 * and output line as {@code e2e/tlsload.c} ({@code full}, {@code resume}, {@code keepalive}). It exists
 * because an OpenSSL 3.0 client spends ~0.6 ms of CPU per full handshake (locks, mallocs and decoder
 * look-ups around ~0.1 ms of cryptography), so on a 2-core machine a C/OpenSSL client saturates its
 * core before either proxy does and every ratio reads 1.0. BoringSSL's client costs a fraction of that.
 *
 * <p>One event-loop thread (epoll), {@code -c} connections in flight. {@code full}: a new connection per
 * request, engines made without a peer host so no session is ever cached (SNI set explicitly);
 * {@code resume}: engines made with host and port, so the context's client session cache offers the
 * last ticket; {@code keepalive}: HTTP/1.1 requests back to back per connection.
 *
 * <pre>java -cp benchmarks.jar io.stapled.bench.load.TlsLoad -m full -p 28443 -s ecdsa.bench.test -t 1.3 -c 32 -d 8 -w 2</pre>
 */
public final class TlsLoad {
    private static final int LAT_BUCKETS = 2_000_000; // 1 µs buckets up to 2 s

    private final Options o;
    private final SslContext ssl;
    private final byte[] request;
    private final long[] latency = new long[LAT_BUCKETS];
    private Bootstrap bootstrap;
    private boolean measuring;
    private boolean stopping;
    private long requests;
    private long handshakes;
    private long resumed;
    private long stapled;
    private long errors;
    private long connectErrors;
    private long allRequests;
    private long allHandshakes;

    private TlsLoad(Options o) throws Exception {
        this.o = o;
        SslContextBuilder b = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL_REFCNT)
                .trustManager(InsecureTrustManagerFactory.INSTANCE).enableOcsp(o.status);
        if (o.tls != null) {
            b.protocols("1.2".equals(o.tls) ? "TLSv1.2" : "TLSv1.3");
        }
        if (!"resume".equals(o.mode)) {
            b.sessionCacheSize(1); // no engine has a peer, so nothing is ever cached anyway
        }
        ssl = b.build();
        request = ("GET " + o.path + " HTTP/1.1\r\nHost: " + o.sni + "\r\nUser-Agent: tlsload-java\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        System.out.println(new TlsLoad(o).run());
    }

    private String run() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        long t0 = System.nanoTime();
        long[] window = new long[2];
        CountDownLatch done = new CountDownLatch(1);
        try {
            bootstrap = new Bootstrap().group(group).channel(EpollSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new SslHandler(newEngine(ch)), new Exchange());
                        }
                    });
            group.execute(() -> {
                for (int i = 0; i < o.connections; i++) {
                    connect();
                }
            });
            long warmNanos = (long) (o.warmup * 1e9);
            long runNanos = (long) (o.duration * 1e9);
            group.schedule(() -> {
                measuring = true;
                window[0] = System.nanoTime();
            }, warmNanos, TimeUnit.NANOSECONDS);
            group.schedule(() -> {
                measuring = false;
                stopping = true;
                window[1] = System.nanoTime();
                done.countDown();
            }, warmNanos + runNanos, TimeUnit.NANOSECONDS);
            if (!done.await(warmNanos + runNanos + TimeUnit.SECONDS.toNanos(30), TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException("run did not finish in time");
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        }
        double secs = (window[1] - window[0]) / 1e9;
        double cpu = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime() / 1e9;
        return String.format(Locale.ROOT, "mode=%s secs=%.3f conc=%d requests=%d rps=%.1f handshakes=%d hps=%.1f "
                        + "resumed=%d all_requests=%d all_handshakes=%d stapled=%d errors=%d connect_errors=%d held=0 "
                        + "dropped=0 p50_us=%d p99_us=%d p999_us=%d client_cpu_s=%.3f wall_s=%.3f client=java-boringssl",
                o.mode, secs, o.connections, requests, requests / secs, handshakes, handshakes / secs, resumed,
                allRequests, allHandshakes, stapled, errors, connectErrors, percentile(0.50), percentile(0.99),
                percentile(0.999), cpu, (System.nanoTime() - t0) / 1e9);
    }

    private SSLEngine newEngine(Channel ch) {
        SSLEngine engine;
        if ("resume".equals(o.mode)) {
            engine = ssl.newEngine(ch.alloc(), o.sni, o.port); // keyed by peer: the cache offers the last ticket
        } else {
            engine = ssl.newEngine(ch.alloc());
            SSLParameters p = engine.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName(o.sni)));
            engine.setSSLParameters(p);
        }
        return engine;
    }

    private void connect() {
        if (stopping) {
            return;
        }
        ChannelFuture f = bootstrap.connect(o.host, o.port);
        f.addListener(r -> {
            if (!r.isSuccess()) {
                if (measuring) {
                    connectErrors++;
                }
                connect();
            }
        });
    }

    private long percentile(double p) {
        long total = 0;
        for (long c : latency) {
            total += c;
        }
        if (total == 0) {
            return 0;
        }
        long want = Math.min(total - 1, (long) (p * total));
        long seen = 0;
        for (int i = 0; i < LAT_BUCKETS; i++) {
            seen += latency[i];
            if (seen > want) {
                return i;
            }
        }
        return LAT_BUCKETS - 1;
    }

    /** One connection: handshake, then request/response exchanges; all on the one event loop. */
    private final class Exchange extends ChannelInboundHandlerAdapter {
        private final ByteBuf head = Unpooled.buffer(1024);
        private long bodyLeft = -1;
        private long started = System.nanoTime();
        private boolean finished;

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent e) {
                if (!e.isSuccess()) {
                    fail(ctx);
                    return;
                }
                allHandshakes++;
                SSLEngine engine = ctx.pipeline().get(SslHandler.class).engine();
                if (measuring) {
                    handshakes++;
                    if (engine instanceof ReferenceCountedOpenSslEngine openSsl) {
                        if (io.netty.internal.tcnative.SSL.isSessionReused(openSsl.sslPointer())) {
                            resumed++;
                        }
                        if (o.status) {
                            byte[] der = openSsl.getOcspResponse();
                            if (der != null && der.length > 0) {
                                stapled++;
                            }
                        }
                    }
                }
                send(ctx);
            }
        }

        private void send(ChannelHandlerContext ctx) {
            head.clear();
            bodyLeft = -1;
            if (o.mode.equals("keepalive")) {
                started = System.nanoTime();
            }
            ctx.writeAndFlush(Unpooled.wrappedBuffer(request));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            try {
                if (bodyLeft < 0) {
                    head.writeBytes(in);
                    int end = indexOf(head, "\r\n\r\n");
                    if (end < 0) {
                        if (head.readableBytes() > 16384) {
                            fail(ctx);
                        }
                        return;
                    }
                    long length = contentLength(head, end);
                    if (length < 0) {
                        fail(ctx);
                        return;
                    }
                    bodyLeft = length - (head.readableBytes() - (end + 4));
                } else {
                    bodyLeft -= in.readableBytes();
                }
                if (bodyLeft <= 0) {
                    responseDone(ctx);
                }
            } finally {
                ReferenceCountUtil.release(in);
            }
        }

        private void responseDone(ChannelHandlerContext ctx) {
            allRequests++;
            if (measuring) {
                requests++;
                long us = (System.nanoTime() - started) / 1000;
                latency[(int) Math.min(LAT_BUCKETS - 1, us)]++;
            }
            if (o.mode.equals("keepalive") && !stopping) {
                send(ctx);
                return;
            }
            finish(ctx);
        }

        private void fail(ChannelHandlerContext ctx) {
            if (measuring) {
                errors++;
            }
            finish(ctx);
        }

        private void finish(ChannelHandlerContext ctx) {
            if (finished) {
                return;
            }
            finished = true;
            ctx.close(); // FIN, as tlsload.c does by default
            connect();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            head.release();
            if (!finished) {
                finished = true;
                if (measuring) {
                    errors++;
                }
                connect();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(ctx);
        }
    }

    private static int indexOf(ByteBuf b, String s) {
        int n = b.writerIndex() - s.length();
        outer:
        for (int i = b.readerIndex(); i <= n; i++) {
            for (int j = 0; j < s.length(); j++) {
                if (b.getByte(i + j) != s.charAt(j)) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static long contentLength(ByteBuf b, int end) {
        String headers = b.toString(b.readerIndex(), end - b.readerIndex(), StandardCharsets.US_ASCII);
        for (String line : headers.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
                return Long.parseLong(line.substring(colon + 1).trim());
            }
        }
        return -1;
    }

    /** The flags of tlsload.c that this client supports. */
    private record Options(String mode, String host, int port, String sni, String path, int connections,
                           double duration, double warmup, String tls, boolean status) {
        static Options parse(String[] a) {
            String mode = "full";
            String host = "127.0.0.1";
            int port = 8443;
            String sni = "ecdsa.bench.test";
            String path = "/";
            int conc = 32;
            double duration = 10;
            double warmup = 2;
            String tls = null;
            boolean status = true;
            for (int i = 0; i < a.length; i++) {
                switch (a[i]) {
                    case "-m" -> mode = a[++i];
                    case "-h" -> host = a[++i];
                    case "-p" -> port = Integer.parseInt(a[++i]);
                    case "-s" -> sni = a[++i];
                    case "-u" -> path = a[++i];
                    case "-c" -> conc = Integer.parseInt(a[++i]);
                    case "-d" -> duration = Double.parseDouble(a[++i]);
                    case "-w" -> warmup = Double.parseDouble(a[++i]);
                    case "-t" -> tls = a[++i];
                    case "-S" -> status = false;
                    default -> throw new IllegalArgumentException("unknown flag " + a[i]
                            + " (TlsLoad -m full|resume|keepalive [-h host] [-p port] [-s sni] [-u path] [-c n] "
                            + "[-d s] [-w s] [-t 1.2|1.3] [-S])");
                }
            }
            if (!List.of("full", "resume", "keepalive").contains(mode)) {
                throw new IllegalArgumentException("mode must be full, resume or keepalive, not " + mode);
            }
            return new Options(mode, host, port, sni, path, conc, duration, warmup, tls, status);
        }
    }
}
