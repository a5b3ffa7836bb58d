import json, sys, collections
ev = json.load(open(sys.argv[1]))["recording"]["events"]
cats = {"ssl (SslHandler/BoringSSL)": ["SslHandler", "ReferenceCountedOpenSslEngine", "SSL."],
 "http2 codec (io.netty.handler.codec.http2)": ["codec/http2/"], "http1 codec (backend side)": ["codec/http/"],
 "timers (schedule/cancel)": ["AbstractScheduledEventExecutor", "ScheduledFutureTask", "DefaultPriorityQueue"],
 "micrometer": ["io/micrometer"], "stapled code": ["io/stapled"], "socket I/O syscalls": ["Native.", "FileDescriptor.", "LinuxSocket", "IovArray"],
 "promises/listeners": ["DefaultPromise"], "pipeline add/remove": ["callHandlerRemoved", "callHandlerAdded", "DefaultChannelPipeline.remove", "DefaultChannelPipeline.addLast"],
 "backend connect": ["Exchange.connectBackend"], "GC/VM (no java frames)": []}
c = collections.Counter(); n = 0
for e in ev:
    st = e["values"].get("stackTrace")
    if not st: continue
    n += 1
    names = [f["method"]["type"]["name"] + "." + f["method"]["name"] for f in st["frames"]]
    for k, pats in cats.items():
        if pats and any(any(p in x for p in pats) for x in names): c[k] += 1
print("samples", n)
for k, v in c.most_common(): print("%5.1f%% %s" % (100*v/n, k))
