#!/usr/bin/env python3
"""JMH JSON results (java -jar benchmarks.jar -rf json -rff FILE) to the Markdown tables of RESULTS.md:
one table per benchmark class, one row per parameter combination, plus the derived ratios the targets
are about (staple / no staple, BoringSSL / JDK)."""
import json
import sys
from collections import defaultdict


def fmt(v):
    if v >= 1000:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:,.1f}"
    return f"{v:,.2f}"


def main():
    results = json.load(open(sys.argv[1]))
    by_class = defaultdict(list)
    for r in results:
        cls, method = r["benchmark"].rsplit(".", 1)
        by_class[cls.rsplit(".", 1)[1]].append((method, r))
    out = []
    for cls, rows in by_class.items():
        params = sorted({k for _, r in rows for k in (r.get("params") or {})})
        out.append(f"### {cls}")
        out.append("")
        unit = rows[0][1]["primaryMetric"]["scoreUnit"]
        cells = lambda values: "".join(f" {v} |" for v in values)  # noqa: E731
        out.append("| method |" + cells(params) + f" score ({unit}) | ± error (99.9 %) |")
        out.append("| --- |" + cells("---" for _ in params) + " ---: | ---: |")
        for method, r in rows:
            p = r.get("params") or {}
            pm = r["primaryMetric"]
            err = pm.get("scoreError")
            err_s = fmt(err) if isinstance(err, (int, float)) and err == err else "n/a"
            out.append(f"| {method} |" + cells(p.get(k, "") for k in params) + f" {fmt(pm['score'])} | {err_s} |")
            for name, sec in (r.get("secondaryMetrics") or {}).items():
                if name in ("read", "swap", "readAlone"):
                    out.append(f"| {method}:{name} |" + cells("" for _ in params) + f" {fmt(sec['score'])} | |")
        out.append("")
        if cls == "HandshakeBenchmark":
            scores = {(r["params"]["provider"], r["params"]["protocol"], r["params"]["key"],
                       r["params"]["staple"]): r["primaryMetric"]["score"] for _, r in rows}
            out.append("| provider | protocol | key | staple/no staple | BoringSSL/JDK (staple off) |")
            out.append("| --- | --- | --- | ---: | ---: |")
            for (prov, proto, key, st), v in sorted(scores.items()):
                if st != "false":
                    continue
                with_staple = scores.get((prov, proto, key, "true"))
                jdk = scores.get(("jdk", proto, key, "false"))
                ratio_staple = f"{with_staple / v:.3f}" if with_staple else "n/a"
                ratio_jdk = f"{v / jdk:.2f}" if prov == "boringssl" and jdk else ""
                out.append(f"| {prov} | {proto} | {key} | {ratio_staple} | {ratio_jdk} |")
            out.append("")
        if cls == "HotPathBenchmark":
            scores = {(m, r["params"].get("certificates"), r["params"].get("name"), r["params"].get("client"),
                       r["params"].get("staple")): r["primaryMetric"]["score"] for m, r in rows}
            out.append("| hot path: certificates | name | client | ns per connection, no staple | with staple | time with / without |")
            out.append("| --- | --- | --- | ---: | ---: | ---: |")
            for (m, certs, name, client, st), v in sorted(scores.items()):
                if m != "hotPath" or st != "false":
                    continue
                w = scores.get((m, certs, name, client, "true"))
                out.append(f"| {certs} | {name} | {client} | {1e9 / v:,.0f} | "
                           f"{(1e9 / w) if w else float('nan'):,.0f} | {(v / w) if w else float('nan'):.3f} |")
            out.append("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
