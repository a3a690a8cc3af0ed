#!/usr/bin/env bash
# health_check: an HTTP check (uri=) takes a server out when it answers
# 503 and brings it back after `passes` 200s, a TCP check when nothing
# listens; one process probes (each change is logged once with two
# workers), every worker skips a server down (requests on fresh
# connections all go to the other), the state shows in /metrics, survives
# a reload and the probing worker's death; -t refuses bad parameters and
# a udp listener on a checked group.
. "$(dirname "$0")/lib.sh"

read -r P_ST P_WEB P_TCP P_A P_B P_TA P_TB < <(ports 7)
touch "$T/a.ok" "$T/b.ok"
origin a -H "$T/a.ok" "127.0.0.1:$P_A"
origin b -H "$T/b.ok" "127.0.0.1:$P_B"
backend ta id "127.0.0.1:$P_TA"
backend tb id "127.0.0.1:$P_TB"
EL="$T/error.log"
write_conf <<EOF
worker_processes 2;
error_log $EL info;
pid $T/gw.pid;
upstream web {
    server 127.0.0.1:$P_A max_fails=0;
    server 127.0.0.1:$P_B max_fails=0;
    health_check interval=100ms timeout=500ms fails=2 passes=2 uri=/health;
}
upstream tcpup {
    server 127.0.0.1:$P_TA max_fails=0;
    server 127.0.0.1:$P_TB max_fails=0;
    health_check interval=100ms timeout=300ms;
}
listener stats { listen 127.0.0.1:$P_ST; handler status; }
listener web { listen 127.0.0.1:$P_WEB; handler http_reverse; proxy_pass web; }
listener tun { listen 127.0.0.1:$P_TCP; handler tcp; proxy_pass tcpup; }
EOF
gw_start "$P_ST" "$P_WEB" "$P_TCP"
M="http://127.0.0.1:$P_ST/metrics"
probes() { grep -c '"GET /health HTTP/1.1"' "$T/$1.out"; }
served() { grep '^req ' "$T/$1.out" | grep -vc '"GET /health HTTP/1.1"'; }
probes_over() { [ "$(probes "$1")" -gt "$2" ]; }
served_by() {   # served_by N: which origins answered N fresh requests
    for _ in $(seq "$1"); do
        curl -s -m 5 -o /dev/null -D - "http://127.0.0.1:$P_WEB/x" | tr -d '\r' \
            | sed -n 's/^X-Origin: //p'
    done | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }'
}
up_is() { [ "$(metric "gateway_upstream_server_up{upstream=\"$1\",server=\"$2\"}")" = "$3" ]; }
down_lines() { grep -c "upstream server $1 of \"$2\" is down" "$EL"; }
up_lines() { grep -c "upstream server $1 of \"$2\" is up" "$EL"; }
SA="127.0.0.1:$P_A"

check "probes reach both servers" wait_until 3000 probes_over a 2
check "the probe is GET uri with Host and Connection: close" \
    has_line "$T/a.out" "\"GET /health HTTP/1.1\" host=\[127\.0\.0\.1:$P_A\] .*connection=\[close\]"
both_serve() { [[ "$(served_by 10)" =~ ^a=[0-9]+\ b=[0-9]+\ $ ]]; }
check "both servers serve while healthy" both_serve

# ---- 503: out after two failures -------------------------------------------------------
rm -f "$T/a.ok"
check "a server answering 503 is taken out" \
    wait_log "$EL" "\[warn\] .*upstream server $SA of \"web\" is down: health check failed \(status 503\)" 3000
check "/metrics says up 0" wait_until 2000 up_is web "$SA" 0
n=$(probes a)
wait_until 3000 probes_over a $((n + 4))
expect_eq "one process probes: the change is logged once, with two workers" "$(down_lines "$SA" web)" 1
wpids=$(workers_of "$GW_PID" | sort | tr '\n' ' ')
expect_eq "two workers run" "$(echo $wpids | wc -w)" 2
before=$(served a)
expect_eq "every worker skips it: 20 fresh connections all go to b" "$(served_by 20)" "b=20 "
expect_eq "... and a got nothing but probes" "$(served a)" "$before"
check "failed checks are counted" test "$(metric "gateway_upstream_server_health_checks_total{upstream=\"web\",server=\"$SA\",result=\"failed\"}")" -ge 2
check "passed checks are counted" test "$(metric "gateway_upstream_server_health_checks_total{upstream=\"web\",server=\"127.0.0.1:$P_B\",result=\"passed\"}")" -ge 2

# ---- back after two passes ---------------------------------------------------------------
touch "$T/a.ok"
check "it is brought back once it passes" \
    wait_log "$EL" "\[notice\] .*upstream server $SA of \"web\" is up: health check passed" 3000
check "/metrics says up 1" wait_until 2000 up_is web "$SA" 1
check "both serve again" both_serve

# ---- TCP checks ------------------------------------------------------------------------------
tcp_ids() {
    for _ in $(seq "$1"); do "$TC" -t 2000 read "127.0.0.1:$P_TCP" 2>/dev/null; done \
        | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }'
}
stop_pids "${PID[ta]}"
check "tcp check: a server nothing listens on is taken out" \
    wait_log "$EL" "upstream server 127\.0\.0\.1:$P_TA of \"tcpup\" is down: health check failed \(connect\(\) failed\).*Connection refused" 3000
expect_eq "tcp sessions all go to the other" "$(tcp_ids 6)" "tb=6 "
backend ta id "127.0.0.1:$P_TA"
check "tcp check: back once it listens" \
    wait_log "$EL" "upstream server 127\.0\.0\.1:$P_TA of \"tcpup\" is up" 3000
tcp_both() { [[ "$(tcp_ids 8)" =~ ^ta=[0-9]+\ tb=[0-9]+\ $ ]]; }
check "tcp sessions reach both again" tcp_both

# ---- the state across a reload and the prober's death -------------------------------------
rm -f "$T/a.ok"
wait_until 3000 up_is web "$SA" 0
kill -HUP "$GW_PID"
check "reloaded" wait_log "$EL" "reloaded" 3000
wait_until 5000 has_workers "$GW_PID" 2
expect_eq "after a reload the server is still out at once" "$(served_by 10)" "b=10 "
slot0=$(hget "http://127.0.0.1:$P_ST/status" | sed -nE 's/.*\{"slot":0,"pid":([0-9]+).*/\1/p')
check "slot 0's worker is known" test -n "$slot0"
kill -KILL "$slot0"
wait_until 5000 has_workers "$GW_PID" 2
ups=$(up_lines "$SA" web)
touch "$T/a.ok"
check "a respawned prober brings it back" wait_until 4000 eval '[ "$(up_lines "$SA" web)" -gt "$ups" ]'
check "... and it serves" both_serve

# ---- -t -----------------------------------------------------------------------------------
bad() {
    sed "s|health_check interval=100ms timeout=300ms;|$1|" "$CONF" >"$T/bad.conf"
    "$GW" -t -c "$T/bad.conf" >"$T/bad.out" 2>&1 && return 1
    grep -qE -- "$2" "$T/bad.out"
}
check "-t: fails=0" bad "health_check fails=0;" 'invalid parameter "fails=0"'
check "-t: interval=0" bad "health_check interval=0;" 'invalid parameter "interval=0"'
check "-t: a uri not starting with /" bad "health_check uri=health;" 'invalid parameter "uri=health"'
check "-t: an unknown parameter" bad "health_check rise=2;" 'invalid parameter "rise=2"'
cp "$CONF" "$T/udp.conf"
echo "listener u { listen 127.0.0.1:$P_TA; handler udp; proxy_pass tcpup; }" >>"$T/udp.conf"
check_not "-t: a udp listener cannot use a checked group" "$GW" -t -c "$T/udp.conf"
check "... and says why" bash -c "'$GW' -t -c '$T/udp.conf' 2>&1 | grep -q 'udp listeners cannot use'"
gw_stop QUIT
