#!/usr/bin/env bash
# HTTP/2 end-to-end benchmark (issue 12): stapled vs HAProxy, both offering `h2,http/1.1` by ALPN, on the
# PKI, backend, worker count, CPU pinning and alternating-rounds structure of run-e2e.sh; h2load
# (nghttp2) is the load client. Measures, per round and target:
#   rps_m100   requests/s, 10 connections x 100 concurrent streams   (h2load -c 10 -m 100 -D ...)
#   rps_m1     requests/s, 100 connections x 1 stream                (h2load -c 100 -m 1 -D ...)
#              both with p50/p99 request latency from h2load's per-request --log-file
#   hs_h2/hs_h1 full handshakes/s with ALPN h2 vs http/1.1: batches of h2load -c B -n B (every client
#              one new connection, one full handshake, one request), for --duration seconds; also the
#              proxy's CPU per handshake (from /proc/PID/stat), which does not depend on the client
#   idle_memory RSS delta of the proxy for N idle HTTP/2 connections (h2-idle.py: TLS with ALPN h2,
#              client preface + SETTINGS, server SETTINGS acknowledged, then nothing), fresh process
#              per round as run-e2e.sh does
#
#   benchmarks/e2e/run-h2.sh [--rounds 3] [--duration 5] [--warmup 1] [--jit-warmup 20] [--idle 2000]
#                            [--hold 8] [--hs-batch 200] [--workers 1] [--proxy-cpus 1] [--client-cpus 0]
#                            [--only rps,hs,memory] [--jar PATH] [--out DIR]
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ROUNDS=3 DURATION=5 WARMUP=1 JIT_WARMUP=20 IDLE=2000 HOLD=8 HS_BATCH=200 WORKERS=1
PROXY_CPUS=1 CLIENT_CPUS=0 ONLY="rps,hs,memory"
JAR=$ROOT/proxy-core/target/stapled.jar
OUT=$ROOT/benchmarks/target/e2e-h2
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --jit-warmup) JIT_WARMUP=$2; shift 2 ;;
        --idle) IDLE=$2; shift 2 ;;
        --hold) HOLD=$2; shift 2 ;;
        --hs-batch) HS_BATCH=$2; shift 2 ;;
        --workers) WORKERS=$2; shift 2 ;;
        --proxy-cpus) PROXY_CPUS=$2; shift 2 ;;
        --client-cpus) CLIENT_CPUS=$2; shift 2 ;;
        --only) ONLY=$2; shift 2 ;;
        --jar) JAR=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
    esac
done
if [ $((ROUNDS % 2)) -eq 0 ]; then echo "--rounds must be odd (medians)" >&2; exit 2; fi
wants() { [[ ",$ONLY," == *",$1,"* ]]; }
order_for_round() { if [ $(($1 % 2)) -eq 0 ]; then echo "haproxy stapled"; else echo "stapled haproxy"; fi; }
command -v h2load >/dev/null || { echo "h2load (nghttp2-client) is required" >&2; exit 2; }
[ -f "$JAR" ] || { echo "no $JAR: mvn -B -ntp -q -o -pl proxy-core -am package -DskipTests" >&2; exit 2; }

HAPROXY_PORT=${HAPROXY_PORT:-43443} STAPLED_PORT=${STAPLED_PORT:-44443} BACKEND_PORT=${BACKEND_PORT:-43080}
mkdir -p "$OUT"
RAW=$OUT/raw.txt
: > "$RAW"
# shellcheck source=proxies.sh
. "$HERE/proxies.sh"
ulimit -n "$(ulimit -Hn)"

# ---------------------------------------------------------------- PKI and configs (as run-e2e.sh)
OCSP_PORT=${OCSP_PORT:-43888} timeout 120 bash "$HERE/make-pki.sh" "$OUT/pki" >> "$OUT/run.log"
CERTS=$OUT/pki/certs
MAXCONN=$((IDLE + 2000))

write_backend_cfg
# tune.h2.max-concurrent-streams: HAProxy's default 100, as stapled's http2.max_concurrent_streams
write_haproxy_cfg h2,http/1.1

