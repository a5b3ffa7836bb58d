#!/usr/bin/env bash
# End-to-end benchmark: stapled vs HAProxy on the same certificates, the same .ocsp files, the same
# backend, the same load client, the same number of worker threads, measured in one run, alternating,
# over an odd number of rounds; prints medians and the ratio stapled/HAProxy.
#
#   benchmarks/e2e/run-e2e.sh [--rounds 3] [--duration 8] [--warmup 2] [--jit-warmup 20] [--conns 32]
#                             [--ka-conns 50] [--idle 5000] [--hold 6] [--workers 1] [--proxy-cpus 1]
#                             [--client-cpus 0] [--only full,resume,keepalive,memory,startup|setup] [--jar PATH]
#                             [--out DIR] [--targets "stapled haproxy"] [--client c|java]
#                             [--hs-client go|c] [--no-cds] [--no-install]
#
# Load clients: full handshakes use --hs-client (go, default: tlsload-go on Go's crypto/tls, which
# costs the client a third of what an OpenSSL 3.0 client does per handshake, so the proxy rather than
# the client saturates first; c: tlsload.c). Resumed handshakes, keep-alive requests and idle
# connections use --client (c, default: tlsload.c on OpenSSL 3; java: io.stapled.bench.load.TlsLoad
# on BoringSSL, from benchmarks.jar); the idle-connection test always uses tlsload.c.
# --only setup: builds the load clients and writes the PKI and configs into --out, then stops (what
# ab-stapled.sh needs).
# --jit-warmup: seconds of each kind of traffic sent to both proxies before the first round, so that
# stapled is measured JIT-compiled, as a long-running proxy runs (on a slow 2-core machine C2 needs
# about a minute of traffic).
#
# Made for a Debian machine with root and apt (2 cores): installs haproxy, gcc, libssl-dev and
# golang-go when missing, builds the load clients and, when missing, the stapled jar (mvn package).
# All traffic is on 127.0.0.1; every command has a timeout; every process it starts is stopped on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ROUNDS=3 DURATION=8 WARMUP=2 JIT_WARMUP=20 HS_CLIENT=go CONNS=32 KA_CONNS=50 IDLE=5000 HOLD=6 WORKERS=1
PROXY_CPUS=1 CLIENT_CPUS=0 ONLY="full,resume,keepalive,memory,startup" INSTALL=1 TARGETS="stapled haproxy" CLIENT=c CDS=1
JAR=$ROOT/proxy-core/target/stapled.jar
OUT=$ROOT/benchmarks/target/e2e
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --jit-warmup) JIT_WARMUP=$2; shift 2 ;;
        --hs-client) HS_CLIENT=$2; shift 2 ;;
        --conns) CONNS=$2; shift 2 ;;
        --ka-conns) KA_CONNS=$2; shift 2 ;;
        --idle) IDLE=$2; shift 2 ;;
        --hold) HOLD=$2; shift 2 ;;
        --workers) WORKERS=$2; shift 2 ;;
        --proxy-cpus) PROXY_CPUS=$2; shift 2 ;;
        --client-cpus) CLIENT_CPUS=$2; shift 2 ;;
        --only) ONLY=$2; shift 2 ;;
        --jar) JAR=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --no-install) INSTALL=0; shift ;;
        --targets) TARGETS=$2; shift 2 ;;
        --client) CLIENT=$2; shift 2 ;;
        --no-cds) CDS=0; shift ;;
        *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
    esac
done
if [ $((ROUNDS % 2)) -eq 0 ]; then echo "--rounds must be odd (medians)" >&2; exit 2; fi
wants() { [[ ",$ONLY," == *",$1,"* ]]; }
has_target() { [[ " $TARGETS " == *" $1 "* ]]; }
order_for_round() { # stapled first in odd rounds, HAProxy first in even ones
    local order="stapled haproxy"
    if [ $(($1 % 2)) -eq 0 ]; then order="haproxy stapled"; fi
    for t in $order; do if has_target "$t"; then printf '%s ' "$t"; fi; done
}

# Ports away from the usual 8443/18443 family, so another benchmark on the machine does not collide.
HAPROXY_PORT=${HAPROXY_PORT:-41443} STAPLED_PORT=${STAPLED_PORT:-42443} BACKEND_PORT=${BACKEND_PORT:-41080}
mkdir -p "$OUT"
RAW=$OUT/raw.txt
: > "$RAW"
# shellcheck source=proxies.sh
. "$HERE/proxies.sh"

