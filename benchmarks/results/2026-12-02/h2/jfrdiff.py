import json, collections, sys
def load(f):
    ev = json.load(open(f))["recording"]["events"]; inc = collections.Counter(); n = 0
    for e in ev:
        st = e["values"].get("stackTrace")
        if not st: continue
        n += 1; seen = set()
        for fr in st["frames"]:
            m = fr["method"]; k = m["type"]["name"].replace("/", ".") + "." + m["name"]
            if k not in seen: seen.add(k); inc[k] += 1
    return inc, n
a, na = load(sys.argv[1]); b, nb = load(sys.argv[2])
print("samples h2 %d, h1 %d (per 8000 connections each)" % (na, nb))
keys = set(a) | set(b)
d = sorted(keys, key=lambda k: -(a[k] - b[k]))
print("frames with the most extra samples on h2 (h2 samples, h1 samples):")
for k in d[:40]: print("%5d %5d  %s" % (a[k], b[k], k))
