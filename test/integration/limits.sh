#!/usr/bin/env bash
# limit_conn and limit_req, counted across two workers through shared
# memory: http answers 429 (with Retry-After) past the limit and serves
# below it; tcp closes; a client's slot comes back when its connection
# closes; the bucket refills at the rate; another client address
# (127.0.0.2) has its own counts; refusals are counted in /metrics; -t
# refuses a bad rate.
. "$(dirname "$0")/lib.sh"

read -r P_ST P_WEB P_RATE P_TCP P_TRATE P_O P_E < <(ports 7)
origin o "127.0.0.1:$P_O"
backend echo echo "127.0.0.1:$P_E"
EL="$T/error.log"
write_conf <<EOF
worker_processes 2;
error_log $EL info;
pid $T/gw.pid;
listener stats { listen 127.0.0.1:$P_ST; handler status; }
listener web {
    listen 127.0.0.1:$P_WEB;
    handler http_reverse;
    proxy_pass 127.0.0.1:$P_O;
    limit_conn 3;
    access_log $T/web.log;
}
listener rate {
    listen 127.0.0.1:$P_RATE;
    handler http_reverse;
    proxy_pass 127.0.0.1:$P_O;
    limit_req 2r/s burst=4;
    access_log $T/rate.log;
}
listener tun {
    listen 127.0.0.1:$P_TCP;
    handler tcp;
    proxy_pass 127.0.0.1:$P_E;
    limit_conn 2;
    access_log $T/tcp.log;
}
listener trate {
    listen 127.0.0.1:$P_TRATE;
    handler tcp;
    proxy_pass 127.0.0.1:$P_E;
    limit_req 60r/m burst=1;
}
EOF
gw_start "$P_ST" "$P_WEB" "$P_RATE" "$P_TCP" "$P_TRATE"
M="http://127.0.0.1:$P_ST/metrics"
code() { curl -s -m 5 -o /dev/null -w '%{http_code}' "$@"; }

