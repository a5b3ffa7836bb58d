# Sourced by run-e2e.sh and run-h2.sh: the configs and processes both benchmarks share, so the two
# measure the same HAProxy, backend and stapled set-up. Expects OUT, HERE, JAR, CERTS, MAXCONN,
# WORKERS, PROXY_CPUS, CLIENT_CPUS and the *_PORT variables to be set.

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$OUT/run.log" >&2; }

# The backend both proxies forward to (HTTP/1.1): a fixed 200 answered by HAProxy itself, no I/O behind it.
write_backend_cfg() {
    cat > "$OUT/backend.cfg" <<CFG
global
  nbthread 1
  maxconn $MAXCONN
defaults
  mode http
  timeout connect 5s
  timeout client 120s
  timeout server 30s
  timeout http-keep-alive 120s
frontend backend
  bind 127.0.0.1:$BACKEND_PORT
  http-request return status 200 content-type text/plain string "hello from the benchmark backend"
CFG
}

write_haproxy_cfg() { # alpn-list, e.g. http/1.1 or h2,http/1.1
    cat > "$OUT/haproxy.cfg" <<CFG
global
  nbthread $WORKERS
  maxconn $MAXCONN
  ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
  mode http
  timeout connect 5s
  timeout client 120s
  timeout server 30s
  timeout http-keep-alive 120s
frontend tls
  bind 127.0.0.1:$HAPROXY_PORT ssl crt $CERTS/ alpn $1
  default_backend be
backend be
  server b1 127.0.0.1:$BACKEND_PORT
CFG
}

PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 0.5
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
}

wait_port() { # port seconds
    local deadline=$((SECONDS + $2))
    while [ $SECONDS -lt $deadline ]; do
        if timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    echo "nothing listening on 127.0.0.1:$1 after $2 s" >&2
    return 1
}

start_backend() {
    taskset -c "$CLIENT_CPUS" haproxy -f "$OUT/backend.cfg" -db >> "$OUT/backend.log" 2>&1 &
    BACKEND_PID=$!; PIDS+=("$BACKEND_PID")
    wait_port $BACKEND_PORT 10
}
start_haproxy() { # [cpus]; does not wait for the port
    taskset -c "${1:-$PROXY_CPUS}" haproxy -f "$OUT/haproxy.cfg" -db >> "$OUT/haproxy.log" 2>&1 &
    HAPROXY_PID=$!; PIDS+=("$HAPROXY_PID")
}
start_stapled() { # [cpus]; does not wait for the port
    taskset -c "${1:-$PROXY_CPUS}" bash "$HERE/run-stapled.sh" "$OUT/stapled.yaml" "$JAR" >> "$OUT/stapled.log" 2>&1 &
    STAPLED_PID=$!; PIDS+=("$STAPLED_PID")
}
stop_pid() { kill "$1" 2>/dev/null || true; timeout 10 tail --pid="$1" -f /dev/null || kill -9 "$1" 2>/dev/null || true; }
pid_of() { if [ "$1" = stapled ]; then echo "$STAPLED_PID"; else echo "$HAPROXY_PID"; fi; }
port_of() { if [ "$1" = stapled ]; then echo $STAPLED_PORT; else echo $HAPROXY_PORT; fi; }
alive() { # fails the run, with the proxy's last log lines, if it has exited
    if ! kill -0 "$(pid_of "$1")" 2>/dev/null; then
        log "$1 is not running any more; last lines of its log:"
        tail -20 "$OUT/$1.log" >&2
        exit 1
    fi
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
