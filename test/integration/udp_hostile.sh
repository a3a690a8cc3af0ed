#!/usr/bin/env bash
# udp under hostile input: zero-length datagrams, a burst of 1,000
# datagrams from 200 source ports (more sessions than the budget holds),
# bursts of big datagrams, bursts to a dead upstream (ICMP refusals), and
# clients that vanish before their replies. The worker never dies (same
# pid), a stream running meanwhile gets only intact replies, and a normal
# client is served afterwards.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_DEADGW P_GW6 P_UP P_UP6 P_DEAD < <(udp_ports 6)
udp_backend up -m echo "127.0.0.1:$P_UP"
udp_backend up6 -m echo "[::1]:$P_UP6"
write_conf <<EOF
worker_processes 1;
worker_connections 200;
error_log $T/error.log info;
pid $T/gw.pid;
listener h {
    listen 127.0.0.1:$P_GW;
    handler udp;
    proxy_pass 127.0.0.1:$P_UP;
    idle_timeout 500ms;
    access_log $T/access.log;
}
listener dead {
    listen 127.0.0.1:$P_DEADGW;
    handler udp;
    proxy_pass 127.0.0.1:$P_DEAD;
    idle_timeout 500ms;
    access_log $T/dead.log;
}
listener h6 {
    listen [::1]:$P_GW6;
    handler udp;
    proxy_pass [::1]:$P_UP6;
    idle_timeout 500ms;
}
EOF
gw_start_udp "127.0.0.1:$P_GW" "[::1]:$P_GW6"
w=$(gw_pid_worker)

out=$("$UC" echo "127.0.0.1:$P_GW" 0x5 2>&1)
expect_eq "zero-length datagrams pass as zero-length datagrams" "echo: 5 ok" "$out"

# a stream runs through all of it: its replies must stay intact
spawn stream "$UC" -t 5000 load "127.0.0.1:$P_GW" 8 2500 200

bursts=(
    "200 1000 0"        # 1,000 zero-length datagrams from 200 ports
    "200 1000 1400"     # again with 1,400 bytes: 200 sessions, budget 100
    "20 100 65507"      # big ones, more than the socket buffers hold
)
for b in "${bursts[@]}"; do
    out=$("$UC" burst "127.0.0.1:$P_GW" $b 2>&1)
    echo "# burst $b: $out"
done
out=$("$UC" burst "[::1]:$P_GW6" 200 1000 100 2>&1)
echo "# burst over IPv6: $out"
out=$("$UC" burst "127.0.0.1:$P_DEADGW" 200 1000 10 2>&1)
echo "# burst to a dead upstream: $out"
check "bursts to a dead upstream end their sessions with 502" \
    wait_log "$T/dead.log" '" 502 ' 2000

wait_gone "${PID[stream]}" 6000
out=$(cat "$T/stream.out")
if [[ "$out" =~ ^load:\ sent\ [0-9]+\ received\ [1-9][0-9]*\ lost\ [0-9]+$ ]]; then
    ok "a stream running meanwhile got only intact replies ($out)"
else
    not_ok "a stream running meanwhile got only intact replies" "$out"
fi
check "the budget drops were counted" \
    has_line "$T/error.log" 'udp: dropped [0-9]+ datagrams of new clients'

expect_eq "the worker survived (same pid)" "$w" "$(gw_pid_worker)"
served() { [ "$("$UC" -t 300 send "127.0.0.1:$P_GW" still 2>/dev/null)" = still ]; }
check "a normal client is served afterwards" wait_until 3000 served
out=$("$UC" -w 4 echo "127.0.0.1:$P_GW" 65507 0 1400x10 2>&1)
expect_eq "... with datagrams of every size intact" "echo: 12 ok" "$out"
served6() { [ "$("$UC" -t 300 send "[::1]:$P_GW6" v6 2>/dev/null)" = v6 ]; }
check "... and over IPv6" wait_until 3000 served6
if grep -qE '\[(crit|alert|emerg)\]|exited on signal|exited with code [1-9]' "$T/error.log"; then
    not_ok "nothing critical in the error log" "$(grep -E 'crit|alert|emerg|exited' "$T/error.log" | head -3)"
else
    ok "nothing critical in the error log"
fi
