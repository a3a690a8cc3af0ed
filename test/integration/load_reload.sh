#!/usr/bin/env bash
# Operations under load (issue 7): 20,000 HTTP requests on keep-alive
# connections through http_reverse and at least 2,000 TCP sessions while
# the master gets 10 reloads and then a binary upgrade (USR2, WINCH, QUIT
# of the old master): not one failed request or session. A request sent
# on a reused connection just as a stopping worker closed it idle comes
# back closed before any byte of an answer: the client sends it again, as
# HTTP clients do (RFC 9112 9.3.1); those are counted, not hidden.
. "$(dirname "$0")/lib.sh"

read -r P_WEB P_TCP P_O P_E < <(ports 4)
origin o "127.0.0.1:$P_O"
backend echo echo "127.0.0.1:$P_E"
write_conf <<EOF2
worker_processes 2;
error_log $T/error.log notice;
pid $T/gw.pid;
shutdown_timeout 10s;
upstream app { server 127.0.0.1:$P_O; keepalive 32; }
listener web {
    listen 127.0.0.1:$P_WEB;
    handler http_reverse;
    proxy_pass app;
}
listener echo {
    listen 127.0.0.1:$P_TCP;
    handler tcp;
    proxy_pass 127.0.0.1:$P_E;
}
EOF2
gw_start "$P_WEB" "$P_TCP"
old=$GW_PID

# 20 connections; each answer takes 3 ms at the origin, so the 20,000
# requests take about 3 s, over the reloads and the upgrade
spawn http "$BK/http_load" -q -c 20 -n 20000 -t 60000 -P /delay/3 "127.0.0.1:$P_WEB"
spawn tcp "$TC" -t 5000 loop "127.0.0.1:$P_TCP" 4000
reloads_done() { [ "$(grep -c 'reloaded ' "$T/error.log")" -ge "$1" ]; }
for i in $(seq 10); do
    kill -HUP "$old"
    wait_until 3000 reloads_done "$i" || not_ok "reload $i is done"
    wait_workers "$old" 2 3000 || true
done
ok "10 reloads under load"

kill -USR2 "$old"
upgraded() { [ -s "$T/gw.pid.oldbin" ] && [ -s "$T/gw.pid" ] && [ "$(cat "$T/gw.pid")" != "$old" ]; }
wait_until 5000 upgraded || bail "USR2: the new master starts"
new=$(cat "$T/gw.pid")
track "$new"
check "USR2 under load: the new master's workers start" wait_workers "$new" 2 5000
kill -WINCH "$old"
kill -QUIT "$old"
check "the old master finishes and exits" wait_gone "$old" 15000

wait_gone "${PID[http]}" 60000
http=$(grep '^http_load:' "$T/http.out")
echo "# $http"
if [[ "$http" =~ requests\ 20000\ ok\ 20000\ failed\ 0\ retried\ ([0-9]+) ]]; then
    ok "20,000 keep-alive requests over 10 reloads and an upgrade: none failed (${BASH_REMATCH[1]} sent again after an idle close)"
else
    not_ok "20,000 keep-alive requests over 10 reloads and an upgrade: none failed" "$http; $(grep -v '^http_load' "$T/http.out" | head -n 5)"
fi
wait_gone "${PID[tcp]}" 10000
tcp=$(grep '^loop:' "$T/tcp.out")
echo "# tcp: $tcp"
if [[ "$tcp" =~ ^loop:\ ([0-9]+)\ ok,\ 0\ failed$ ]] && [ "${BASH_REMATCH[1]}" -ge 2000 ]; then
    ok "at least 2,000 TCP sessions over the same: none failed ($tcp)"
else
    not_ok "at least 2,000 TCP sessions over the same: none failed" "$tcp; $(tail -n 3 "$T/tcp.out")"
fi
check "no worker crashed" test "$(grep -c 'exited on signal' "$T/error.log")" -eq 0
expect_eq "the new master serves" "o /after" "$(hget "http://127.0.0.1:$P_WEB/after")"
kill -TERM "$new"
wait_gone "$new" 5000
