#!/usr/bin/env python3
"""run-h2.sh's parser and summary.

  h2-summarize.py --one H2LOAD_STDOUT LOG_FILE   one key=value line: rps, ok, failed, p50/p99/p999 (us)
                                                 from h2load's per-request --log-file (tab-separated:
                                                 start time us, status, duration us)
  h2-summarize.py RAW                            markdown: medians per test and target, ratios
"""
import re, statistics, sys


def one(out_path, log_path):
    text = open(out_path).read()
    m = re.search(r"finished in ([0-9.]+)(m?s), ([0-9.]+) req/s", text)
    rps = float(m.group(3)) if m else 0.0
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored", text)
    ok, failed = (int(m.group(4)), int(m.group(5)) + int(m.group(6))) if m else (0, -1)
    m = re.search(r"time for request:\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", text)
    mean = m.group(3) if m else "?"
    durs = []
    try:
        for line in open(log_path):
            f = line.split("\t")
            if len(f) >= 3:
                durs.append(int(f[2]))
    except FileNotFoundError:
        pass
    durs.sort()
    q = lambda p: durs[min(len(durs) - 1, int(p * len(durs)))] if durs else -1
    print("rps=%.1f ok=%d failed=%d mean=%s p50_us=%d p99_us=%d p999_us=%d logged=%d"
          % (rps, ok, failed, mean, q(0.50), q(0.99), q(0.999), len(durs)))


def summary(raw):
    rows = []
    for line in open(raw):
        d = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        rows.append(d)
    keys = {"rps_m100": ["rps", "p50_us", "p99_us"], "rps_m1": ["rps", "p50_us", "p99_us"],
            "hs_h2": ["hps", "cpu_us_per_hs"], "hs_h1": ["hps", "cpu_us_per_hs"], "idle_memory": ["kb_per_conn"]}
    for d in rows:
        if d.get("test") == "idle_memory":
            held = int(d.get("held", 0))
            d["kb_per_conn"] = (int(d["rss1_kb"]) - int(d["rss0_kb"])) / held if held else float("nan")
    med = {}
    print("| test | metric | stapled (rounds) | HAProxy (rounds) | stapled median | HAProxy median | ratio s/h |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for test, metrics in keys.items():
        for k in metrics:
            vals = {}
            for t in ("stapled", "haproxy"):
                vals[t] = [float(d[k]) for d in rows if d.get("test") == test and d.get("target") == t and k in d]
            if not vals["stapled"] and not vals["haproxy"]:
                continue
            ms = statistics.median(vals["stapled"]) if vals["stapled"] else float("nan")
            mh = statistics.median(vals["haproxy"]) if vals["haproxy"] else float("nan")
            med[(test, k, "stapled")], med[(test, k, "haproxy")] = ms, mh
            fmt = lambda v: ", ".join("%.1f" % x for x in v)
            print("| %s | %s | %s | %s | %.1f | %.1f | %.3f |" % (test, k, fmt(vals["stapled"]), fmt(vals["haproxy"]), ms, mh, ms / mh if mh else float("nan")))
    print()
    for t in ("stapled", "haproxy"):
        h2, h1 = med.get(("hs_h2", "hps", t)), med.get(("hs_h1", "hps", t))
        c2, c1 = med.get(("hs_h2", "cpu_us_per_hs", t)), med.get(("hs_h1", "cpu_us_per_hs", t))
        if h2 and h1:
            print("- %s: handshakes/s h2/h1 = %.3f; CPU per handshake h1/h2 = %.3f (>1 means h2 cheaper)" % (t, h2 / h1, c1 / c2 if c2 else float("nan")))
    # per-round h2/h1 ratios on stapled (same round, same process)
    for t in ("stapled", "haproxy"):
        per = []
        for r in sorted({d.get("round") for d in rows}):
            a = [float(d["hps"]) for d in rows if d.get("test") == "hs_h2" and d.get("target") == t and d.get("round") == r]
            b = [float(d["hps"]) for d in rows if d.get("test") == "hs_h1" and d.get("target") == t and d.get("round") == r]
            if a and b:
                per.append("%.3f" % (a[0] / b[0]))
        if per:
            print("- %s: per-round h2/h1 handshakes/s: %s" % (t, ", ".join(per)))


if __name__ == "__main__":
    if sys.argv[1] == "--one":
        one(sys.argv[2], sys.argv[3])
    else:
        summary(sys.argv[1])