# ---------------------------------------------------------------- install and build
if [ "$INSTALL" = 1 ]; then
    if ! command -v haproxy >/dev/null || ! command -v gcc >/dev/null || [ ! -f /usr/include/openssl/ssl.h ] \
            || { [ "$HS_CLIENT" = go ] && ! command -v go >/dev/null; }; then
        log "installing haproxy gcc libssl-dev golang-go"
        timeout 300 apt-get update -qq
        DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq haproxy gcc libssl-dev golang-go >/dev/null
    fi
fi
timeout 120 gcc -O2 -Wall -o "$OUT/tlsload" "$HERE/tlsload.c" -lssl -lcrypto
if [ "$HS_CLIENT" = go ]; then
    # standard library only: no module download (the module proxy is not reachable from here)
    (cd "$HERE/tlsload-go" && GOFLAGS=-mod=mod GOCACHE="$OUT/gocache" timeout 300 go build -o "$OUT/tlsload-go" .)
fi
BENCH_JAR=$ROOT/benchmarks/target/benchmarks.jar
if [ "$CLIENT" = java ] && [ ! -f "$BENCH_JAR" ]; then
    log "building $BENCH_JAR"
    (cd "$ROOT" && timeout 900 mvn -B -q -pl benchmarks -am package -DskipTests)
fi
if has_target stapled && [ "$ONLY" != setup ] && [ ! -f "$JAR" ]; then
    log "building $JAR"
    (cd "$ROOT" && timeout 900 mvn -B -q -pl proxy-core -am package -DskipTests)
fi
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((IDLE * 2 + 1000)) ]; then
    echo "ulimit -n $(ulimit -n) is too low for --idle $IDLE" >&2; exit 2
fi

# ---------------------------------------------------------------- PKI and configs
OCSP_PORT=${OCSP_PORT:-41888} timeout 120 bash "$HERE/make-pki.sh" "$OUT/pki" >> "$OUT/run.log"
CERTS=$OUT/pki/certs
MAXCONN=$((IDLE + 2000))

write_backend_cfg
write_haproxy_cfg http/1.1

cat > "$OUT/stapled.yaml" <<EOF
# Same listener shape as haproxy.cfg: one TLS frontend, the same certificate directory (with its
# .ocsp/.issuer siblings), the same backend. forwarded_headers off because HAProxy adds none by default.
global:
  workers: $WORKERS
  log_level: ${STAPLED_LOG_LEVEL:-warn}
ocsp:
  persist: false
frontends:
  - name: bench
    bind: 127.0.0.1:$STAPLED_PORT
    backend: be
    max_connections: $MAXCONN
    max_handshakes_per_source: 0  # every load client is 127.0.0.1; HAProxy has no such limit here
    client_timeout: 120s
    certificates:
      - dir: $CERTS
    http:
      forwarded_headers: false
      request_timeout: 120s  # HAProxy here waits "timeout client" (120s) for a request; idle-test conns send none
backends:
  - name: be
    # HAProxy keeps every idle server connection (pool-max-conn -1); stapled's default of 32 would
    # close and reopen backend connections whenever more than 32 requests are in flight.
    max_idle_per_server: $((KA_CONNS + CONNS + 64))
    servers:
      - { name: b1, address: 127.0.0.1:$BACKEND_PORT }
EOF

if [ "$ONLY" = setup ]; then
    log "set up in $OUT"
    exit 0
fi

# ---------------------------------------------------------------- processes
trap cleanup EXIT

load_hs() { # target args...: full handshakes with the --hs-client, prints its result line
    local target=$1; shift
    if [ "$HS_CLIENT" = go ]; then
        # one core, as tlsload.c; GOGC=800: the client's garbage collector would otherwise cost it ~10 %
        GOMAXPROCS=1 GOGC=800 taskset -c "$CLIENT_CPUS" timeout $((DURATION + WARMUP + 60)) "$OUT/tlsload-go" \
            -p "$(port_of "$target")" "$@"
    else
        load "$target" "$@"
    fi
}
load() { # target args...: runs tlsload against target, prints its result line
    local target=$1; shift
    if [ "$CLIENT" = java ]; then
        taskset -c "$CLIENT_CPUS" timeout $((DURATION + WARMUP + 60)) java -XX:+UseParallelGC -Xmx256m \
            -cp "$BENCH_JAR" io.stapled.bench.load.TlsLoad -p "$(port_of "$target")" "$@" 2>> "$OUT/client.log"
    else
        taskset -c "$CLIENT_CPUS" timeout $((DURATION + WARMUP + 60)) "$OUT/tlsload" -p "$(port_of "$target")" "$@"
    fi
}

