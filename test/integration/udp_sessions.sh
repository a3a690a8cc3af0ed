#!/usr/bin/env bash
# udp sessions: all datagrams of one client address (to one listen socket)
# share one session and one upstream socket; two clients get two sessions
# and two upstream sockets (the backend sees two source ports); the same
# client address sending again later finds its session; the same client
# address to another listen socket is another session. With two workers
# (a listen socket each, SO_REUSEPORT), a client's datagrams still all
# reach one worker: one session.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_GW2 P_GW3 P_UP P_UP3 P_CLI < <(udp_ports 6)
udp_backend up -m echo "127.0.0.1:$P_UP"
write_conf <<EOF
$MAIN
listener one {
    listen 127.0.0.1:$P_GW;
    handler udp;
    proxy_pass 127.0.0.1:$P_UP;
    idle_timeout 1s;
    access_log $T/access.log;
}
listener two {
    listen 127.0.0.1:$P_GW2;
    handler udp;
    proxy_pass 127.0.0.1:$P_UP;
    idle_timeout 1s;
    access_log $T/access.log;
}
EOF
gw_start_udp "127.0.0.1:$P_GW" "127.0.0.1:$P_GW2"
base=$(udp_sources up)        # the probes

out=$("$UC" -w 4 echo "127.0.0.1:$P_GW" 100x20 2>&1)
expect_eq "one client: 20 datagrams echoed" "echo: 20 ok" "$out"
expect_eq "one client's 20 datagrams use one upstream socket" \
    $((base + 1)) "$(udp_sources up)"

out=$("$UC" sockets "127.0.0.1:$P_GW" 2 hi 2>&1)
expect_eq "two clients: both echoed" "hi
hi
sockets: 2/2 ok" "$out"
expect_eq "two clients: two upstream sockets (two source ports at the backend)" \
    $((base + 3)) "$(udp_sources up)"

# the same client address, one process after the other: one session
out1=$("$UC" -p "$P_CLI" send "127.0.0.1:$P_GW" a 2>&1)
out2=$("$UC" -p "$P_CLI" send "127.0.0.1:$P_GW" b c 2>&1)
expect_eq "the same client address again: echoed" "a b c" "$(echo $out1 $out2)"
expect_eq "the same client address again: the same session (upstream socket)" \
    $((base + 4)) "$(udp_sources up)"

# the same client address to the other listener: a session of its own
out=$("$UC" -p "$P_CLI" send "127.0.0.1:$P_GW2" d 2>&1)
expect_eq "the same client address to another listener: echoed" "d" "$out"
expect_eq "the same client address to another listener: another session" \
    $((base + 5)) "$(udp_sources up)"

# when the sessions end (idle_timeout 1s), one line each: the fixed-port
# client's session on "one" carried 3 datagrams
has_line_for() { grep -q "^127\.0\.0\.1:$P_CLI .* $1 udp " "$T/access.log"; }
wait_until 3000 has_line_for two
line=$(grep "^127\.0\.0\.1:$P_CLI .* one udp " "$T/access.log")
re=" 200 3 3 [0-9.]+ 127\.0\.0\.1:$P_UP 3 3\$"
if [[ "$line" =~ $re ]] && [ "$(grep -c "^127\.0\.0\.1:$P_CLI .* one udp " "$T/access.log")" -eq 1 ]; then
    ok "one access log line for the client's session across two processes (3 datagrams)"
else
    not_ok "one access log line for the client's session across two processes (3 datagrams)" \
        "$(grep "^127\.0\.0\.1:$P_CLI " "$T/access.log")"
fi
line=$(grep ' 2000 2000 ' "$T/access.log")
if [[ "$line" =~ \ 20\ 20$ ]]; then
    ok "the 20-datagram session is one line: 2000 bytes, 20 datagrams each way"
else
    not_ok "the 20-datagram session is one line: 2000 bytes, 20 datagrams each way" \
        "$(cat "$T/access.log")"
fi

# two workers
gw_stop
udp_backend up3 -m echo "127.0.0.1:$P_UP3"
write_conf "$T/two.conf" <<EOF
worker_processes 2;
error_log $T/error2.log info;
pid $T/gw2.pid;
listener w2 {
    listen 127.0.0.1:$P_GW3;
    handler udp;
    proxy_pass 127.0.0.1:$P_UP3;
}
EOF
gw_start "$T/two.conf"
check "two workers run" has_workers "$GW_PID" 2
out=$("$UC" -w 4 echo "127.0.0.1:$P_GW3" 100x50 2>&1)
expect_eq "two workers: one client's 50 datagrams echoed" "echo: 50 ok" "$out"
expect_eq "two workers: ... through one session (one upstream socket)" 1 "$(udp_sources up3)"
out=$("$UC" sockets "127.0.0.1:$P_GW3" 20 x 2>&1)
expect_eq "two workers: 20 clients all served" "sockets: 20/20 ok" "$(tail -n 1 <<<"$out")"
expect_eq "two workers: ... in 20 sessions" 21 "$(udp_sources up3)"
