#!/usr/bin/env python3
"""Turns run-e2e.sh's raw.txt (one key=value line per measurement) into the Markdown tables of
RESULTS.md: medians over the rounds per target, the ratio stapled/HAProxy, and the targets."""
import statistics
import sys
from collections import defaultdict

CLK_TCK = 100  # /proc/PID/stat ticks per second on Linux

LABELS = {
    "full13_ecdsa_staple": "full handshakes/s, TLS 1.3, ECDSA P-256, staple requested",
    "full13_ecdsa_nostaple": "full handshakes/s, TLS 1.3, ECDSA P-256, certificate without a staple",
    "full12_ecdsa_staple": "full handshakes/s, TLS 1.2, ECDSA P-256, staple requested",
    "full13_rsa_staple": "full handshakes/s, TLS 1.3, RSA-2048, staple requested",
    "full12_rsa_staple": "full handshakes/s, TLS 1.2, RSA-2048, staple requested",
    "resume13_ecdsa": "resumed handshakes/s (tickets), TLS 1.3, ECDSA",
    "resume12_ecdsa": "resumed handshakes/s (tickets), TLS 1.2, ECDSA",
    "keepalive13_ecdsa": "keep-alive HTTPS requests/s (TLS 1.3)",
}


def read(path):
    rows = []
    with open(path) as f:
        for line in f:
            kv = dict(p.split("=", 1) for p in line.split() if "=" in p)
            if "test" in kv:
                rows.append(kv)
    return rows


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=0):
    if v is None:
        return "n/a"
    return f"{v:,.{digits}f}"


def pct(v):
    return "n/a" if v is None else f"{v:.0%}"


def ratio(a, b):
    return a / b if a is not None and b else None