measure() { # test round target tlsload-args...
    local test=$1 round=$2 target=$3; shift 3
    local pid c0 c1 line
    pid=$(pid_of "$target")
    alive "$target"
    c0=$(cpu_ticks "$pid")
    if [ "$test" != "${test#full}" ]; then
        line=$(load_hs "$target" -d "$DURATION" -w "$WARMUP" "$@")
    else
        line=$(load "$target" -d "$DURATION" -w "$WARMUP" "$@")
    fi
    c1=$(cpu_ticks "$pid")
    echo "test=$test target=$target round=$round cpu_ticks=$((c1 - c0)) $line" >> "$RAW"
    log "$test r$round $target: $(echo "$line" | grep -oE '(hps|rps|stapled|resumed|p99_us)=[0-9.]+' | tr '\n' ' ')"
}

# ---------------------------------------------------------------- environment record
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "uptime: $(uptime)"
    echo "kernel: $(uname -sr), cpus: $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "haproxy: $(haproxy -v | head -1)"
    echo "openssl (client, PKI): $(openssl version)"
    echo "java: $(java -version 2>&1 | head -2 | tr '\n' ' ')"
    echo "stapled: $(timeout 30 java -jar "$JAR" --version 2>/dev/null | head -1 || echo "not run")"
    echo "stapled JVM options: ${STAPLED_JAVA_OPTS:-default of run-stapled.sh}"
    echo "workers: haproxy nbthread=$WORKERS, stapled global.workers=$WORKERS"
    echo "cpus: proxies on $PROXY_CPUS, load client and backend on $CLIENT_CPUS"
    echo "load client, full handshakes: $([ "$HS_CLIENT" = go ] && echo "tlsload-go ($(go version | cut -d' ' -f3), GOMAXPROCS=1)" || echo "as below")"
    echo "load client, the rest: $([ "$CLIENT" = java ] && echo "TlsLoad (Java, Netty, BoringSSL)" || echo "tlsload.c (OpenSSL $(openssl version | cut -d' ' -f2))")"
    echo "rounds=$ROUNDS duration=${DURATION}s warmup=${WARMUP}s jit_warmup=${JIT_WARMUP}s per kind conns=$CONNS ka_conns=$KA_CONNS idle=$IDLE hold=${HOLD}s"
} > "$OUT/env.txt"
cat "$OUT/env.txt" >&2

if [ "$CDS" = 1 ]; then
    # the long-running stapled below writes it when it is stopped before the start-up test
    export STAPLED_CDS_ARCHIVE=$OUT/stapled.jsa
    rm -f "$STAPLED_CDS_ARCHIVE"
fi
start_backend
if has_target haproxy; then start_haproxy; wait_port $HAPROXY_PORT 20; fi
if has_target stapled; then start_stapled; wait_port $STAPLED_PORT 60; fi

# Warm-up, not recorded: the JIT compiles stapled's paths; HAProxy gets the same traffic.
log "warm-up: ${JIT_WARMUP}s of each kind of traffic per proxy"
for target in $(order_for_round 1); do
    load_hs "$target" -m full -t 1.3 -s ecdsa.bench.test -c "$CONNS" -d "$JIT_WARMUP" -w 0 > /dev/null
    load_hs "$target" -m full -t 1.2 -s rsa.bench.test -c "$CONNS" -d $((JIT_WARMUP / 2 + 1)) -w 0 > /dev/null
    load "$target" -m resume -t 1.3 -s ecdsa.bench.test -c "$CONNS" -d $((JIT_WARMUP / 2 + 1)) -w 0 > /dev/null
    load "$target" -m keepalive -t 1.3 -s ecdsa.bench.test -c "$KA_CONNS" -d "$JIT_WARMUP" -w 0 > /dev/null
done

for round in $(seq 1 "$ROUNDS"); do
    for target in $(order_for_round "$round"); do
        if wants full; then
            measure full13_ecdsa_staple "$round" "$target" -m full -t 1.3 -s ecdsa.bench.test -c "$CONNS"
            # the same handshake with a certificate that has no staple (same key type and chain)
            measure full13_ecdsa_nostaple "$round" "$target" -m full -t 1.3 -s nostaple.bench.test -c "$CONNS"
            measure full12_ecdsa_staple "$round" "$target" -m full -t 1.2 -s ecdsa.bench.test -c "$CONNS"
            measure full13_rsa_staple "$round" "$target" -m full -t 1.3 -s rsa.bench.test -c "$CONNS"
            measure full12_rsa_staple "$round" "$target" -m full -t 1.2 -s rsa.bench.test -c "$CONNS"
        fi
        if wants resume; then
            measure resume13_ecdsa "$round" "$target" -m resume -t 1.3 -s ecdsa.bench.test -c "$CONNS"
            measure resume12_ecdsa "$round" "$target" -m resume -t 1.2 -s ecdsa.bench.test -c "$CONNS"
        fi
        if wants keepalive; then
            measure keepalive13_ecdsa "$round" "$target" -m keepalive -t 1.3 -s ecdsa.bench.test -c "$KA_CONNS"
        fi
    done