# ---- limit_conn (http) -------------------------------------------------------------
# three idle keep-alive connections hold the three slots, on either worker
hold() {    # hold NAME: a connection that sent one request and stays open
    spawn "$1" "$HC" -t 20000 "127.0.0.1:$P_WEB" 'send=GET /len/1 HTTP/1.1\r\nHost: x\r\n\r\n' expect=200 idle=15000
}
for i in 1 2 3; do hold "h$i"; done
held() { [ "$(metric "gateway_listener_connections_active{listener=\"web\"}")" = 3 ]; }
check "three connections are held" wait_until 3000 held
expect_eq "limit_conn 3: a fourth connection gets 429" "$(code "http://127.0.0.1:$P_WEB/x")" 429
check "... with Retry-After" bash -c "curl -s -D - -o /dev/null 'http://127.0.0.1:$P_WEB/x' | grep -qi '^Retry-After: 1'"
check "... logged at info" has_line "$EL" '\[info\] .*limiting connections by limit_conn'
check "... and in the access log" has_line "$T/web.log" '"GET /x HTTP/1.1" 429 '
expect_eq "another address has its own count" \
    "$(code --interface 127.0.0.2 "http://127.0.0.1:$P_WEB/x")" 200
stop_pids "${PID[h1]}"
freed() { [ "$(code "http://127.0.0.1:$P_WEB/x")" = 200 ]; }
check "a closed connection gives its slot back" wait_until 3000 freed
check "refusals are counted (reason limit)" \
    test "$(metric "gateway_listener_refused_total{listener=\"web\",reason=\"limit\"}")" -ge 2
stop_pids "${PID[h2]}" "${PID[h3]}"

# ---- limit_req (http) ----------------------------------------------------------------
codes=""
for i in $(seq 8); do codes="$codes$(code "http://127.0.0.1:$P_RATE/x") "; done
ok_n=$(grep -o 200 <<<"$codes" | wc -l)
no_n=$(grep -o 429 <<<"$codes" | wc -l)
# 1 + burst 4 at once, and a request refilled each 500 ms while we ran
check "limit_req 2r/s burst=4: the first 5 pass ($codes)" test "${codes:0:20}" = "200 200 200 200 200 "
check "... past the burst 429 ($codes)" test "$no_n" -ge 1 -a $((ok_n + no_n)) -eq 8
check "... logged" has_line "$EL" 'limiting requests by limit_req'
refilled() { [ "$(code "http://127.0.0.1:$P_RATE/x")" = 200 ]; }
check "the bucket refills at the rate" wait_until 2000 refilled
expect_eq "another address has its own bucket" \
    "$(code --interface 127.0.0.2 "http://127.0.0.1:$P_RATE/x")" 200
# one keep-alive connection: requests past the rate are refused on it too
out=$("$HC" -t 3000 "127.0.0.1:$P_RATE" \
    "send=GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\nGET /d HTTP/1.1\r\nHost: x\r\n\r\nGET /e HTTP/1.1\r\nHost: x\r\n\r\nGET /f HTTP/1.1\r\nHost: x\r\n\r\nGET /g HTTP/1.1\r\nHost: x\r\n\r\n" read 2>/dev/null | tr -d '\r')
check "pipelined requests past the rate: 429 then the connection closes" \
    grep -q "^HTTP/1.1 429 Too Many Requests" <<<"$out"

# ---- tcp ---------------------------------------------------------------------------------
spawn t1 "$TC" -t 15000 idle "127.0.0.1:$P_TCP" 12000
spawn t2 "$TC" -t 15000 idle "127.0.0.1:$P_TCP" 12000
theld() { [ "$(metric "gateway_listener_connections_active{listener=\"tun\"}")" = 2 ]; }
check "two tcp sessions are held" wait_until 3000 theld
# closed unread: a FIN, or a reset when "ping" was already in the socket; never a timeout
out=$("$TC" -t 3000 -s "ping" read "127.0.0.1:$P_TCP" 2>"$T/tc.err")
closed_clean() { [ -z "$out" ] && { [ ! -s "$T/tc.err" ] || grep -q "reset by peer" "$T/tc.err"; }; }
check "tcp limit_conn 2: a third is closed without a byte" closed_clean
check "... logged 429" has_line "$T/tcp.log" '" 429 0 0 '
stop_pids "${PID[t1]}"
tfree() { [ "$("$TC" -t 3000 -s "ping" read "127.0.0.1:$P_TCP" 2>/dev/null)" = ping ]; }
check "... served again once one closes" wait_until 3000 tfree
stop_pids "${PID[t2]}"
t_ok=0
for i in 1 2 3 4; do
    [ "$("$TC" -t 3000 -s "p" read "127.0.0.1:$P_TRATE" 2>/dev/null)" = p ] && t_ok=$((t_ok + 1))
done
check "tcp limit_req 60r/m burst=1: 2 sessions pass, then close ($t_ok of 4)" test "$t_ok" -eq 2

# ---- -t --------------------------------------------------------------------------------
bad() {
    sed "s|limit_req 2r/s burst=4;|$1|" "$CONF" >"$T/bad.conf"
    "$GW" -t -c "$T/bad.conf" >"$T/bad.out" 2>&1 && return 1
    grep -qE -- "$2" "$T/bad.out"
}
check "-t: a rate without r/s or r/m" bad "limit_req 10;" 'invalid value "10"'
check "-t: a rate of 0" bad "limit_req 0r/s;" 'invalid value "0r/s"'
check "-t: a bad burst" bad "limit_req 1r/s burst=x;" 'invalid parameter "burst=x"'
check "-T prints both" bash -c "'$GW' -T -c '$CONF' 2>/dev/null | grep -q 'limit_req 2r/s burst=4;' && '$GW' -T -c '$CONF' 2>/dev/null | grep -q 'limit_conn 3;'"
gw_stop QUIT
