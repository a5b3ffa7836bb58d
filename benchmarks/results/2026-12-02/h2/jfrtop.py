import json, sys, collections
d = json.load(open(sys.argv[1]))
ev = d["recording"]["events"]
top = collections.Counter(); incl = collections.Counter()
for e in ev:
    st = e["values"].get("stackTrace")
    if not st: continue
    frames = st["frames"]
    def name(f):
        m = f["method"]; return m["type"]["name"].split(".")[-1] + "." + m["name"]
    top[name(frames[0])] += 1
    seen = set()
    for f in frames:
        n = name(f)
        if n not in seen:
            seen.add(n); incl[n] += 1
n = sum(top.values())
print("samples", n)
print("== self"); [print("%5.1f%% %s" % (100*c/n, k)) for k, c in top.most_common(25)]
print("== inclusive"); [print("%5.1f%% %s" % (100*c/n, k)) for k, c in incl.most_common(45)]