cat > "$OUT/stapled.yaml" <<EOF
# As run-e2e.sh's stapled.yaml, with tls.alpn [h2, http/1.1] (also the default in mode http).
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
    max_handshakes_per_source: 0
    client_timeout: 120s
    certificates:
      - dir: $CERTS
    tls:
      alpn: [h2, http/1.1]
    http:
      forwarded_headers: false
      request_timeout: 120s
backends:
  - name: be
    max_idle_per_server: 1200  # HAProxy keeps every idle server connection; >= streams in flight
    servers:
      - { name: b1, address: 127.0.0.1:$BACKEND_PORT }
EOF

# ---------------------------------------------------------------- processes (as run-e2e.sh)
trap cleanup EXIT
url_of() { echo "https://127.0.0.1:$(port_of "$1")/"; }
h2l() { taskset -c "$CLIENT_CPUS" timeout $((DURATION + WARMUP + 60)) h2load -t 1 "$@"; }

measure_rps() { # test round target h2load-args...
    local test=$1 round=$2 target=$3; shift 3
    local pid c0 c1 o f
    pid=$(pid_of "$target"); alive "$target"
    f=$OUT/$test-$target-$round
    c0=$(cpu_ticks "$pid")
    h2l "$@" -D "$DURATION" --warm-up-time="$WARMUP" --log-file="$f.log" "$(url_of "$target")" > "$f.out" 2>&1 || true
    c1=$(cpu_ticks "$pid")
    o=$(python3 "$HERE/h2-summarize.py" --one "$f.out" "$f.log")
    echo "test=$test target=$target round=$round cpu_ticks=$((c1 - c0)) $o" >> "$RAW"
    log "$test r$round $target: $o"
    rm -f "$f.log" # up to ~10^6 lines; the percentiles are in raw.txt
}
measure_hs() { # test round target h2load-proto-args...: batches of one-request connections
    local test=$1 round=$2 target=$3; shift 3
    local pid c0 c1 t0 t1 n=0 ok=0 s f
    pid=$(pid_of "$target"); alive "$target"
    f=$OUT/$test-$target-$round.out
    : > "$f"
    c0=$(cpu_ticks "$pid"); t0=$(date +%s%N)
    while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt $((DURATION * 1000)) ]; do
        h2l "$@" -c "$HS_BATCH" -n "$HS_BATCH" -m 1 "$(url_of "$target")" > "$f.one" 2>&1 || true
        s=$(grep -oE '^requests: .* ([0-9]+) succeeded' "$f.one" | grep -oE '[0-9]+ succeeded' | cut -d' ' -f1 || echo 0)
        grep -E '^(finished|requests|Application protocol)' "$f.one" >> "$f" || true
        n=$((n + HS_BATCH)); ok=$((ok + ${s:-0}))
    done
    t1=$(date +%s%N); c1=$(cpu_ticks "$pid"); rm -f "$f.one"
    local secs hps cpu_us
    secs=$(python3 -c "print(($t1-$t0)/1e9)")
    hps=$(python3 -c "print(round($ok/$secs,1))")
    cpu_us=$(python3 -c "import os; print(round(($c1-$c0)*1e6/os.sysconf('SC_CLK_TCK')/max($ok,1),1))")
    echo "test=$test target=$target round=$round cpu_ticks=$((c1 - c0)) conns=$n ok=$ok secs=$secs hps=$hps cpu_us_per_hs=$cpu_us proto=$(grep -m1 -oE 'Application protocol: .*' "$f" | cut -d' ' -f3)" >> "$RAW"
    log "$test r$round $target: hps=$hps ok=$ok/$n cpu_us_per_hs=$cpu_us"
}

