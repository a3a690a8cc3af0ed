#!/usr/bin/env bash
# udp and graceful stop (QUIT): the worker stops reading the listen socket,
# but an open session still gets its late reply, and the gateway exits once
# the session ends (idle_timeout) -- not before, and no later than
# shutdown_timeout when a session would outlive it. It stops reading even
# while a flood keeps the listen socket full.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_GW2 P_GW3 P_SLOW P_ECHO < <(udp_ports 5)
udp_backend slow -m echo -d 800 "127.0.0.1:$P_SLOW"
udp_backend echo -m echo "127.0.0.1:$P_ECHO"

# 1. the session ends by itself (idle_timeout 1s) within shutdown_timeout
write_conf <<EOF
$MAIN
shutdown_timeout 5s;
listener q {
    listen 127.0.0.1:$P_GW;
    handler udp;
    proxy_pass 127.0.0.1:$P_SLOW;
    idle_timeout 1s;
    access_log $T/access.log;
}
EOF
gw_start
w=$(gw_pid_worker)
base=$(udp_sources slow)
spawn waiting "$UC" -t 3000 send "127.0.0.1:$P_GW" late
arrived() { [ "$(udp_sources slow)" -gt "$base" ]; }
wait_until 3000 arrived || not_ok "the client's datagram reaches the server"
t0=$(now_ms)
kill -QUIT "$GW_PID"
wait_log "$T/error.log" 'graceful shutdown' 2000 \
    || not_ok "QUIT: graceful shutdown logged" "no 'graceful shutdown' in the error log"
out=$("$UC" silent "127.0.0.1:$P_GW" 300 new 2>&1)
expect_eq "QUIT: a new client gets no reply" "no reply" "$out"
wait_gone "${PID[waiting]}" 3000
expect_eq "QUIT: the late reply of an open session reaches the client" \
    "late" "$(cat "$T/waiting.out")"
check "QUIT: the worker stays while the session is open" alive "$w"
if wait_gone "$GW_PID" 4000; then
    ms=$(($(now_ms) - t0))
    if [ "$ms" -ge 1500 ]; then
        ok "QUIT: the gateway exits once the session ends ($ms ms: 800 ms reply + 1 s idle)"
    else
        not_ok "QUIT: the gateway exits once the session ends" "exited after $ms ms (< 1500)"
    fi
else
    not_ok "QUIT: the gateway exits once the session ends" "still running after 4 s"
fi
expect_eq "QUIT: the new client's datagram never reached the server" \
    "dgrams 1" "$(cut -d' ' -f1-2 <<<"$(udp_stats "127.0.0.1:$P_SLOW")")"
check "QUIT: the session was logged (200, 1 datagram each way)" \
    has_line "$T/access.log" " q udp \"127\.0\.0\.1:$P_SLOW\" 200 4 4 [0-9.]+ 127\.0\.0\.1:$P_SLOW 1 1\$"

# 2. a session that would last 60 s: shutdown_timeout 1s bounds the wait
write_conf "$T/gw2.conf" <<EOF
worker_processes 1;
error_log $T/error2.log info;
pid $T/gw2.pid;
shutdown_timeout 1s;
listener long {
    listen 127.0.0.1:$P_GW2;
    handler udp;
    proxy_pass 127.0.0.1:$P_ECHO;
}
EOF
gw_start "$T/gw2.conf"
out=$("$UC" send "127.0.0.1:$P_GW2" open 2>&1)
expect_eq "a session is open (idle_timeout 60s)" "open" "$out"
t0=$(now_ms)
kill -QUIT "$GW_PID"
if wait_gone "$GW_PID" 4000; then
    ms=$(($(now_ms) - t0))
    if [ "$ms" -ge 800 ]; then
        ok "QUIT: shutdown_timeout 1s bounds the wait for a long session ($ms ms)"
    else
        not_ok "QUIT: shutdown_timeout 1s bounds the wait for a long session" "exited after $ms ms"
    fi
else
    not_ok "QUIT: shutdown_timeout 1s bounds the wait for a long session" "still running after 4 s"
fi

# 3. QUIT while a flood from 50 clients keeps the listen socket full: the
# worker stops reading it all the same, so the flood's sessions go idle
# and the gateway exits while the flood still goes on
write_conf "$T/gw3.conf" <<EOF
worker_processes 1;
error_log $T/error3.log info;
pid $T/gw3.pid;
shutdown_timeout 5s;
listener flooded {
    listen 127.0.0.1:$P_GW3;
    handler udp;
    proxy_pass 127.0.0.1:$P_ECHO;
    idle_timeout 300ms;
}
EOF
gw_start "$T/gw3.conf"
out=$("$UC" send "127.0.0.1:$P_GW3" up 2>&1)
expect_eq "flooded listener: served before the QUIT" "up" "$out"
n0=$(cut -d' ' -f2 <<<"$(udp_stats "127.0.0.1:$P_ECHO")")
spawn flood "$UC" flood "127.0.0.1:$P_GW3" 50 3000 0
flowing() { [ "$(cut -d' ' -f2 <<<"$(udp_stats "127.0.0.1:$P_ECHO")")" -gt $((n0 + 1000)) ]; }
wait_until 2000 flowing || not_ok "the flood flows" "$(udp_stats "127.0.0.1:$P_ECHO")"
t0=$(now_ms)
kill -QUIT "$GW_PID"
if wait_gone "$GW_PID" 2500; then
    ms=$(($(now_ms) - t0))
    if alive "${PID[flood]}"; then
        ok "QUIT under a flood: the worker stops reading, the gateway exits while the flood goes on ($ms ms)"
    else
        not_ok "QUIT under a flood: the worker stops reading, the gateway exits while the flood goes on" \
            "exited after $ms ms, after the flood ended"
    fi
else
    not_ok "QUIT under a flood: the worker stops reading, the gateway exits while the flood goes on" \
        "still running 2.5 s after QUIT"
fi
stop_pids "${PID[flood]}"
