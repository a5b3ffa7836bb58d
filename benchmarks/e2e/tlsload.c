/*
 * tlsload: a single-threaded, epoll-driven TLS load client for the stapled vs HAProxy runs.
 *
 * Why not wrk / h2load / openssl s_time: none of them sends status_request, so none can
 * measure handshakes "with the client requesting a staple"; wrk and h2load also cannot be told
 * to resume or not resume explicitly. This client does exactly one thing per mode:
 *
 *   full       a new TCP+TLS connection for every request, never resumed (no session reuse)
 *   resume     a new connection for every request, resuming the last session (tickets)
 *   keepalive  persistent connections, HTTP/1.1 requests back to back; latency per request
 *   hold       open N TLS connections, hold them idle after the handshake (-R: after one request)
 *
 * Every mode is bounded in time (-d seconds of measurement after -w seconds of warm-up; hold
 * also by -H seconds). Output is one line of key=value pairs on stdout, for the script to parse.
 * Build: gcc -O2 -o tlsload tlsload.c -lssl -lcrypto
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode { FULL, RESUME, KEEPALIVE, HOLD };
enum state { S_CONNECTING, S_HANDSHAKE, S_WRITE, S_READ, S_IDLE };

#define LAT_BUCKETS 2000000 /* 1 us resolution up to 2 s; above counts in the last bucket */

struct conn {
    int fd;
    SSL *ssl;
    enum state st;
    int idx;
    size_t wrote;
    char buf[16384];
    size_t have;
    long long body_left; /* -1 until headers are parsed */
    uint64_t req_start_ns;
    int requests_on_conn;
};

static struct {
    enum mode mode;
    const char *host;
    int port;
    const char *sni;
    const char *path;
    int conc;
    double duration;
    double warmup;
    double hold_secs;
    int want_status;
    const char *tls; /* "1.2", "1.3" or NULL for both */
    const char *sigalgs;
    int verbose;
    int hold_request; /* hold: one request on each connection before holding it */
    int rst_close;    /* close with RST (SO_LINGER 0) instead of FIN */
} opt = {FULL, "127.0.0.1", 8443, "ecdsa.bench.test", "/", 32, 10, 2, 30, 1, NULL, NULL, 0, 0, 0};

static SSL_CTX *ctx;
static SSL_SESSION *saved_session;
static int epfd;
static struct conn *conns;
static struct sockaddr_in addr;
static char request[512];
static size_t request_len;

static volatile sig_atomic_t stop_flag;
static int measuring;
static uint64_t t_measure_start, t_measure_end;
/* counters: only while measuring */
static uint64_t n_requests, n_handshakes, n_resumed, n_stapled, n_errors, n_connect_errors;
static uint64_t n_held, n_dropped;
/* counted during warm-up too, so the caller can divide server CPU time over the whole run */
static uint64_t all_requests, all_handshakes;
static uint32_t *lat;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Accepts any chain without looking at it. SSL_VERIFY_NONE alone still runs X509_verify_cert (chain
 * building, an issuer signature check, store look-ups under locks) and only ignores the result; this
 * client measures servers, not its own certificate checks, so it skips the work. */
static int accept_any_chain(X509_STORE_CTX *store, void *arg) {
    (void)store;
    (void)arg;
    return 1;
}

static void on_signal(int sig) {
    (void)sig;
    stop_flag = 1;
}

static void usage(void) {
    fprintf(stderr,
            "usage: tlsload -m full|resume|keepalive|hold [-h host] [-p port] [-s sni] [-u path]\n"
            "               [-c connections] [-d seconds] [-w warmup_seconds] [-H hold_seconds]\n"
            "               [-t 1.2|1.3] [-a sigalgs] [-S (no status_request)] [-R (hold: one request first)]\n"
            "               [-L (close with RST)] [-v]\n");
    exit(2);
}

/* Closes the socket; the SSL object is kept and reset for the connection's next use (SSL_clear is
 * much cheaper than SSL_free + SSL_new in OpenSSL 3, and the client's cost is what limits the
 * handshake rate on a 2-core machine). */
