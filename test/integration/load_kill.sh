#!/usr/bin/env bash
# kill -9 of a worker under load: only the connections that worker held
# may fail (the client reconnects and goes on); the master starts a new
# worker for the slot at once; the other worker's clients and every
# request after it are served.
. "$(dirname "$0")/lib.sh"

read -r P_WEB P_O < <(ports 2)
origin o "127.0.0.1:$P_O"
write_conf <<EOF2
worker_processes 2;
error_log $T/error.log notice;
pid $T/gw.pid;
upstream app { server 127.0.0.1:$P_O; keepalive 32; }
listener web {
    listen 127.0.0.1:$P_WEB;
    handler http_reverse;
    proxy_pass app;
}
EOF2
gw_start "$P_WEB"
C=40
spawn http "$BK/http_load" -q -c $C -n 20000 -t 60000 -P /delay/3 "127.0.0.1:$P_WEB"
progress() { [ "$(origin_reqs o)" -ge 3000 ]; }
wait_until 10000 progress || bail "the load runs"
victim=$(workers_of "$GW_PID" | head -n 1)
held=$(ls -l /proc/"$victim"/fd 2>/dev/null | grep -c socket)
kill -9 "$victim"
check "the killed worker is replaced" wait_workers "$GW_PID" 2 5000
wait_gone "${PID[http]}" 60000
http=$(grep '^http_load:' "$T/http.out")
echo "# the killed worker held $held sockets (clients, upstreams, listen); $http"
if [[ "$http" =~ requests\ 20000\ ok\ ([0-9]+)\ failed\ ([0-9]+)\ retried ]] \
    && [ "${BASH_REMATCH[2]}" -le $C ] && [ "$((BASH_REMATCH[1] + BASH_REMATCH[2]))" -eq 20000 ]; then
    ok "only requests on the killed worker's connections failed (${BASH_REMATCH[2]} of at most $C)"
else
    not_ok "only requests on the killed worker's connections failed" "$http"
fi
check "the master logged the crash" has_line "$T/error.log" "exited on signal 9"
out=$("$BK/http_load" -q -c 10 -n 2000 "127.0.0.1:$P_WEB")
check "every request after it succeeds ($out)" grep -q 'ok 2000 failed 0' <<<"$out"