done

if wants memory; then
    # Each round on a fresh proxy process, warmed with a little traffic first: a process that has
    # already held N connections keeps that memory in its pools (HAProxy and the JVM alike), so a
    # second measurement on the same process would only show reuse.
    for round in $(seq 1 "$ROUNDS"); do
        for target in $(order_for_round "$round"); do
            if [ "$target" = stapled ]; then
                stop_pid "$STAPLED_PID"; start_stapled; wait_port $STAPLED_PORT 60
            else
                stop_pid "$HAPROXY_PID"; start_haproxy; wait_port $HAPROXY_PORT 20
            fi
            pid=$(pid_of "$target")
            load "$target" -m full -t 1.3 -s ecdsa.bench.test -c "$CONNS" -d 3 -w 0 > /dev/null
            load "$target" -m keepalive -t 1.3 -s ecdsa.bench.test -c "$KA_CONNS" -d 3 -w 0 > /dev/null
            sleep 2
            r0=$(rss_kb "$pid")
            held_file=$OUT/hold-$target-$round.txt
            taskset -c "$CLIENT_CPUS" timeout $((HOLD + 120)) "$OUT/tlsload" -p "$(port_of "$target")" -m hold \
                -t 1.3 -s ecdsa.bench.test -c "$IDLE" -d 60 -w 0 -H "$HOLD" > "$held_file" &
            hold_pid=$!
            for _ in $(seq 1 1200); do grep -q '^HELD' "$held_file" && break; sleep 0.1; done
            sleep 2 # let the last handshakes' garbage and buffers settle
            r1=$(rss_kb "$pid")
            wait "$hold_pid" || true
            held=$(grep -oE '^HELD [0-9]+' "$held_file" | cut -d' ' -f2 || echo 0)
            echo "test=idle_memory target=$target round=$round rss0_kb=$r0 rss1_kb=$r1 held=${held:-0} $(tail -1 "$held_file")" >> "$RAW"
            log "idle_memory r$round $target: held=${held:-0} rss ${r0} -> ${r1} kB"
        done
    done
fi

if wants startup; then
    # Time from exec to the first handshake that carries a staple, warm .ocsp files on disk. Variants:
    # pinned to the proxy CPU as in the rest of the run, and with every CPU (as a deployment has them);
    # stapled also with and without the class-data-sharing archive its first run wrote when it stopped.
    if has_target stapled; then stop_pid "$STAPLED_PID"; fi
    if has_target haproxy; then stop_pid "$HAPROXY_PID"; fi
    ALL_CPUS=$(seq -s, 0 $(($(nproc) - 1)))
    first_staple() { # test target cpus
        local t0 pid ms=-1
        t0=$(date +%s%N)
        if [ "$2" = stapled ]; then start_stapled "$3"; pid=$STAPLED_PID; else start_haproxy "$3"; pid=$HAPROXY_PID; fi
        # a cheap connect poll first (5 ms), so the ~70 ms an openssl s_client start costs is paid once
        for _ in $(seq 1 4000); do
            if timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$(port_of "$2")" 2>/dev/null; then break; fi
            sleep 0.005
        done
        for _ in $(seq 1 600); do
            if echo | timeout 2 openssl s_client -connect 127.0.0.1:"$(port_of "$2")" \
                    -servername ecdsa.bench.test -status 2>/dev/null | grep -q 'OCSP Response Status: successful'; then
                ms=$(( ($(date +%s%N) - t0) / 1000000 )); break
            fi
            sleep 0.01
        done
        echo "test=$1 target=$2 round=$round ms=$ms cpus=$3 cds=${STAPLED_CDS_ARCHIVE:+yes}" >> "$RAW"
        log "$1 r$round $2: ${ms} ms"
        stop_pid "$pid"
    }
    for round in $(seq 1 "$ROUNDS"); do
        for target in $(order_for_round "$round"); do
            first_staple first_staple "$target" "$PROXY_CPUS"
            first_staple first_staple_allcpus "$target" "$ALL_CPUS"
            if [ "$target" = stapled ] && [ -n "${STAPLED_CDS_ARCHIVE:-}" ]; then
                (unset STAPLED_CDS_ARCHIVE; first_staple first_staple_nocds stapled "$PROXY_CPUS")
            fi
        done
    done
fi

echo "uptime after: $(uptime)" >> "$OUT/env.txt"
python3 "$HERE/summarize.py" "$RAW" "$OUT/env.txt" | tee "$OUT/summary.md"