static void conn_close(struct conn *c) {
    if (c->ssl) {
        /* Marks the session as cleanly closed without sending close_notify; otherwise OpenSSL
         * flags the session not-resumable and the resume mode never resumes. */
        SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    }
    if (c->fd >= 0) {
        if (opt.rst_close) {
            /* RST instead of FIN: no TIME_WAIT on this side; but the server then sees ECONNRESET,
             * which costs a JVM an exception per connection, so it is not the default. */
            struct linger lg = {1, 0};
            setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
    }
}

static void conn_free(struct conn *c) {
    conn_close(c);
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
}

static void set_events(struct conn *c, uint32_t ev) {
    struct epoll_event e = {.events = ev, .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e);
}

static void conn_open(struct conn *c) {
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c->fd < 0) {
        perror("socket");
        exit(1);
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (c->ssl) {
        SSL_set_session(c->ssl, NULL); /* full mode must never resume; resume mode sets its own below */
        if (!SSL_clear(c->ssl)) {
            SSL_free(c->ssl);
            c->ssl = NULL;
        }
    }
    if (!c->ssl) c->ssl = SSL_new(ctx);
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_tlsext_host_name(c->ssl, opt.sni);
    if (opt.want_status) {
        SSL_set_tlsext_status_type(c->ssl, TLSEXT_STATUSTYPE_ocsp);
    }
    if (opt.mode == RESUME && saved_session) {
        SSL_set_session(c->ssl, saved_session);
    }
    SSL_set_connect_state(c->ssl);
    c->have = 0;
    c->wrote = 0;
    c->body_left = -1;
    c->requests_on_conn = 0;
    c->req_start_ns = now_ns();
    struct epoll_event e = {.events = EPOLLOUT, .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &e);
    int r = connect(c->fd, (struct sockaddr *)&addr, sizeof addr);
    if (r == 0 || errno == EINPROGRESS) {
        c->st = S_CONNECTING;
    } else {
        if (measuring) n_connect_errors++;
        conn_close(c);
        c->st = S_IDLE;
    }
}

static void fail(struct conn *c, const char *what) {
    if (opt.verbose) {
        fprintf(stderr, "conn %d: %s (errno %d)\n", c->idx, what, errno);
        ERR_print_errors_fp(stderr);
    }
    ERR_clear_error();
    if (measuring) n_errors++;
    conn_close(c);
    if (opt.mode != HOLD && !stop_flag) conn_open(c);
    else c->st = S_IDLE;
}

/* Returns 1 when the whole response has been read. */
static int parse_response(struct conn *c) {
    if (c->body_left < 0) {
        char *end = memmem(c->buf, c->have, "\r\n\r\n", 4);
        if (!end) {
            if (c->have == sizeof c->buf) return -1;
            return 0;
        }
        size_t header_len = (size_t)(end - c->buf) + 4;
        if (c->have < 12 || memcmp(c->buf, "HTTP/1.", 7) != 0) return -1;
        long long cl = -1;
        char *p = c->buf;
        while (p < end) {
            char *nl = memmem(p, (size_t)(end - p) + 2, "\r\n", 2);
            if (!nl) break;
            if ((size_t)(nl - p) > 15 && strncasecmp(p, "content-length:", 15) == 0) {
                cl = atoll(p + 15);
            }
            p = nl + 2;
        }
        if (cl < 0) return -1; /* the benchmark backend always sends Content-Length */
        c->body_left = cl - (long long)(c->have - header_len);
        c->have = 0;
    } else {
        c->body_left -= (long long)c->have;
        c->have = 0;
    }
    return c->body_left <= 0;
}

static void record_request(struct conn *c) {
    all_requests++;
    if (!measuring) return;
    n_requests++;
    uint64_t us = (now_ns() - c->req_start_ns) / 1000;
    if (us >= LAT_BUCKETS) us = LAT_BUCKETS - 1;
    lat[us]++;
}

static void after_handshake(struct conn *c) {
    all_handshakes++;
    if (measuring) {
        n_handshakes++;
        if (SSL_session_reused(c->ssl)) n_resumed++;
        if (opt.want_status) {
            const unsigned char *resp = NULL;
            long len = SSL_get_tlsext_status_ocsp_resp(c->ssl, &resp);
            if (len > 0 && resp) n_stapled++;
        }
    }
}

static void start_request(struct conn *c) {
    c->st = S_WRITE;
    c->wrote = 0;
    if (opt.mode == KEEPALIVE && c->requests_on_conn > 0) c->req_start_ns = now_ns();
}

static void response_done(struct conn *c) {
    record_request(c);
    c->requests_on_conn++;
    switch (opt.mode) {
    case FULL:
        conn_close(c);
        if (!stop_flag) conn_open(c); else c->st = S_IDLE;
        break;
    case RESUME: {
        /* TLS 1.3 tickets arrive after the handshake; by the end of the response they are in. */
        SSL_SESSION *s = SSL_get1_session(c->ssl);
        if (s && SSL_SESSION_is_resumable(s)) {
            if (saved_session) SSL_SESSION_free(saved_session);
            saved_session = s;
        } else if (s) {
            SSL_SESSION_free(s);
        }
        conn_close(c);
        if (!stop_flag) conn_open(c); else c->st = S_IDLE;
        break;
    }
    case KEEPALIVE:
        if (stop_flag) {
            conn_close(c);
            c->st = S_IDLE;
        } else {
            start_request(c);
        }
        break;
    case HOLD:
        n_held++;
        c->st = S_IDLE; /* keep the connection; no more events wanted */
        set_events(c, 0);
        break;
    }
}

static void drive(struct conn *c) {
    for (;;) {
        switch (c->st) {
        case S_CONNECTING: {
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err) {
                errno = err;
                if (measuring) n_connect_errors++;
                conn_close(c);
                if (!stop_flag && opt.mode != HOLD) conn_open(c); else c->st = S_IDLE;
                return;
            }
            c->st = S_HANDSHAKE;
            break;
        }
        case S_HANDSHAKE: {
            int r = SSL_do_handshake(c->ssl);
            if (r == 1) {
                after_handshake(c);
                if (opt.mode == HOLD && !opt.hold_request) {
                    /* an idle TLS connection: handshake done, nothing sent, so neither proxy holds a
                     * backend connection for it */
                    n_held++;
                    c->st = S_IDLE;
                    set_events(c, 0);
                    return;
                }
                start_request(c);
                break;
            }
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ) { set_events(c, EPOLLIN); return; }
            if (e == SSL_ERROR_WANT_WRITE) { set_events(c, EPOLLOUT); return; }
            fail(c, "handshake");
            return;
        }
        case S_WRITE: {
            int r = SSL_write(c->ssl, request + c->wrote, (int)(request_len - c->wrote));
            if (r > 0) {
                c->wrote += (size_t)r;
                if (c->wrote == request_len) {
                    c->st = S_READ;
                    c->have = 0;
                    c->body_left = -1;
                }
                break;
            }
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ) { set_events(c, EPOLLIN); return; }
            if (e == SSL_ERROR_WANT_WRITE) { set_events(c, EPOLLOUT); return; }
            fail(c, "write");
            return;
        }
        case S_READ: {
            int r = SSL_read(c->ssl, c->buf + c->have, (int)(sizeof c->buf - c->have));
            if (r > 0) {
                c->have += (size_t)r;
                int done = parse_response(c);
                if (done < 0) { fail(c, "bad response"); return; }
                if (done) {
                    response_done(c);
                    if (c->st == S_WRITE) break; /* keep-alive: next request on this connection */
                    return;
                }
                break;
            }
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ) { set_events(c, EPOLLIN); return; }
            if (e == SSL_ERROR_WANT_WRITE) { set_events(c, EPOLLOUT); return; }
            fail(c, "read");
            return;
        }
        case S_IDLE:
            return;
        }
    }
}

