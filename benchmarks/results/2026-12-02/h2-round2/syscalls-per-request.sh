#!/usr/bin/env bash
# usage: sys.sh JAR NAME : syscalls and task-clock per request of stapled, for m100, m1, hs_h2, hs_h1
set -uo pipefail
JAR=$1 NAME=$2; D=${D:-/tmp/h2-syscalls}; mkdir -p $D; CFG=${CFG:?the out dir of a run-h2.sh run with HAPROXY_PORT=53443 STAPLED_PORT=54443 BACKEND_PORT=53080}
sed -e 's/54443/57443/' -e 's/53080/57080/' $CFG/stapled.yaml > $D/sys-$NAME.yaml
sed -e 's/53080/57080/' $CFG/backend.cfg > $D/sys-backend.cfg
taskset -c 0 haproxy -f $D/sys-backend.cfg -db > /dev/null 2>&1 & BPID=$!
taskset -c 1 java -XX:+UseParallelGC -Xms64m -Xmx512m -Xss512k -jar $JAR run --config $D/sys-$NAME.yaml > $D/sys-$NAME.log 2>&1 & SPID=$!
trap 'kill $SPID $BPID 2>/dev/null' EXIT
for i in $(seq 1 300); do timeout 1 bash -c 'exec 3<>/dev/tcp/127.0.0.1/57443' 2>/dev/null && break; sleep 0.2; done
U=https://127.0.0.1:57443/
taskset -c 0 h2load -t 1 -c 10 -m 100 -D ${WARM:-15} $U >/dev/null 2>&1
taskset -c 0 h2load -t 1 -c 100 -m 1 -D ${WARM:-15} $U >/dev/null 2>&1
for b in $(seq 1 10); do taskset -c 0 h2load -t 1 -c 200 -n 200 $U >/dev/null 2>&1; taskset -c 0 h2load --h1 -t 1 -c 200 -n 200 $U >/dev/null 2>&1; done
EV=syscalls:sys_enter_writev,syscalls:sys_enter_write,syscalls:sys_enter_sendto,syscalls:sys_enter_read,syscalls:sys_enter_recvfrom,syscalls:sys_enter_epoll_wait,task-clock
one() { # test n args
  local t=$1 n=$2; shift 2
  perf stat -x, -e $EV -p $SPID -o $D/sys-$NAME-$t.perf -- taskset -c 0 h2load -t 1 "$@" $U > $D/sys-$NAME-$t.out 2>&1
  ok=$(grep -oE '[0-9]+ succeeded' $D/sys-$NAME-$t.out | head -1 | cut -d' ' -f1)
  python3 - "$D/sys-$NAME-$t.perf" "$ok" "$NAME" "$t" <<'PY'
import sys
f,ok,name,t=sys.argv[1],int(sys.argv[2]),sys.argv[3],sys.argv[4]
out=[]
for l in open(f):
    p=l.strip().split(',')
    if len(p)<3 or l.startswith('#'): continue
    try: v=float(p[0])
    except: continue
    ev=p[2].replace('syscalls:sys_enter_','')
    if ev=='task-clock': out.append(f"cpu_us/req={v*1000/ok:.1f}")
    else: out.append(f"{ev}/req={v/ok:.3f}")
print(name,t,'ok',ok,' '.join(out))
PY
}
for r in 1 2 3; do
one m100 0 -c 10 -m 100 -n 100000
one m1 0 -c 100 -m 1 -n 50000
one hs_h2 0 -c 400 -n 400
one hs_h1 0 --h1 -c 400 -n 400
done
