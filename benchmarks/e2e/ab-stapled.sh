#!/usr/bin/env bash
# A/B of two stapled builds (or two JVM option sets) on the same machine, same config, same load:
# both run at once on the proxy CPU, pinned like run-e2e.sh, and are measured alternately, so that
# the drift of a shared machine hits both alike. Prints one line per measurement and the medians.
#
#   benchmarks/e2e/ab-stapled.sh A.jar B.jar [rounds] -- tlsload-args...
#   e.g. ab-stapled.sh old.jar proxy-core/target/stapled.jar 5 -- -m keepalive -t 1.3 -s ecdsa.bench.test -c 50
#
# Needs a finished run-e2e.sh output directory (its PKI, stapled.yaml, backend.cfg and tlsload):
# E2E_OUT (default benchmarks/target/e2e; `run-e2e.sh --only setup` makes one). A_OPTS / B_OPTS add
# JVM options to one side, A_YAML / B_YAML give one side its own config (default: the run's
# stapled.yaml; an older build may refuse a newer key); WARM is the seconds of the same load each side
# gets first (JIT), DUR the seconds measured per round.
set -euo pipefail
A_JAR=${1:?usage: ab-stapled.sh A.jar B.jar [rounds] -- tlsload-args}
B_JAR=${2:?usage: ab-stapled.sh A.jar B.jar [rounds] -- tlsload-args}
shift 2
ROUNDS=5
if [ "${1:-}" != "--" ]; then ROUNDS=$1; shift; fi
[ "${1:-}" = "--" ] && shift
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${E2E_OUT:-$HERE/../target/e2e}
WARM=${WARM:-40} DUR=${DUR:-8} PROXY_CPUS=${PROXY_CPUS:-1} CLIENT_CPUS=${CLIENT_CPUS:-0}
BASE_OPTS="-XX:+UseParallelGC -Xms64m -Xmx512m -Xss512k"
BACKEND_PORT=$(awk '/^  bind 127/ {split($2, a, ":"); print a[2]}' "$OUT/backend.cfg")

PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
if ! timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$BACKEND_PORT" 2>/dev/null; then
    taskset -c "$CLIENT_CPUS" haproxy -f "$OUT/backend.cfg" -db > /dev/null 2>&1 &
    PIDS+=($!)
fi
start() { # name jar port opts yaml
    sed "s/^\(    bind: 127.0.0.1:\)[0-9]*/\1$3/" "$5" > "$OUT/ab-$1.yaml"
    # shellcheck disable=SC2086
    taskset -c "$PROXY_CPUS" java $BASE_OPTS $4 -jar "$2" run --config "$OUT/ab-$1.yaml" > "$OUT/ab-$1.log" 2>&1 &
    PIDS+=($!)
    eval "PID_$1=$!"
    for _ in $(seq 1 600); do
        timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$3" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "$1 did not start; see $OUT/ab-$1.log" >&2
    exit 1
}
start A "$A_JAR" 44443 "${A_OPTS:-}" "${A_YAML:-$OUT/stapled.yaml}"
start B "$B_JAR" 45443 "${B_OPTS:-}" "${B_YAML:-$OUT/stapled.yaml}"
for port in 44443 45443; do
    taskset -c "$CLIENT_CPUS" timeout $((WARM + 30)) "$OUT/tlsload" -p $port "$@" -d "$WARM" -w 0 > /dev/null
done
for round in $(seq 1 "$ROUNDS"); do
    for side in A B; do
        port=44443; [ $side = B ] && port=45443
        pid_var=PID_$side; pid=${!pid_var}
        c0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
        line=$(taskset -c "$CLIENT_CPUS" timeout $((DUR + 30)) "$OUT/tlsload" -p $port "$@" -d "$DUR" -w 2)
        c1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
        rate_key=hps work_key=all_handshakes
        if echo "$line" | grep -q 'mode=keepalive'; then rate_key=rps work_key=all_requests; fi
        rate=$(echo "$line" | grep -oE " $rate_key=[0-9.]+" | cut -d= -f2)
        work=$(echo "$line" | grep -oE " $work_key=[0-9]+" | cut -d= -f2)
        cpu=$(awk -v t=$((c1 - c0)) -v n="$work" 'BEGIN { printf "%.1f", t * 10000 / n }')
        echo "round=$round side=$side rate=$rate cpu_us_per_op=$cpu $(echo "$line" | grep -oE 'p99_us=[0-9]+')"
    done
done | tee "$OUT/ab.txt"
python3 - "$OUT/ab.txt" <<'EOF'
import statistics, sys
rows = [dict(kv.split("=", 1) for kv in line.split()) for line in open(sys.argv[1])]
for side in ("A", "B"):
    rs = [r for r in rows if r["side"] == side]
    print(f"{side}: median rate {statistics.median(float(r['rate']) for r in rs):,.0f}/s, "
          f"median CPU {statistics.median(float(r['cpu_us_per_op']) for r in rs):.1f} µs per operation")
EOF