static uint64_t percentile(double p) {
    uint64_t total = 0;
    for (int i = 0; i < LAT_BUCKETS; i++) total += lat[i];
    if (total == 0) return 0;
    uint64_t want = (uint64_t)(p * (double)total);
    if (want >= total) want = total - 1;
    uint64_t seen = 0;
    for (int i = 0; i < LAT_BUCKETS; i++) {
        seen += lat[i];
        if (seen > want) return (uint64_t)i;
    }
    return LAT_BUCKETS - 1;
}

int main(int argc, char **argv) {
    int ch;
    while ((ch = getopt(argc, argv, "m:h:p:s:u:c:d:w:H:t:a:SvRL")) != -1) {
        switch (ch) {
        case 'm':
            if (!strcmp(optarg, "full")) opt.mode = FULL;
            else if (!strcmp(optarg, "resume")) opt.mode = RESUME;
            else if (!strcmp(optarg, "keepalive")) opt.mode = KEEPALIVE;
            else if (!strcmp(optarg, "hold")) opt.mode = HOLD;
            else usage();
            break;
        case 'h': opt.host = optarg; break;
        case 'p': opt.port = atoi(optarg); break;
        case 's': opt.sni = optarg; break;
        case 'u': opt.path = optarg; break;
        case 'c': opt.conc = atoi(optarg); break;
        case 'd': opt.duration = atof(optarg); break;
        case 'w': opt.warmup = atof(optarg); break;
        case 'H': opt.hold_secs = atof(optarg); break;
        case 't': opt.tls = optarg; break;
        case 'a': opt.sigalgs = optarg; break;
        case 'S': opt.want_status = 0; break;
        case 'v': opt.verbose = 1; break;
        case 'R': opt.hold_request = 1; break;
        case 'L': opt.rst_close = 1; break;
        default: usage();
        }
    }
    if (opt.conc < 1 || opt.duration <= 0) usage();
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_cert_verify_callback(ctx, accept_any_chain, NULL);
    if (opt.tls && !strcmp(opt.tls, "1.2")) {
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
        SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    } else if (opt.tls && !strcmp(opt.tls, "1.3")) {
        SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
        SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    }
    if (opt.sigalgs && !SSL_CTX_set1_sigalgs_list(ctx, opt.sigalgs)) {
        fprintf(stderr, "bad sigalgs %s\n", opt.sigalgs);
        return 2;
    }
    if (opt.mode == RESUME) {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    } else {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    }
    request_len = (size_t)snprintf(request, sizeof request,
                                   "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tlsload\r\n\r\n",
                                   opt.path, opt.sni);

    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)opt.port);
    if (inet_pton(AF_INET, opt.host, &addr.sin_addr) != 1) {
        fprintf(stderr, "bad host %s (IPv4 literal expected)\n", opt.host);
        return 2;
    }
    lat = calloc(LAT_BUCKETS, sizeof *lat);
    conns = calloc((size_t)opt.conc, sizeof *conns);
    epfd = epoll_create1(0);
    struct epoll_event *events = calloc((size_t)opt.conc, sizeof *events);

    uint64_t t0 = now_ns();
    if (opt.mode == HOLD) {
        measuring = 1; /* count everything: the point is how many are open */
        t_measure_start = t0;
    }
    for (int i = 0; i < opt.conc; i++) {
        conns[i].idx = i;
        conns[i].fd = -1;
        conn_open(&conns[i]);
        if (opt.mode == HOLD && (i % 256) == 255) {
            /* let handshakes complete in batches rather than flooding the accept queue */
            int n = epoll_wait(epfd, events, opt.conc, 5);
            for (int k = 0; k < n; k++) drive((struct conn *)events[k].data.ptr);
        }
    }
    uint64_t warm_end = t0 + (uint64_t)(opt.warmup * 1e9);
    uint64_t end = warm_end + (uint64_t)(opt.duration * 1e9);
    int announced = 0;
    uint64_t hold_until = 0;
    while (!stop_flag) {
        uint64_t t = now_ns();
        if (opt.mode != HOLD) {
            if (!measuring && t >= warm_end) {
                measuring = 1;
                t_measure_start = t;
            }
            if (t >= end) break;
        } else {
            if (!announced && (n_held + n_errors + n_connect_errors) >= (uint64_t)opt.conc) {
                announced = 1;
                t_measure_end = t;
                printf("HELD %llu\n", (unsigned long long)n_held);
                fflush(stdout);
                hold_until = t + (uint64_t)(opt.hold_secs * 1e9);
            }
            if (!announced && t >= end + (uint64_t)(opt.hold_secs * 1e9)) break; /* never got there */
            if (announced && t >= hold_until) break;
        }
        int n = epoll_wait(epfd, events, opt.conc, 50);
        for (int k = 0; k < n; k++) {
            struct conn *c = (struct conn *)events[k].data.ptr;
            if (c->st == S_IDLE) {
                /* a held connection the server closed: count it, stop watching it */
                n_dropped++;
                conn_close(c);
                continue;
            }
            drive(c);
        }
    }
    if (opt.mode != HOLD || !t_measure_end) t_measure_end = now_ns();
    stop_flag = 1;
    double secs = (double)(t_measure_end - t_measure_start) / 1e9;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double client_cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
                        + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    const char *names[] = {"full", "resume", "keepalive", "hold"};
    printf("mode=%s secs=%.3f conc=%d requests=%llu rps=%.1f handshakes=%llu hps=%.1f resumed=%llu "
           "all_requests=%llu all_handshakes=%llu stapled=%llu errors=%llu connect_errors=%llu held=%llu dropped=%llu p50_us=%llu p99_us=%llu p999_us=%llu client_cpu_s=%.3f wall_s=%.3f\n",
           names[opt.mode], secs, opt.conc, (unsigned long long)n_requests, n_requests / secs,
           (unsigned long long)n_handshakes, n_handshakes / secs, (unsigned long long)n_resumed,
           (unsigned long long)all_requests, (unsigned long long)all_handshakes, (unsigned long long)n_stapled, (unsigned long long)n_errors,
           (unsigned long long)n_connect_errors, (unsigned long long)n_held, (unsigned long long)n_dropped,
           (unsigned long long)percentile(0.50), (unsigned long long)percentile(0.99),
           (unsigned long long)percentile(0.999), client_cpu, (double)(now_ns() - t0) / 1e9);
    fflush(stdout);
    for (int i = 0; i < opt.conc; i++) conn_free(&conns[i]);
    return 0;
}
