#!/usr/bin/env bash
# usage: ab.sh OUT ROUNDS JAR_A JAR_B [JAR_C]: haproxy + stapled jars, alternating, m100 / m1 / hs_h2 / hs_h1
set -uo pipefail
OUT=$1 ROUNDS=$2; shift 2
JARS=("$@")
CFG=${CFG:?the out dir of a run-h2.sh run with HAPROXY_PORT=53443 STAPLED_PORT=54443 BACKEND_PORT=53080}
mkdir -p $OUT; : > $OUT/raw.txt
sed -e 's/53080/56080/' $CFG/backend.cfg > $OUT/backend.cfg
sed -e 's/53443/56443/' -e 's/53080/56080/' $CFG/haproxy.cfg > $OUT/haproxy.cfg
PIDS=()
taskset -c 0 haproxy -f $OUT/backend.cfg -db > $OUT/backend.log 2>&1 & PIDS+=($!)
taskset -c 1 haproxy -f $OUT/haproxy.cfg -db > $OUT/haproxy.log 2>&1 & HP=$!; PIDS+=($!)
declare -A PORT PID
PORT[haproxy]=56443; PID[haproxy]=$HP
TARGETS=(haproxy)
i=0
for j in "${JARS[@]}"; do
  i=$((i+1)); p=$((56443+i)); n=s$i
  sed -e "s/54443/$p/" -e 's/53080/56080/' $CFG/stapled.yaml > $OUT/$n.yaml
  taskset -c 1 java -XX:+UseParallelGC -Xms64m -Xmx512m -Xss512k -jar $j run --config $OUT/$n.yaml > $OUT/$n.log 2>&1 &
  PID[$n]=$!; PIDS+=($!); PORT[$n]=$p; TARGETS+=($n)
done
trap 'kill ${PIDS[@]} 2>/dev/null' EXIT
sleep 8
for t in "${TARGETS[@]}"; do
  for k in 1; do
  taskset -c 0 h2load -t 1 -c 10 -m 100 -D ${WARM:-10} https://127.0.0.1:${PORT[$t]}/ >/dev/null 2>&1
  taskset -c 0 h2load -t 1 -c 100 -m 1 -D ${WARM:-10} https://127.0.0.1:${PORT[$t]}/ >/dev/null 2>&1
  for b in 1 2 3 4 5; do taskset -c 0 h2load -t 1 -c 200 -n 200 -m 1 https://127.0.0.1:${PORT[$t]}/ >/dev/null 2>&1; taskset -c 0 h2load --h1 -t 1 -c 200 -n 200 -m 1 https://127.0.0.1:${PORT[$t]}/ >/dev/null 2>&1; done
  done
done
meas() { # test target args
  local test=$1 t=$2; shift 2
  local c0 c1 out ok
  c0=$(awk '{print $14+$15}' /proc/${PID[$t]}/stat)
  out=$(taskset -c 0 h2load -t 1 "$@" https://127.0.0.1:${PORT[$t]}/ 2>&1)
  c1=$(awk '{print $14+$15}' /proc/${PID[$t]}/stat)
  ok=$(echo "$out" | grep -oE '[0-9]+ succeeded' | head -1 | cut -d' ' -f1)
  rps=$(echo "$out" | grep -oE 'finished in [0-9.]+s, [0-9.]+ req/s' | grep -oE '[0-9.]+ req/s' | cut -d' ' -f1)
  echo "test=$test target=$t ok=$ok ticks=$((c1-c0)) rps=$rps us_per=$(python3 -c "print(round(($c1-$c0)*1e4/max(1,${ok:-0}),2))")" | tee -a $OUT/raw.txt
}
for r in $(seq 1 $ROUNDS); do
  ord=("${TARGETS[@]}"); [ $((r%2)) -eq 0 ] && ord=($(printf '%s\n' "${TARGETS[@]}" | tac))
  for t in "${ord[@]}"; do
    meas m100 $t -c 10 -m 100 -D ${DUR:-4}
    meas m1 $t -c 100 -m 1 -D ${DUR:-4}
    [ "${HS:-1}" = 1 ] && meas hs_h2 $t -c 400 -n 400 -m 1
    [ "${HS:-1}" = 1 ] && meas hs_h1 $t --h1 -c 400 -n 400 -m 1
  done
done
python3 - $OUT/raw.txt <<'PY'
import sys,statistics,collections
d=collections.defaultdict(list); r=collections.defaultdict(list)
for l in open(sys.argv[1]):
    kv=dict(x.split('=',1) for x in l.split())
    d[(kv['test'],kv['target'])].append(float(kv['us_per'])); r[(kv['test'],kv['target'])].append(float(kv['rps'] or 0))
for k in sorted(d): print(k, 'median_us_per_req', statistics.median(d[k]), 'all', d[k], 'median_rps', statistics.median(r[k]))
PY
