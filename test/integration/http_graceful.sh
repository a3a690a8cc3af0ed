#!/usr/bin/env bash
# A graceful stop of http workers (reload, QUIT): an idle keep-alive client
# connection is closed at once, a request in progress gets its answer with
# Connection: close, idle pooled upstream connections are closed, so the
# old worker leaves as soon as its work is done (not at shutdown_timeout).
. "$(dirname "$0")/lib.sh"

read -r P_GW P_O < <(ports 2)
origin o "127.0.0.1:$P_O"
write_conf <<EOF2
$MAIN
shutdown_timeout 20s;
upstream app { server 127.0.0.1:$P_O; keepalive 4; }
listener web {
    listen 127.0.0.1:$P_GW;
    handler http_reverse;
    proxy_pass app;
    keepalive_timeout 60s;
}
EOF2
gw_start "$P_GW"
A="127.0.0.1:$P_GW"
old=$(gw_pid_worker)

# an idle keep-alive client, and one whose answer takes 5 s
spawn idle "$HC" -t 15000 "$A" 'send=GET /first HTTP/1.1\r\nHost: x\r\n\r\n' 'expect=o /first' idle=12000
wait_log "$T/idle.out" 'o /first' 3000
spawn slow "$HC" -t 12000 "$A" 'send=GET /delay/5000 HTTP/1.1\r\nHost: x\r\n\r\n' read
both_asked() { [ "$(origin_reqs o)" -ge 2 ]; }
wait_until 3000 both_asked
t0=$(now_ms)
kill -HUP "$GW_PID"
check "reload: the old worker exits once the slow answer is out, not at shutdown_timeout" \
    wait_gone "$old" 9000
ms=$(($(now_ms) - t0))
check "... within about the slow answer's time ($ms ms)" test $ms -lt 9000
wait_gone "${PID[idle]}" 3000
check "the idle keep-alive client was closed" grep -q 'closed after' "$T/idle.out"
wait_gone "${PID[slow]}" 3000
out=$(tr -d '\r' <"$T/slow.out")
check "the answer in progress came whole" grep -q '^delayed$' <<<"$out"
check "... with Connection: close" grep -qi '^connection: close' <<<"$out"
none_open() { [ "$(origin_open o)" -eq 0 ]; }
check "the origin saw its pooled connections closed" wait_until 3000 none_open
expect_eq "the new worker serves" "o /after" "$(hget "http://$A/after")"
