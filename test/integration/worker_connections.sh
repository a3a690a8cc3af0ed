#!/usr/bin/env bash
# worker_connections 16 (client and upstream sides together: 8 tunnels)
# with 100 clients at once, each holding its tunnel ~100 ms: all are
# served in turn, none refused or reset, and never more than 8 tunnels
# are open upstream at a time. When the descriptor limit runs out first
# (worker_rlimit_nofile 40, a misconfiguration the gateway warns about)
# some clients may get 502 as with nginx, but the worker survives, does
# not spin on EMFILE, and serves normally once the burst is over.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_FD P_UP < <(ports 3)
backend echo echo "127.0.0.1:$P_UP"
write_conf <<EOF
$MAIN
worker_connections 16;
listener echo {
    listen 127.0.0.1:$P_GW;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UP;
    access_log $T/access.log;
}
EOF
gw_start "$P_GW"
w=$(workers_of "$GW_PID")

# established connections whose remote end is the upstream port
upstream_conns() {
    local hex
    hex=$(printf '%04X' "$P_UP")
    grep -cE "^ *[0-9]+: [0-9A-F]+:[0-9A-F]+ [0-9A-F]+:$hex 01 " /proc/net/tcp
}

t0=$(now_ms)
spawn par "$TC" -t 20000 parallel "127.0.0.1:$P_GW" 100 100
max=0
while alive "${PID[par]}"; do
    n=$(upstream_conns)
    [ "$n" -gt "$max" ] && max=$n
    [ $(($(now_ms) - t0)) -gt 25000 ] && break
    sleep 0.02
done
wait_gone "${PID[par]}" 1000
ms=$(($(now_ms) - t0))
res=$(grep '^parallel:' "$T/par.out")
expect_eq "100 parallel clients, 16 worker_connections: all served" "parallel: 100/100 ok" "$res"
[ "$res" = "parallel: 100/100 ok" ] || grep -v '^parallel:' "$T/par.out" | head -n 5
echo "# took $ms ms, at most $max upstream connections at once"
if [ "$max" -ge 1 ] && [ "$max" -le 8 ]; then
    ok "never more than 8 tunnels (16 connections) at once"
else
    not_ok "never more than 8 tunnels (16 connections) at once" "saw $max upstream connections"
fi
# 100 tunnels of 100 ms, 8 at a time, take at least 1.25 s
check "the clients were served in turn (took >= 1.2 s)" test "$ms" -ge 1200
wait_until 3000 lines_over "$T/access.log" 99
check "100 sessions logged with status 200" \
    test "$(grep -c ' 200 ' "$T/access.log")" -eq 100
expect_eq "the worker survived" "$w" "$(workers_of "$GW_PID")"
out=$("$TC" -t 3000 -s "after" read "127.0.0.1:$P_GW" 2>&1)
expect_eq "served normally afterwards" "after" "$out"
gw_stop TERM

# descriptors run out before worker_connections does
write_conf <<EOF
$MAIN
worker_rlimit_nofile 40;
listener echo {
    listen 127.0.0.1:$P_FD;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UP;
}
EOF
gw_start "$P_FD"
w=$(workers_of "$GW_PID")
out=$("$TC" -t 20000 parallel "127.0.0.1:$P_FD" 100 100 2>&1 | tail -n 1)
echo "# worker_rlimit_nofile 40, 100 clients at once: $out"
check "worker_rlimit_nofile 40: the warning was logged" \
    has_line "$T/error.log" "\[warn\].*RLIMIT_NOFILE is 40"
out=$("$TC" -t 20000 parallel "127.0.0.1:$P_FD" 5 0 2>&1 | tail -n 1)
expect_eq "worker_rlimit_nofile 40: served normally after the burst" "parallel: 5/5 ok" "$out"
expect_eq "worker_rlimit_nofile 40: the worker survived" "$w" "$(workers_of "$GW_PID")"
# utime + stime (fields 14 and 15), in clock ticks
read -r stat <"/proc/$w/stat"
stat=${stat##*) }
set -- $stat
ticks=$((${12} + ${13}))
hz=$(getconf CLK_TCK)
if [ "$ticks" -lt "$hz" ]; then
    ok "worker_rlimit_nofile 40: the worker does not spin on EMFILE"
else
    not_ok "worker_rlimit_nofile 40: the worker does not spin on EMFILE" "it used $ticks ticks of CPU ($hz a second)"
fi
