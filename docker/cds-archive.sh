#!/bin/sh
# Run at image build time: a class-data-sharing archive of the ~5,000 classes stapled loads, mapped at
# start instead of parsed and verified, about 0.7 s sooner to the first stapled handshake
# (benchmarks/RESULTS.md). Made by running the demo (its own PKI, responder and backend, on loopback
# ports the kernel picks: `docker build --network host` shares the host's) until it is serving, then
# stopping it with SIGTERM; the archive is written as the JVM exits.
set -e
out=/tmp/stapled-cds.out
java -XX:ArchiveClassesAtExit=/opt/stapled/stapled.jsa -Xlog:cds=off -Xlog:cds+dynamic=off \
  -jar /opt/stapled/stapled.jar demo --dir /tmp/stapled-cds --port 0 --backend-port 0 --admin-port 0 >"$out" 2>&1 &
pid=$!
i=0
until grep -q 'stapled demo is running' "$out"; do
  i=$((i + 1))
  if [ "$i" -gt 60 ] || ! kill -0 "$pid" 2>/dev/null; then
    cat "$out" >&2
    kill -TERM "$pid" 2>/dev/null || true
    exit 1
  fi
  sleep 0.5
done
kill -TERM "$pid"
wait "$pid"
test -s /opt/stapled/stapled.jsa
rm -rf /tmp/stapled-cds "$out"
