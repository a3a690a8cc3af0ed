#!/usr/bin/env bash
# Stopping: QUIT stops accepting but waits for an open tunnel, which
# completes; then master and worker exit and the pid file is removed.
# shutdown_timeout bounds that wait. TERM and INT stop everything within a
# second even with a tunnel open. WINCH stops the workers and keeps the
# master; HUP brings them back.
. "$(dirname "$0")/lib.sh"

read -r P_UP P1 P2 P3 P4 P5 P6 < <(ports 7)
backend echo echo "127.0.0.1:$P_UP"

# start_on PORT [EXTRA MAIN DIRECTIVES]: a fresh gateway on PORT
start_on() {
    write_conf <<EOF
$MAIN
${2:-}
listener echo {
    listen 127.0.0.1:$1;
    handler tcp;
    proxy_pass 127.0.0.1:$P_UP;
}
EOF
    gw_start "$1"
    W=$(workers_of "$GW_PID")
}

# tunnel NAME PORT EVERY_MS FOR_MS: a ping-pong session, waited open
tunnel() {
    spawn "$1" "$TC" -t 3000 pingpong "127.0.0.1:$2" "$3" "$4"
    wait_log "$T/$1.out" '^ready' 3000 || not_ok "$1: the tunnel opens" "$(cat "$T/$1.out")"
}

everything_gone() { dead "$GW_PID" && dead "$W"; }

# ---- QUIT waits for the tunnel
start_on "$P1"
tunnel quit "$P1" 100 1500
t0=$(now_ms)
kill -QUIT "$GW_PID"
sleep 0.3
if alive "$GW_PID" && alive "$W" && alive "${PID[quit]}"; then
    ok "QUIT: master and worker stay while a tunnel is open"
else
    not_ok "QUIT: master and worker stay while a tunnel is open" \
        "master $(alive "$GW_PID" && echo up || echo gone), worker $(alive "$W" && echo up || echo gone)"
fi
out=$("$TC" -t 500 -s "late" read "127.0.0.1:$P1" 2>/dev/null)
expect_eq "QUIT: a new connection is not served" "" "$out"
wait_gone "${PID[quit]}" 5000
if grep -q '^pingpong: [0-9]* round trips ok' "$T/quit.out"; then
    ok "QUIT: the open tunnel completes"
else
    not_ok "QUIT: the open tunnel completes" "$(tail -n 2 "$T/quit.out")"
fi
if wait_until 3000 everything_gone; then
    ok "QUIT: then master and worker exit"
    echo "# exited $(($(now_ms) - t0)) ms after QUIT (the tunnel ran 1500 ms)"
else
    not_ok "QUIT: then master and worker exit" "still running"
fi
check "QUIT: the pid file is removed" test ! -e "$T/gw.pid"
check "QUIT: the port is closed" not_listening "$P1"

# ---- QUIT with a tunnel longer than shutdown_timeout
start_on "$P2" "shutdown_timeout 1s;"
tunnel long "$P2" 100 5000
t0=$(now_ms)
kill -QUIT "$GW_PID"
if wait_until 4000 everything_gone; then
    ms=$(($(now_ms) - t0))
    if [ $ms -ge 800 ]; then
        ok "QUIT: shutdown_timeout 1s ends a longer tunnel"
    else
        not_ok "QUIT: shutdown_timeout 1s ends a longer tunnel" "exited after only $ms ms"
    fi
    echo "# exited $ms ms after QUIT"
else
    not_ok "QUIT: shutdown_timeout 1s ends a longer tunnel" "still running 4 s after QUIT"
fi
wait_gone "${PID[long]}" 3000
check "QUIT: the cut tunnel's client sees it closed" dead "${PID[long]}"

# ---- TERM and INT: fast, with a tunnel open
for sig in TERM INT; do
    port=$P3
    [ $sig = INT ] && port=$P4
    start_on "$port"
    tunnel "t$sig" "$port" 100 5000
    t0=$(now_ms)
    kill -$sig "$GW_PID"
    if wait_until 1000 everything_gone; then
        ok "$sig: everything stops within a second with a tunnel open"
        echo "# $sig: gone after $(($(now_ms) - t0)) ms"
    else
        not_ok "$sig: everything stops within a second with a tunnel open" \
            "master $(alive "$GW_PID" && echo up || echo gone), worker $(alive "$W" && echo up || echo gone)"
        wait_until 4000 everything_gone
    fi
    check "$sig: the pid file is removed" test ! -e "$T/gw.pid"
    wait_gone "${PID[t$sig]}" 3000
done

# ---- TERM after QUIT: a graceful stop can be hurried
start_on "$P6"
tunnel hurry "$P6" 100 5000
kill -QUIT "$GW_PID"
sleep 0.2
check "QUIT then TERM: still waiting for the tunnel after QUIT" alive "$W"
kill -TERM "$GW_PID"
if wait_until 1000 everything_gone; then
    ok "QUIT then TERM: everything stops within a second"
else
    not_ok "QUIT then TERM: everything stops within a second" "still running"
    wait_until 4000 everything_gone
fi
wait_gone "${PID[hurry]}" 3000

# ---- WINCH: workers stop, the master stays; HUP brings them back
start_on "$P5"
kill -WINCH "$GW_PID"
if wait_until 3000 dead "$W" && alive "$GW_PID"; then
    ok "WINCH: the worker exits, the master stays"
else
    not_ok "WINCH: the worker exits, the master stays" \
        "master $(alive "$GW_PID" && echo up || echo gone), worker $(alive "$W" && echo up || echo gone)"
fi
check "WINCH: no worker is respawned" has_workers "$GW_PID" 0
kill -HUP "$GW_PID"
if wait_workers "$GW_PID" 1 3000; then
    ok "WINCH then HUP: a worker is back"
else
    not_ok "WINCH then HUP: a worker is back" "no worker"
fi
out=$("$TC" -t 3000 -s "back" read "127.0.0.1:$P5" 2>&1)
expect_eq "WINCH then HUP: served again" "back" "$out"
gw_stop TERM
