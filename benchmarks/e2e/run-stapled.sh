#!/usr/bin/env bash
# Starts stapled for the end-to-end benchmark: `run-stapled.sh CONFIG [JAR]`, replacing this shell
# (exec), so the caller's $! is the JVM's pid. JVM flags come from STAPLED_JAVA_OPTS; the defaults
# below are the ones RESULTS.md was measured with, and why:
#   -XX:+UseParallelGC   throughput collector: the proxy allocates short-lived objects per request
#                        and per handshake; with one event loop, pauses are short and G1's
#                        concurrent refinement and barriers cost CPU on the one proxy core
#   -Xms64m -Xmx512m     a fixed, modest ceiling instead of 1/4 of RAM; ParallelGC then keeps
#                        the young generation small and resident memory honest
#   -XX:+UseStringDeduplication is G1-only, so not used
#   -Xss512k             event-loop and worker stacks: the default 1m is never needed
# STAPLED_CDS_ARCHIVE=FILE adds an application class-data-sharing archive: when FILE exists it is
# used (-XX:SharedArchiveFile: the ~4,800 classes stapled loads at start are mapped, not parsed and
# verified), otherwise this run writes it when it exits (-XX:ArchiveClassesAtExit; SIGTERM is fine).
set -euo pipefail
CONFIG=${1:?usage: run-stapled.sh CONFIG [JAR]}
HERE=$(cd "$(dirname "$0")" && pwd)
JAR=${2:-$HERE/../../proxy-core/target/stapled.jar}
DEFAULT_OPTS="-XX:+UseParallelGC -Xms64m -Xmx512m -Xss512k"
CDS=()
if [ -n "${STAPLED_CDS_ARCHIVE:-}" ]; then
    if [ -f "$STAPLED_CDS_ARCHIVE" ]; then
        CDS=(-XX:SharedArchiveFile="$STAPLED_CDS_ARCHIVE" -Xlog:cds=off -Xlog:cds+dynamic=off)
    else
        CDS=(-XX:ArchiveClassesAtExit="$STAPLED_CDS_ARCHIVE" -Xlog:cds=off -Xlog:cds+dynamic=off)
    fi
fi
# shellcheck disable=SC2086
exec java ${STAPLED_JAVA_OPTS:-$DEFAULT_OPTS} "${CDS[@]}" -jar "$JAR" run --config "$CONFIG"
