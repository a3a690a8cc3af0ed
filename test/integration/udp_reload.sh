#!/usr/bin/env bash
# udp and reload (HUP): the old worker stops reading the listen socket but
# keeps its open sessions, so a reply the server sends late (800 ms) still
# reaches the client; new clients go to the new worker and the new
# configuration; the old worker exits once its sessions end; datagrams
# flowing across the reload are not lost.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_STEADY P_SLOW P_FRESH P_ECHO < <(udp_ports 5)
udp_backend slow -m echo -d 800 "127.0.0.1:$P_SLOW"
udp_backend fresh -m id "127.0.0.1:$P_FRESH"
udp_backend echo -m echo "127.0.0.1:$P_ECHO"

# conf UPSTREAM_PORT
conf() {
    write_conf <<EOF
$MAIN
shutdown_timeout 5s;
listener r {
    listen 127.0.0.1:$P_GW;
    handler udp;
    proxy_pass 127.0.0.1:$1;
    idle_timeout 1s;
    access_log $T/access.log;
}
listener steady {
    listen 127.0.0.1:$P_STEADY;
    handler udp;
    proxy_pass 127.0.0.1:$P_ECHO;
    idle_timeout 1s;
}
EOF
}
n_reloads() { grep -c 'reloaded' "$T/error.log"; }
reloads_are() { [ "$(n_reloads)" -eq "$1" ]; }

conf "$P_SLOW"
gw_start_udp "127.0.0.1:$P_STEADY"
out=$("$UC" -t 2000 send "127.0.0.1:$P_GW" first 2>&1)
expect_eq "before the reload: the slow server answers (800 ms)" "first" "$out"
w1=$(gw_pid_worker)
base=$(udp_sources slow)

# a session waiting for its late reply across the reload, and a stream of
# datagrams across it
spawn waiting "$UC" -t 3000 send "127.0.0.1:$P_GW" late
spawn stream "$UC" load "127.0.0.1:$P_STEADY" 8 1500
arrived() { [ "$(udp_sources slow)" -gt "$base" ]; }
wait_until 2000 arrived || not_ok "the waiting client's datagram reaches the server"
streaming() {
    local st
    st=$(udp_stats "127.0.0.1:$P_ECHO")
    st=${st#dgrams }
    [ "${st%% *}" -gt 1000 ]
}
wait_until 2000 streaming || not_ok "the stream flows before the reload" "$(udp_stats "127.0.0.1:$P_ECHO")"

conf "$P_FRESH"
kill -HUP "$GW_PID"
wait_until 3000 reloads_are 1 || not_ok "HUP: reload logged" "no 'reloaded' in the error log"
new_worker() { [ -n "$(workers_of "$GW_PID" | grep -vxF "$w1")" ]; }
wait_until 3000 new_worker || not_ok "HUP: a new worker starts" "workers: $(workers_of "$GW_PID")"
check "the late reply is still to come once the reload is done" alive "${PID[waiting]}"

wait_gone "${PID[waiting]}" 4000
expect_eq "HUP: the late reply of a session opened before still reaches the client" \
    "late" "$(cat "$T/waiting.out")"
check "HUP: the old worker stays while its session is open" alive "$w1"

is_fresh() { [ "$("$UC" -t 300 send "127.0.0.1:$P_GW" who 2>/dev/null)" = fresh ]; }
if wait_until 3000 is_fresh; then
    ok "HUP: a new client is served by the new worker and configuration"
else
    not_ok "HUP: a new client is served by the new worker and configuration" \
        "got: $("$UC" -t 1000 send "127.0.0.1:$P_GW" who 2>&1)"
fi
out=$("$UC" sockets "127.0.0.1:$P_GW" 3 who 2>&1)
expect_eq "HUP: and the next ones too" "fresh fresh fresh sockets: 3/3 ok" "$(echo $out)"

wait_gone "${PID[stream]}" 4000
out=$(cat "$T/stream.out")
if [[ "$out" =~ ^load:\ sent\ ([0-9]+)\ received\ ([0-9]+)\ lost\ 0$ ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]; then
    ok "HUP: a stream of datagrams across the reload loses none ($out)"
else
    not_ok "HUP: a stream of datagrams across the reload loses none" "$out"
fi

if wait_gone "$w1" 4000; then
    ok "HUP: the old worker exits once its sessions end"
else
    not_ok "HUP: the old worker exits once its sessions end" "pid $w1 still there"
fi
check "HUP: its session was logged with the old server, 200" \
    has_line "$T/access.log" " r udp \"127\.0\.0\.1:$P_SLOW\" 200 4 4 [0-9.]+ 127\.0\.0\.1:$P_SLOW 1 1\$"
check "HUP: one worker left" has_workers "$GW_PID" 1
