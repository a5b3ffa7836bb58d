#!/usr/bin/env bash
# Issue 13's routing overhead check, end to end: keep-alive throughput of stapled with a frontend of 20
# host routes and 5 header rules (B) against the same frontend with only a default backend (A), same
# jar, same backend, same load, both running at once and measured alternately (ab-stapled.sh), so that
# the drift of a shared machine hits both alike. Prints the medians and the ratio B/A (target >= 0.97).
#
#   benchmarks/e2e/run-routes.sh [--rounds 5] [--duration 8] [--warm 40] [--ka-conns 50] [--jar PATH]
#                                [--out DIR]
#
# The request's Host (the SNI, ecdsa.bench.test) is the 20th route's, so every request is matched
# against the whole table (host-only runs are looked up in one index, see ROUTING.md), and then goes
# through 3 request and 2 response header rules. The per-route cost in isolation is the JMH
# RouteMatchBenchmark; this measures it inside the whole proxy (TLS 1.3, HTTP/1.1 keep-alive,
# tlsload.c as the client). Uses run-e2e.sh --only setup for the PKI, backend and tlsload.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ROUNDS=5 DURATION=8 WARM=40 KA_CONNS=50
JAR=$ROOT/proxy-core/target/stapled.jar
OUT=$ROOT/benchmarks/target/e2e-routes
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --warm) WARM=$2; shift 2 ;;
        --ka-conns) KA_CONNS=$2; shift 2 ;;
        --jar) JAR=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
    esac
done
[ -f "$JAR" ] || { echo "no $JAR: mvn -B -ntp -q -o -pl proxy-core -am package -DskipTests" >&2; exit 2; }

bash "$HERE/run-e2e.sh" --only setup --hs-client c --ka-conns "$KA_CONNS" --out "$OUT"
cp "$OUT/stapled.yaml" "$OUT/single.yaml"
# The same frontend with 20 host routes (the request's host last) and 5 header rules, inserted after
# its default backend.
python3 - "$OUT/stapled.yaml" "$OUT/routes.yaml" <<'PY'
import sys
src, dst = sys.argv[1], sys.argv[2]
extra = ["    routes:"]
for i in range(1, 20):
    extra += [f"      - host: site-{i:02d}.bench.test", "        backend: be"]
extra += ["      - host: ecdsa.bench.test", "        backend: be"]
extra += ["    request_headers:",
          '      - { set: X-Forwarded-Port, value: "443" }',
          '      - { set: X-Client, value: "%[src]" }',
          "      - { delete: X-Debug }",
          "    response_headers:",
          "      - { delete: Server }",
          "      - { set: X-Frontend, value: bench }"]
out, done = [], False
for line in open(src).read().splitlines():
    out.append(line)
    if not done and line == "    backend: be":
        out += extra
        done = True
if not done:
    sys.exit("no '    backend: be' line in " + src)
open(dst, "w").write("\n".join(out) + "\n")
PY

echo "cpu: $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2; exit}'), $(nproc) cores" | tee "$OUT/summary.txt"
echo "A: single default backend; B: 20 host routes + 5 header rules; jar $JAR" | tee -a "$OUT/summary.txt"
A_YAML=$OUT/single.yaml B_YAML=$OUT/routes.yaml E2E_OUT=$OUT WARM=$WARM DUR=$DURATION \
    bash "$HERE/ab-stapled.sh" "$JAR" "$JAR" "$ROUNDS" -- -m keepalive -t 1.3 -s ecdsa.bench.test -c "$KA_CONNS" \
    | tee -a "$OUT/summary.txt"
python3 - "$OUT/ab.txt" <<'PY' | tee -a "$OUT/summary.txt"
import statistics, sys
rows = [dict(kv.split("=", 1) for kv in line.split()) for line in open(sys.argv[1])]
med = {s: statistics.median(float(r["rate"]) for r in rows if r["side"] == s) for s in "AB"}
# The ratio per round too: A and B of one round ran back to back, so it is less exposed to drift.
per_round = [float(b["rate"]) / float(a["rate"]) for a, b in zip(
    [r for r in rows if r["side"] == "A"], [r for r in rows if r["side"] == "B"])]
ratio = med["B"] / med["A"]
print(f"routes/single: {ratio:.3f} of medians; per round {', '.join(f'{x:.3f}' for x in per_round)}, "
      f"median {statistics.median(per_round):.3f} (target >= 0.97: {'met' if ratio >= 0.97 else 'NOT met'})")
PY
