#!/usr/bin/env bash
# Exhaustion: 2,000 clients that ask for a large body and never read it
# cost the worker at most its bounded buffers (RSS within the budget of
# docs/operations.md) while another client is served at once; send_timeout
# closes clients that take nothing; with every server of a group down,
# clients get fast 502s and the servers are not hammered (no retry storm).
PRIVATE_NET=1
. "$(dirname "$0")/lib.sh"
# A network like a real one, in this test's own namespace: loopback's 64 KiB
# segments let the kernel autotune every stalled socket's buffers to
# megabytes, and 2,000 stalled answers (four sockets each: reader, gateway
# both sides, origin) would push the host's TCP memory into pressure, where
# it drops packets and retransmits late (the origin then got its 2,000
# requests after over a minute, once). Ethernet's MTU, and buffers that
# start at 16 KiB and grow to 64 KiB at most, keep the peak near 400 MB
# instead of 1.5 GB.
ip link set lo mtu 1500 &&
    sysctl -qw net.ipv4.tcp_wmem="4096 16384 65536" net.ipv4.tcp_rmem="4096 16384 65536" ||
    bail "exhaustion: loopback MTU and TCP buffers in the private network"

N=2000
BUDGET_KB=64            # per slow reader, docs/operations.md
ulimit -n 16384 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge $((N + 100)) ] || bail "exhaustion: $N descriptors for the clients" "ulimit -n is $(ulimit -n)"
read -r P_GW P_ST P_DOWN P_O P_D1 P_D2 < <(ports 6)
origin o "127.0.0.1:$P_O"
write_conf <<EOF2
$MAIN
worker_connections 6000;
worker_rlimit_nofile 16384;
upstream app { server 127.0.0.1:$P_O; keepalive 8; }
upstream dead {
    server 127.0.0.1:$P_D1 max_fails=1 fail_timeout=30s;
    server 127.0.0.1:$P_D2 max_fails=1 fail_timeout=30s;
}
listener web {
    listen 127.0.0.1:$P_GW;
    handler http_reverse;
    proxy_pass app;
    send_timeout 60s;
}
listener strict {
    listen 127.0.0.1:$P_ST;
    handler http_reverse;
    proxy_pass app;
    send_timeout 1s;
}
listener down {
    listen 127.0.0.1:$P_DOWN;
    handler http_reverse;
    proxy_pass dead;
    access_log $T/down.log;
}
EOF2
gw_start "$P_GW" "$P_ST" "$P_DOWN"
W=$(gw_pid_worker)
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# ---- 2,000 slow readers --------------------------------------------------------------------
hget "http://127.0.0.1:$P_GW/len/100000" >/dev/null      # warm: buffers, pool
before=$(rss_kb "$W")
spawn readers "$BK/slow_readers" -n $N -t 60000 "127.0.0.1:$P_GW" \
    'GET /len/50000000 HTTP/1.1\r\nHost: x\r\n\r\n'
wait_log "$T/readers.out" "^ready $N" 30000 || bail "$N slow readers connect" "$(tail -n 3 "$T/readers.out")"
all_asked() { [ "$(origin_reqs o)" -ge $((N + 1)) ]; }
t_ask=$(now_ms)
check "the origin got all $N requests" wait_until 60000 all_asked
echo "# the origin had them $(($(now_ms) - t_ask)) ms after the readers were ready"
# the answers fill what the kernel buffers hold, then stop: RSS settles
settled() {
    local a b
    a=$(rss_kb "$W"); sleep 0.3; b=$(rss_kb "$W")
    [ $((b - a)) -lt 512 ]
}
wait_until 10000 settled
after=$(rss_kb "$W")
per=$(( (after - before) * 1024 / N ))
echo "# worker RSS ${before} kB -> ${after} kB with $N slow readers: $per bytes each"
if [ "${SANITIZE:-}" = 1 ]; then
    ok "RSS per slow reader: not judged under AddressSanitizer (its redzones and quarantine) ($per bytes)"
else
    check "RSS per slow reader within ${BUDGET_KB} KiB ($per bytes)" test $per -le $((BUDGET_KB * 1024))
fi
t0=$(now_ms)
out=$(hget "http://127.0.0.1:$P_GW/meanwhile")
ms=$(($(now_ms) - t0))
expect_eq "another client is served meanwhile" "o /meanwhile" "$out"
check "... at once ($ms ms)" test $ms -lt 1000
stop_pids "${PID[readers]}"

# ---- send_timeout ---------------------------------------------------------------------------
spawn strict "$BK/slow_readers" -n 50 -t 20000 "127.0.0.1:$P_ST" \
    'GET /len/50000000 HTTP/1.1\r\nHost: x\r\n\r\n'
wait_log "$T/strict.out" '^ready 50' 10000
t0=$(now_ms)
check "send_timeout 1s: the 50 clients that take nothing are closed" \
    wait_log "$T/strict.out" '^closed 50$' 8000
ms=$(($(now_ms) - t0))
check "... after about send_timeout ($ms ms)" test $ms -ge 700
stop_pids "${PID[strict]}"

# ---- every server down -------------------------------------------------------------------------
t0=$(now_ms)
fails=0
for i in $(seq 100); do
    code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_DOWN/x$i")
    [ "$code" = 502 ] || fails=$((fails + 1))
done
ms=$(($(now_ms) - t0))
expect_eq "all servers down: 100 requests, 100 times 502" 0 "$fails"
check "... fast ($ms ms for 100)" test $ms -lt 5000
tries=$(grep -c 'connect() failed' "$T/error.log")
check "... and the servers were tried only until marked down ($tries connects for 100 requests)" test "$tries" -le 4
check "... the rest said at once that no server is live" has_line "$T/error.log" 'no live upstreams in "dead"'

expect_eq "the worker never died" "$W" "$(gw_pid_worker)"
