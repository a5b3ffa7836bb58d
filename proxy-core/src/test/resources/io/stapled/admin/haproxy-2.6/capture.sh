#!/bin/sh
# Captures a real HAProxy's runtime API output: the reference stapled's show info / show stat /
# show servers state are compared with (HaproxyStatLayoutTest reads the files this writes).
#
# usage: capture.sh <outdir>      (needs haproxy, socat, python3; run with HAProxy 2.6)
#
# One HTTP frontend on a loopback port, a backend with two servers on closed ports, the first with
# `check` (so it goes DOWN with L4CON), the second without; then the same in TCP mode, whose typed
# show stat tells which fields are HTTP-only.
set -eu
out=$(cd "${1:-.}" && pwd)
dir=$(mktemp -d)
cleanup() {
    [ -f "$dir/pid" ] && kill "$(cat "$dir/pid")" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
start() { # <mode>
    cat > "$dir/haproxy.cfg" <<CFG
global
    stats socket $dir/admin.sock mode 600 level admin
    pidfile $dir/pid
    daemon
defaults
    mode $1
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:$(free_port)
    default_backend be
backend be
    server s1 127.0.0.1:9 check inter 1s
    server s2 127.0.0.1:10
CFG
    rm -f "$dir/admin.sock"
    haproxy -f "$dir/haproxy.cfg"
    i=0
    while [ ! -S "$dir/admin.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    sleep 2 # the first check of s1 fails: it is DOWN with L4CON
}
stop() {
    kill "$(cat "$dir/pid")"
    rm -f "$dir/pid"
    sleep 0.5
}
cli() { # <file> <command>
    echo "$2" | socat - "UNIX-CONNECT:$dir/admin.sock" > "$out/$1"
}
start http
cli show-info.txt "show info"
cli show-info-typed.txt "show info typed"
cli show-info-json.txt "show info json"
cli show-stat.txt "show stat"
cli show-stat-typed.txt "show stat typed"
cli show-stat-json.txt "show stat json"
cli show-stat-1-4-1.txt "show stat -1 4 -1"
cli show-servers-state.txt "show servers state"
haproxy -v | head -1 > "$out/haproxy-version.txt"
stop
start tcp
cli tcp-show-stat-typed.txt "show stat typed"
stop
