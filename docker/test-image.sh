#!/usr/bin/env bash
# Runs the stapled image on a mounted config and checks it from the host, the way an operator runs it:
#   - its own throwaway PKI (openssl) and a real OCSP responder on the host (`openssl ocsp`);
#   - the config, certificates (+ .ocsp state), bearer token and runtime-API socket on mounted volumes;
#   - every container on the host network (`--network host`), on loopback ports found free.
# Checks: the very first TLS handshake is stapled (`Cert Status: good`), the .ocsp staple lands in the
# certificate volume, /readyz and /metrics through the exposed admin_http (token), the runtime API
# through the socket volume (`show info`), the process is not root, Docker's HEALTHCHECK turns
# healthy, and `docker stop` ends it with exit code 0 well within the grace period.
#
# Usage: docker/test-image.sh [IMAGE]     (default stapled:local, as docker/build-local.sh tags it)
# Needs docker, openssl, socat, curl, ss. Leaves nothing behind (container, files, responder).
set -euo pipefail

IMAGE=${1:-${IMAGE:-stapled:local}}
STOP_GRACE=20      # docker stop -t: more than the config's shutdown_grace
UID_IN_IMAGE=10001 # the Dockerfile's stapled user

for tool in docker openssl socat curl ss; do
  command -v "$tool" >/dev/null || { echo "test-image: FAIL: $tool is missing" >&2; exit 1; }
done

work=$(mktemp -d /tmp/stapled-image-test.XXXXXX)
name=stapled-image-test-$$
responder_pid=
cleanup() {
  docker rm -f "$name" >/dev/null 2>&1 || true
  [ -n "$responder_pid" ] && kill "$responder_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "test-image: FAIL: $*" >&2
  if docker inspect "$name" >/dev/null 2>&1; then
    echo "--- container log:" >&2
    docker logs "$name" 2>&1 | tail -40 >&2
  fi
  exit 1
}
ok() { echo "test-image: ok: $*"; }

# A loopback port nothing listens on (TCP), from a range the kernel does not hand out as ephemeral.
used_ports=" "
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 12000))
    case "$used_ports" in *" $p "*) continue ;; esac
    if ! ss -Hltn "sport = :$p" | grep -q .; then
      used_ports="$used_ports$p "
      echo "$p"
      return
    fi
  done
  fail "no free port found"
}
tls_port=$(free_port)
admin_port=$(free_port)
ocsp_port=$(free_port)

# --- PKI: a root CA (which also signs the OCSP responses) and an ECDSA leaf for localhost whose AIA
# names the responder below.
pki=$work/pki certs=$work/certs run=$work/run
mkdir -p "$pki" "$certs" "$run"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=stapled test root" \
  -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature \
  -keyout "$pki/ca.key" -out "$pki/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
  -keyout "$pki/site.key" -out "$pki/site.csr" 2>/dev/null
cat >"$pki/site.ext" <<EXT
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
authorityInfoAccess = OCSP;URI:http://127.0.0.1:$ocsp_port/
EXT
openssl x509 -req -in "$pki/site.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial -days 1 \
  -extfile "$pki/site.ext" -out "$pki/site.crt" 2>/dev/null
