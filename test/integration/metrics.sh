#!/usr/bin/env bash
# handler status: GET /metrics (Prometheus text format, checked line by
# line against its grammar) and GET /status (JSON) from counters in shared
# memory: the numbers of two workers add up, move with traffic (accepted,
# requests by class, bytes, upstream selections and failures, the response
# time histogram), survive a worker's death (and count its restart), and
# survive a reload for the listeners and servers that stay; a removed
# listener leaves the output. 404, 405, HEAD.
. "$(dirname "$0")/lib.sh"

read -r P_ST P_WEB P_TCP P_NEW P_O P_E P_DEAD < <(ports 7)
origin o "127.0.0.1:$P_O"
backend echo echo "127.0.0.1:$P_E"
conf() {
    write_conf <<EOF2
worker_processes 2;
error_log $T/error.log info;
pid $T/gw.pid;
upstream app {
    server 127.0.0.1:$P_O;
    server 127.0.0.1:$P_DEAD max_fails=100;
}
listener stats {
    listen 127.0.0.1:$P_ST;
    handler status;
}
listener web {
    listen 127.0.0.1:$P_WEB;
    handler http_reverse;
    proxy_pass app;
}
$1
EOF2
}
conf "listener echo { listen 127.0.0.1:$P_TCP; handler tcp; proxy_pass 127.0.0.1:$P_E; }"
gw_start "$P_ST" "$P_WEB" "$P_TCP"
M="http://127.0.0.1:$P_ST/metrics"

# the exposition format, line by line: comments, then samples
valid_exposition() {
    awk '
        /^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* / { next }
        /^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped)$/ { next }
        /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\})? ([-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|[-+]Inf)$/ { n++; next }
        { print "bad line " NR ": " $0; bad = 1 }
        END { exit bad || n == 0 }' "$1"
}

hget "$M" >"$T/m0.txt"
check "the output follows the Prometheus text format, line by line" valid_exposition "$T/m0.txt"
check "every family has its TYPE before its samples" awk '
    /^# TYPE/ { typed[$3] = 1; next } /^#/ { next }
    { name = $1; sub(/\{.*/, "", name); base = name; sub(/_(bucket|sum|count)$/, "", base)
      if (!typed[name] && !typed[base]) { print "untyped " name; exit 1 } }' "$T/m0.txt"

# ---- traffic -----------------------------------------------------------------------------
for i in $(seq 30); do hget "http://127.0.0.1:$P_WEB/r$i" >/dev/null; done
for i in $(seq 5); do hget "http://127.0.0.1:$P_WEB/status/404" >/dev/null; done
for i in $(seq 4); do "$TC" -t 3000 -s ping read "127.0.0.1:$P_TCP" >/dev/null 2>&1; done
hget "$M" >"$T/m1.txt"
get() { awk -v k="$1" 'index($0, k " ") == 1 { print $2; exit }' "$T/m1.txt"; }
expect_eq "accepted on web: 35 connections, whichever worker took them" 35 \
    "$(get 'gateway_listener_connections_accepted_total{listener="web"}')"
expect_eq "requests 2xx on web" 30 "$(get 'gateway_listener_requests_total{listener="web",class="2xx"}')"
expect_eq "requests 4xx on web" 5 "$(get 'gateway_listener_requests_total{listener="web",class="4xx"}')"
expect_eq "tcp sessions accepted" 4 "$(get 'gateway_listener_connections_accepted_total{listener="echo"}')"
expect_eq "tcp bytes received: 4 x 4" 16 "$(get 'gateway_listener_received_bytes_total{listener="echo"}')"
check "bytes sent on web move" test "$(get 'gateway_listener_sent_bytes_total{listener="web"}')" -gt 1000
sel=$(get "gateway_upstream_server_selected_total{upstream=\"app\",server=\"127.0.0.1:$P_O\"}")
dead=$(get "gateway_upstream_server_failed_total{upstream=\"app\",server=\"127.0.0.1:$P_DEAD\"}")
check "the live server was selected ($sel)" test "${sel:-0}" -ge 18
check "the dead server's failures counted ($dead)" test "${dead:-0}" -ge 1
inf=$(get "gateway_upstream_server_response_seconds_bucket{upstream=\"app\",server=\"127.0.0.1:$P_O\",le=\"+Inf\"}")
cnt=$(get "gateway_upstream_server_response_seconds_count{upstream=\"app\",server=\"127.0.0.1:$P_O\"}")
expect_eq "the histogram: +Inf equals the count, one per answer" "35 35" "$inf $cnt"
check "both workers' slots are shown" grep -q 'gateway_worker_connections{slot="1"}' "$T/m1.txt"
check "the output is still valid with traffic" valid_exposition "$T/m1.txt"

# ---- a worker dies: the counts stay, its restart is counted -------------------------------------
victim=$(workers_of "$GW_PID" | head -n 1)
kill -9 "$victim"
wait_gone "$victim" 3000
wait_workers "$GW_PID" 2 5000
one_restart() { [ "$(hget "$M" | grep -c 'gateway_worker_restarts_total{slot="[01]"} 1')" -eq 1 ]; }
check "a worker killed: one restart counted" wait_until 3000 one_restart
expect_eq "... and the counts of both workers survive it" 35 \
    "$(metric 'gateway_listener_connections_accepted_total{listener="web"}')"

# ---- a reload keeps what stays ------------------------------------------------------------------
conf "listener fresh { listen 127.0.0.1:$P_NEW; handler tcp; proxy_pass 127.0.0.1:$P_E; }"
kill -HUP "$GW_PID"
wait_log "$T/error.log" 'reloaded ' 5000
wait_listen "$P_NEW"
hget "$M" >"$T/m2.txt"
get2() { awk -v k="$1" 'index($0, k " ") == 1 { print $2; exit }' "$T/m2.txt"; }
check "after a reload: web keeps its counts (35 and more)" \
    test "$(get2 'gateway_listener_connections_accepted_total{listener="web"}')" -ge 35
expect_eq "after a reload: the reload is counted" 1 "$(get2 gateway_reloads_total)"
check_not "after a reload: the removed listener is gone" grep -q 'listener="echo"' "$T/m2.txt"
expect_eq "after a reload: the new one starts at 0" 0 \
    "$(get2 'gateway_listener_connections_accepted_total{listener="fresh"}')"

# ---- /status, and what is not there ------------------------------------------------------------
hget "http://127.0.0.1:$P_ST/status" >"$T/status.json"
if command -v python3 >/dev/null; then
    check "/status is JSON" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["listeners"] and d["servers"] and len(d["workers"]) == 2' "$T/status.json"
else
    check "/status is a JSON object" grep -q '^{"version":.*}$' "$T/status.json"
fi
check "/status: web's numbers" grep -q '"name":"web","accepted":' "$T/status.json"
expect_eq "404 for another path" 404 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_ST/other")"
expect_eq "405 for POST" 405 "$(curl -s -o /dev/null -w '%{http_code}' -d x "$M")"
out=$(curl -s -I "$M" | tr -d '\r')
check "HEAD: the head, with the exposition content type" grep -q '^Content-Type: text/plain; version=0.0.4' <<<"$out"