def main():
    rows = read(sys.argv[1])
    by = defaultdict(lambda: defaultdict(list))
    for r in rows:
        by[r["test"]][r["target"]].append(r)
    out = []
    if len(sys.argv) > 2:
        out.append("```")
        out.append(open(sys.argv[2]).read().rstrip())
        out.append("```")
        out.append("")
    rounds = max((len(v) for t in by.values() for v in t.values()), default=0)
    out.append(f"Medians over {rounds} rounds. CPU = the proxy process's user+system time during the run "
               "(JVM: all threads, GC and JIT included) divided by the work done.")
    out.append("")
    out.append("| measurement | stapled | HAProxy | stapled/HAProxy | stapled CPU µs/op | HAProxy CPU µs/op "
               "| ops per CPU-second, stapled/HAProxy | stapled in handshakes | proxy core busy, stapled / HAProxy "
               "| client µs/op, client core busy (stapled run / HAProxy run) |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    medians = {}
    cpu_medians = {}
    for test, label in LABELS.items():
        if test not in by:
            continue
        cols = {}
        for target in ("stapled", "haproxy"):
            rs = by[test].get(target, [])
            key = "rps" if test.startswith("keepalive") else "hps"
            work_key = "all_requests" if test.startswith("keepalive") else "all_handshakes"
            rate = med([float(r[key]) for r in rs])
            cpu = med([int(r["cpu_ticks"]) * 1e6 / CLK_TCK / int(r[work_key])
                       for r in rs if int(r.get(work_key, 0)) > 0])
            stapled = med([int(r["stapled"]) / int(r["handshakes"]) for r in rs if int(r["handshakes"]) > 0])
            errors = sum(int(r["errors"]) + int(r["connect_errors"]) for r in rs)
            client_cpu = med([float(r["client_cpu_s"]) * 1e6 / int(r[work_key])
                              for r in rs if "client_cpu_s" in r and int(r.get(work_key, 0)) > 0])
            client_busy = med([float(r["client_cpu_s"]) / float(r["wall_s"]) for r in rs if "wall_s" in r])
            proxy_busy = med([int(r["cpu_ticks"]) / CLK_TCK / float(r["wall_s"]) for r in rs if "wall_s" in r])
            cols[target] = (rate, cpu, stapled, errors, rs, client_cpu, client_busy, proxy_busy)
        medians[test] = {t: c[0] for t, c in cols.items()}
        cpu_medians[test] = {t: c[1] for t, c in cols.items()}
        s, h = cols.get("stapled"), cols.get("haproxy")
        eff = ratio(ratio(1e6, s[1]) if s and s[1] else None, ratio(1e6, h[1]) if h and h[1] else None)
        stapled_share = "n/a" if test.startswith("keepalive") or s[2] is None else f"{s[2]:.0%} / {h[2]:.0%}"
        busy = f"{pct(s[7])} / {pct(h[7])}"
        client = f"{fmt(s[5])}, {pct(s[6])} / {fmt(h[5])}, {pct(h[6])}"
        out.append(f"| {label} | {fmt(s[0])} | {fmt(h[0])} | **{fmt(ratio(s[0], h[0]), 2)}** | {fmt(s[1])} "
                   f"| {fmt(h[1])} | {fmt(eff, 2)} | {stapled_share} | {busy} | {client} |")
        if s[3] or h[3]:
            out.append(f"| ↳ errors during {test} | {s[3]} | {h[3]} | | | | | | | |")
    if "keepalive13_ecdsa" in by:
        out.append("")
        out.append("| keep-alive latency (through the proxy to the backend) | stapled | HAProxy | stapled/HAProxy |")
        out.append("| --- | ---: | ---: | ---: |")
        for q in ("p50_us", "p99_us", "p999_us"):
            s = med([float(r[q]) for r in by["keepalive13_ecdsa"].get("stapled", [])])
            h = med([float(r[q]) for r in by["keepalive13_ecdsa"].get("haproxy", [])])
            medians[q] = {"stapled": s, "haproxy": h}
            out.append(f"| {q.replace('_us', '')} µs | {fmt(s)} | {fmt(h)} | **{fmt(ratio(s, h), 2)}** |")
    if "idle_memory" in by:
        out.append("")
        out.append("| idle TLS connections (handshake done, no request yet) | stapled | HAProxy | stapled/HAProxy |")
        out.append("| --- | ---: | ---: | ---: |")
        per = {}
        for target in ("stapled", "haproxy"):
            rs = by["idle_memory"].get(target, [])
            per[target] = (
                med([(int(r["rss1_kb"]) - int(r["rss0_kb"])) / int(r["held"]) for r in rs if int(r["held"]) > 0]),
                med([int(r["held"]) for r in rs]),
                med([int(r["rss0_kb"]) for r in rs]),
                med([int(r["rss1_kb"]) for r in rs]))
        medians["idle_memory"] = {t: v[0] for t, v in per.items()}
        out.append(f"| connections held | {fmt(per['stapled'][1])} | {fmt(per['haproxy'][1])} | |")
        out.append(f"| RSS before, kB | {fmt(per['stapled'][2])} | {fmt(per['haproxy'][2])} | |")
        out.append(f"| RSS with the connections open, kB | {fmt(per['stapled'][3])} | {fmt(per['haproxy'][3])} | |")
        out.append(f"| RSS per connection, kB | {fmt(per['stapled'][0], 1)} | {fmt(per['haproxy'][0], 1)} "
                   f"| **{fmt(ratio(per['stapled'][0], per['haproxy'][0]), 2)}** |")
    startup_rows = [("first_staple", "pinned to the proxy CPU (as the rest of the run)"),
                    ("first_staple_allcpus", "all CPUs"),
                    ("first_staple_nocds", "pinned, stapled without its class-data-sharing archive")]
    if any(t in by for t, _ in startup_rows):
        out.append("")
        out.append("| start to first stapled handshake (warm .ocsp), median ms | stapled | HAProxy |")
        out.append("| --- | ---: | ---: |")
        for test, label in startup_rows:
            if test not in by:
                continue
            s_ms = med([int(r["ms"]) for r in by[test].get("stapled", []) if int(r["ms"]) >= 0])
            h_ms = med([int(r["ms"]) for r in by[test].get("haproxy", []) if int(r["ms"]) >= 0])
            medians[test] = {"stapled": s_ms, "haproxy": h_ms}
            out.append(f"| {label} | {fmt(s_ms)} | {fmt(h_ms)} |")

    out.append("")
    out.append("| target | measured | met? |")
    out.append("| --- | --- | --- |")

    def check(name, value, limit, higher_is_better=True):
        if value is None:
            out.append(f"| {name} | n/a | not measured |")
            return
        ok = value >= limit if higher_is_better else value <= limit
        out.append(f"| {name} | {value:.2f} | {'yes' if ok else 'NO'} |")

    def r(test, metric=None):
        m = medians.get(test)
        return ratio(m.get("stapled"), m.get("haproxy")) if m else None

    check("full handshakes/s ECDSA TLS 1.3 ≥ 1.2 × HAProxy", r("full13_ecdsa_staple"), 1.2)
    check("full handshakes/s RSA-2048 TLS 1.3 ≥ 1.0 × HAProxy", r("full13_rsa_staple"), 1.0)
    check("full handshakes/s RSA-2048 TLS 1.2 ≥ 1.0 × HAProxy", r("full12_rsa_staple"), 1.0)
    check("keep-alive requests/s ≥ 1.0 × HAProxy", r("keepalive13_ecdsa"), 1.0)
    check("keep-alive p99 ≤ 1.2 × HAProxy", r("p99_us"), 1.2, higher_is_better=False)
    if "full13_ecdsa_staple" in medians and "full13_ecdsa_nostaple" in medians:
        a = medians["full13_ecdsa_staple"].get("stapled")
        b = medians["full13_ecdsa_nostaple"].get("stapled")
        check("stapled: handshakes/s with staple ≥ 0.98 × without", ratio(a, b), 0.98)
        a = cpu_medians["full13_ecdsa_staple"].get("stapled")
        b = cpu_medians["full13_ecdsa_nostaple"].get("stapled")
        check("stapled: handshakes per CPU-second with staple ≥ 0.98 × without", ratio(b, a), 0.98)
    check("memory per idle TLS connection ≤ 2 × HAProxy", r("idle_memory"), 2.0, higher_is_better=False)
    for test, label in (("first_staple", "pinned"), ("first_staple_allcpus", "all CPUs")):
        fs = medians.get(test, {}).get("stapled")
        check(f"first stapled handshake ≤ 1 s after start, {label} (seconds)", fs / 1000 if fs is not None else None,
              1.0, higher_is_better=False)
    print("\n".join(out))


if __name__ == "__main__":
    main()