serial=$(openssl x509 -in "$pki/site.crt" -noout -serial | cut -d= -f2)
expiry=$(date -u -d "$(openssl x509 -in "$pki/site.crt" -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)
printf 'V\t%s\t\t%s\tunknown\t/CN=localhost\n' "$expiry" "$serial" >"$pki/index.txt"
# HAProxy's layout: certificate and key in one file, the issuer beside it.
cat "$pki/site.crt" "$pki/site.key" >"$certs/site.pem"
cp "$pki/ca.pem" "$certs/site.pem.issuer"

openssl ocsp -index "$pki/index.txt" -port "$ocsp_port" -rsigner "$pki/ca.pem" -rkey "$pki/ca.key" \
  -CA "$pki/ca.pem" -ndays 1 -timeout 5 >"$work/responder.log" 2>&1 &
responder_pid=$!

# --- the config and the token, mounted read-only
printf 'test-token-%s\n' "$(openssl rand -hex 16)" >"$work/token"
token=$(tr -d '\n' <"$work/token")
cat >"$work/stapled.yaml" <<YAML
global: { shutdown_grace: 5s }
ocsp: { startup_wait: 10s }
frontends:
  - name: https
    bind: 127.0.0.1:$tls_port
    mode: http
    return: { status: 200, content_type: text/plain, body: "hello from the container\n" }
    certificates:
      - dir: /etc/stapled/certs
backends:
  - name: unused
    servers:
      - { name: s1, address: 127.0.0.1:9 }
runtime_api: { socket: /run/stapled/admin.sock, mode: "0660", level: admin }
admin_http: { bind: 0.0.0.0:$admin_port, expose: true, bearer_token_file: /etc/stapled/token }
YAML
# The container's user owns the volumes it writes (staples, socket) and can read the token.
if [ "$(id -u)" = 0 ]; then
  chown -R "$UID_IN_IMAGE:$UID_IN_IMAGE" "$certs" "$run"
  chown "$UID_IN_IMAGE" "$work/token"
else
  chmod -R a+rwX "$certs" "$run"
fi
chmod 0600 "$work/token"
[ "$(id -u)" = 0 ] || chmod 0644 "$work/token"
chmod 0644 "$work/stapled.yaml"

responder_up=false
for _ in $(seq 1 50); do
  # ss, not a probe connection: `openssl ocsp` serves one connection at a time and an empty one stalls it.
  ss -Hltn "sport = :$ocsp_port" | grep -q . && { responder_up=true; break; }
  sleep 0.1
done
$responder_up || fail "the OCSP responder did not start: $(cat "$work/responder.log")"

# --- run
started=$SECONDS
docker run -d --name "$name" --network host \
  --health-interval 2s --health-start-period 30s \
  -e STAPLED_ADMIN_PORT="$admin_port" \
  -v "$work/stapled.yaml:/etc/stapled/stapled.yaml:ro" \
  -v "$work/token:/etc/stapled/token:ro" \
  -v "$certs:/etc/stapled/certs" \
  -v "$run:/run/stapled" \
  "$IMAGE" >/dev/null || fail "docker run $IMAGE"

# The frontend listens only once the first staple is in (ocsp.startup_wait): wait for a TCP accept,
# which is no handshake, then the first handshake must already carry the staple.
for _ in $(seq 1 300); do
  (exec 3<>"/dev/tcp/127.0.0.1/$tls_port") 2>/dev/null && break
  [ "$(docker inspect -f '{{.State.Running}}' "$name")" = true ] || fail "the container exited"
  sleep 0.1
done
ok "TLS port $tls_port open $((SECONDS - started)) s after docker run"

handshake=$(openssl s_client -connect "127.0.0.1:$tls_port" -servername localhost -status \
  -CAfile "$pki/ca.pem" -verify_return_error </dev/null 2>&1) || fail "the first handshake failed: $handshake"
grep -q 'Cert Status: good' <<<"$handshake" || fail "the first handshake was not stapled: $handshake"
grep -q 'Verify return code: 0 (ok)' <<<"$handshake" || fail "the chain did not verify: $handshake"
ok "first handshake: Cert Status: good, chain verified"

body=$(curl -sS --cacert "$pki/ca.pem" "https://localhost:$tls_port/") || fail "curl https://localhost:$tls_port/"
[ "$body" = "hello from the container" ] || fail "unexpected answer: $body"
ok "HTTPS request answered"

[ -s "$certs/site.pem.ocsp" ] || fail "no .ocsp staple written to the certificate volume"
ok "staple persisted to the volume: $(stat -c '%s bytes, owner %u' "$certs/site.pem.ocsp")"

# The admin listener through a non-loopback address of this host when there is one: it is exposed.
admin_host=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9.]+$' | grep -v '^127\.' | head -1 || true)
admin_host=${admin_host:-127.0.0.1}
ready=$(curl -sS -w '%{http_code}' -H "Authorization: Bearer $token" "http://$admin_host:$admin_port/readyz") \
  || fail "/readyz on $admin_host:$admin_port"
[ "${ready: -3}" = 200 ] && [ "${ready:0:5}" = ready ] || fail "/readyz: $ready"
ok "/readyz on $admin_host:$admin_port: 200 ready"
code=$(curl -sS -o /dev/null -w '%{http_code}' "http://$admin_host:$admin_port/metrics")
[ "$code" = 401 ] || fail "/metrics without the token answered $code, not 401"
# Read whole before grep: with pipefail, grep -q leaving early would fail curl's write (SIGPIPE).
metrics=$(curl -sSf -H "Authorization: Bearer $token" "http://$admin_host:$admin_port/metrics") \
  || fail "/metrics with the token"
grep -q '^stapled_' <<<"$metrics" || fail "/metrics with the token has no stapled_ metric"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "http://$admin_host:$admin_port/")
[ "$code" = 404 ] || fail "/ on the admin listener answered $code, not 404"
ok "/metrics: 401 without the token, Prometheus text with it; / is 404"

info=$(echo "show info" | socat -t 5 stdio "unix-connect:$run/admin.sock") || fail "runtime API socket"
grep -q '^Name: stapled' <<<"$info" || fail "show info: $info"
ok "runtime API through the socket volume: show info ($(grep '^Version:' <<<"$info"))"

uid=$(docker exec "$name" id -u)
[ "$uid" != 0 ] || fail "the process runs as root"
[ "$(stat -c %u "$run/admin.sock")" = "$uid" ] || fail "the socket is not owned by uid $uid"
ok "runs as uid $uid ($(docker top "$name" -o user,pid,comm | tail -n +2 | head -1))"

for _ in $(seq 1 60); do
  health=$(docker inspect -f '{{.State.Health.Status}}' "$name")
  [ "$health" = healthy ] && break
  [ "$health" = unhealthy ] && fail "HEALTHCHECK: unhealthy"
  sleep 0.5
done
[ "$health" = healthy ] || fail "HEALTHCHECK still $health"
ok "HEALTHCHECK: healthy"

stop_started=$(date +%s%N)
docker stop -t "$STOP_GRACE" "$name" >/dev/null
stop_ms=$((($(date +%s%N) - stop_started) / 1000000))
exit_code=$(docker inspect -f '{{.State.ExitCode}}' "$name")
[ "$exit_code" = 0 ] || fail "docker stop: exit code $exit_code, not 0"
container_log=$(docker logs "$name" 2>&1)
grep -qi 'exception' <<<"$container_log" && fail "an exception in the log"
[ "$stop_ms" -lt $((STOP_GRACE * 1000)) ] || fail "docker stop took $stop_ms ms: killed at the end of the grace"
ok "docker stop: exit code 0 after $stop_ms ms (grace $STOP_GRACE s)"
echo "test-image: PASS ($IMAGE, $((SECONDS - started)) s)"