# ---------------------------------------------------------------- environment record
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "uptime: $(uptime)"
    echo "kernel: $(uname -sr), cpus: $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    lscpu | grep -E 'Model name|Vendor ID|^CPU\(s\)|Flags' | sed 's/^/lscpu: /' | cut -c1-400
    echo "haproxy: $(haproxy -v | head -1)"
    echo "h2load: $(h2load --version) ($(openssl version))"
    echo "java: $(java -version 2>&1 | head -2 | tr '\n' ' ')"
    echo "stapled: $(timeout 30 java -jar "$JAR" --version 2>/dev/null | head -1 || echo "not run") at $(cd "$ROOT" && git rev-parse --short HEAD)"
    echo "workers: haproxy nbthread=$WORKERS, stapled global.workers=$WORKERS"
    echo "cpus: proxies on $PROXY_CPUS, h2load and backend on $CLIENT_CPUS"
    echo "rounds=$ROUNDS duration=${DURATION}s warmup=${WARMUP}s jit_warmup=${JIT_WARMUP}s idle=$IDLE hold=${HOLD}s hs_batch=$HS_BATCH"
} > "$OUT/env.txt"
cat "$OUT/env.txt" >&2

start_backend
start_haproxy; wait_port $HAPROXY_PORT 20
start_stapled; wait_port $STAPLED_PORT 60

log "warm-up: ${JIT_WARMUP}s of each kind of traffic per proxy"
for target in stapled haproxy; do
    h2l -c 10 -m 100 -D "$JIT_WARMUP" "$(url_of "$target")" > /dev/null 2>&1 || true
    h2l -c 100 -m 1 -D $((JIT_WARMUP / 2 + 1)) "$(url_of "$target")" > /dev/null 2>&1 || true
    for _ in $(seq 1 10); do
        h2l -c "$HS_BATCH" -n "$HS_BATCH" -m 1 "$(url_of "$target")" > /dev/null 2>&1 || true
        h2l --h1 -c "$HS_BATCH" -n "$HS_BATCH" -m 1 "$(url_of "$target")" > /dev/null 2>&1 || true
    done
done

for round in $(seq 1 "$ROUNDS"); do
    for target in $(order_for_round "$round"); do
        if wants rps; then
            measure_rps rps_m100 "$round" "$target" -c 10 -m 100
            measure_rps rps_m1 "$round" "$target" -c 100 -m 1
        fi
        if wants hs; then
            # alternate the protocol order per round too: the first measurement after another kind
            # of traffic is the one the JIT may still be adapting in
            if [ $((round % 2)) -eq 1 ]; then
                measure_hs hs_h2 "$round" "$target"; measure_hs hs_h1 "$round" "$target" --h1
            else
                measure_hs hs_h1 "$round" "$target" --h1; measure_hs hs_h2 "$round" "$target"
            fi
        fi
    done
done

if wants memory; then
    for round in $(seq 1 "$ROUNDS"); do
        for target in $(order_for_round "$round"); do
            if [ "$target" = stapled ]; then stop_pid "$STAPLED_PID"; start_stapled; wait_port $STAPLED_PORT 60; else stop_pid "$HAPROXY_PID"; start_haproxy; wait_port $HAPROXY_PORT 20; fi
            pid=$(pid_of "$target")
            h2l -c 10 -m 100 -D 3 "$(url_of "$target")" > /dev/null 2>&1 || true
            h2l -c 100 -n 300 -m 1 "$(url_of "$target")" > /dev/null 2>&1 || true
            sleep 2
            r0=$(rss_kb "$pid")
            held_file=$OUT/hold-$target-$round.txt
            taskset -c "$CLIENT_CPUS" timeout $((HOLD + 180)) python3 "$HERE/h2-idle.py" "$(port_of "$target")" "$IDLE" "$HOLD" > "$held_file" 2>&1 &
            hold_pid=$!
            for _ in $(seq 1 1800); do grep -q '^HELD' "$held_file" && break; sleep 0.1; done
            sleep 2
            r1=$(rss_kb "$pid")
            wait "$hold_pid" || true
            held=$(grep -oE '^HELD [0-9]+' "$held_file" | cut -d' ' -f2 || echo 0)
            echo "test=idle_memory target=$target round=$round rss0_kb=$r0 rss1_kb=$r1 held=${held:-0}" >> "$RAW"
            log "idle_memory r$round $target: held=${held:-0} rss ${r0} -> ${r1} kB"
        done
    done
fi

echo "uptime after: $(uptime)" >> "$OUT/env.txt"
python3 "$HERE/h2-summarize.py" "$RAW" | tee "$OUT/summary.md"
