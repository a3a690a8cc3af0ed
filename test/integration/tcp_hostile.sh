#!/usr/bin/env bash
# Hostile clients next to the happy path: connect and reset at once, send
# and reset mid-stream, a burst of 200 connect-and-close, a client that
# never reads (the gateway pushes back instead of buffering), the same
# against a dead upstream. The worker never dies (same pid), leaks no
# descriptor or connection slot, and a normal client is still served.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_DEADGW P_UP P_DEAD < <(ports 4)
backend echo echo "127.0.0.1:$P_UP"
write_conf <<EOF
$MAIN
worker_connections 64;
listener echo {
    listen 127.0.0.1:$P_GW;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UP;
    access_log $T/access.log;
}
listener dead {
    listen 127.0.0.1:$P_DEADGW;
    handler tcp;
    proxy_pass 127.0.0.1:$P_DEAD;
}
EOF
gw_start "$P_GW" "$P_DEADGW"
w=$(workers_of "$GW_PID")
# open sockets of the worker (pipes and files may be pooled, sockets not)
fds() {
    local f n=0
    for f in /proc/"$w"/fd/*; do
        [[ "$(readlink "$f" 2>/dev/null)" == socket:* ]] && n=$((n + 1))
    done
    echo $n
}
fds0=$(fds)

served() {
    [ "$("$TC" -t 3000 -s "still here" read "127.0.0.1:$P_GW" 2>/dev/null)" = "still here" ]
}

# after NAME: the worker is the same process and serves a normal client
after() {
    if [ "$(workers_of "$GW_PID")" = "$w" ] && alive "$w"; then
        ok "$1: the worker survives (same pid)"
    else
        not_ok "$1: the worker survives (same pid)" "was $w, now: $(workers_of "$GW_PID" | tr '\n' ' ')"
        w=$(workers_of "$GW_PID" | head -n 1)
    fi
    check "$1: a normal client is still served" served
}

for i in $(seq 20); do "$TC" reset "127.0.0.1:$P_GW" >/dev/null 2>&1; done
after "20 clients that connect and reset at once"

for i in $(seq 10); do "$TC" reset "127.0.0.1:$P_GW" 1048576 >/dev/null 2>&1; done
after "10 clients that send 1 MiB and reset mid-stream"

out=$("$TC" -t 3000 burst "127.0.0.1:$P_GW" 200 2>&1)
echo "# $out"
after "200 connect-and-close clients in a burst"

out=$("$TC" -t 3000 burst "127.0.0.1:$P_DEADGW" 200 2>&1)
for i in $(seq 10); do "$TC" reset "127.0.0.1:$P_DEADGW" 1000 >/dev/null 2>&1; done
after "200 + 10 hostile clients against a dead upstream"

out=$("$TC" -t 3000 stuff "127.0.0.1:$P_GW" 268435456 2>&1); rc=$?
echo "# never-reading client: $out"
check "a client that never reads is pushed back (256 MiB cannot go through)" test $rc -eq 0
rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$w/status" 2>/dev/null)
echo "# worker RSS after it: ${rss:-?} kB"
check "the worker did not buffer it (RSS under 64 MB)" test "${rss:-999999}" -lt 65536
after "a never-reading client"

# everything those clients opened is closed again
fds_back() { [ "$(fds)" -le "$fds0" ]; }
if wait_until 3000 fds_back; then
    ok "no socket leaked"
else
    not_ok "no socket leaked" "the worker had $fds0 sockets at the start, now $(fds)"
fi
# and no connection slot: 30 tunnels at once need 60 of the 64
out=$("$TC" -t 5000 parallel "127.0.0.1:$P_GW" 30 200 2>&1 | tail -n 1)
expect_eq "no connection slot leaked (30 tunnels with worker_connections 64)" \
    "parallel: 30/30 ok" "$out"
check "no crit or alert in the error log" \
    test "$(grep -cE '\[(crit|alert|emerg)\]' "$T/error.log")" -eq 0
