#!/usr/bin/env bash
# http_reverse answers of its own when the upstream fails: 502 when the
# origin is down (connection refused) or answers garbage, 504 when it is
# slower than read_timeout, 504 when the connect hangs (a blackholed
# address) past connect_timeout; an origin that stalls mid-body gets the
# client closed after read_timeout (a short body, never a second status);
# each in the access log; the client connection survives our 502/504
# when it can (keep-alive) and the worker never dies.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_O P_DEAD P_HOLE P_JUNK < <(ports 5)
origin o "127.0.0.1:$P_O"
spawn hole "$TC" blackhole "127.0.0.1:$P_HOLE"
wait_log "$T/hole.out" '^ready' 3000 || bail "blackhole listener" "$(cat "$T/hole.out")"
backend junk hello "127.0.0.1:$P_JUNK"
write_conf <<EOF
$MAIN
listener web {
    listen 127.0.0.1:$P_GW;
    handler http_reverse;
    proxy_pass 127.0.0.1:$P_O;
    read_timeout 500ms;
    connect_timeout 500ms;
    access_log $T/access.log;
    location /dead/ { proxy_pass 127.0.0.1:$P_DEAD; }
    location /hole/ { proxy_pass 127.0.0.1:$P_HOLE; }
    location /junk/ { proxy_pass 127.0.0.1:$P_JUNK; }
}
EOF
gw_start "$P_GW"
U="http://127.0.0.1:$P_GW"
w=$(gw_pid_worker)

# timed NAME PATH WANT_CODE MIN_MS MAX_MS
timed() {
    local t0 code ms
    t0=$(now_ms)
    code=$(hget -o /dev/null -w '%{http_code}' "$U$2")
    ms=$(($(now_ms) - t0))
    if [ "$code" = "$3" ] && [ $ms -ge "$4" ] && [ $ms -le "$5" ]; then
        ok "$1"
    else
        not_ok "$1" "got $code after $ms ms (wanted $3 within $4..$5 ms)"
    fi
    wait_log "$T/access.log" "\"GET ${2//\?/\\?} HTTP/1.1\" " 2000
    line=$(grep -F "\"GET $2 HTTP/1.1\"" "$T/access.log" | tail -n 1)
    if [[ "$line" == *"\" $3 "* ]]; then
        ok "$1: access log $3"
    else
        not_ok "$1: access log $3" "line: '$line'"
    fi
}

timed "origin down: 502 at once" /dead/x 502 0 1000
check "origin down: the error log says connect() failed" \
    has_line "$T/error.log" "connect\(\) failed.*127\.0\.0\.1:$P_DEAD"
timed "origin answers garbage: 502" /junk/x 502 0 1000
timed "origin slower than read_timeout: 504 after it" /delay/3000 504 400 1500
t0=$(now_ms)
code=$(hget -o /dev/null -w '%{http_code}' -d x "$U/delay/3000")
ms=$(($(now_ms) - t0))
if [ "$code" = 504 ] && [ $ms -ge 400 ] && [ $ms -le 1500 ]; then
    ok "a POST slower than read_timeout: 504 after it"
else
    not_ok "a POST slower than read_timeout: 504 after it" "got $code after $ms ms"
fi
timed "blackholed connect: 504 after connect_timeout" /hole/x 504 400 1500
timed "an origin within read_timeout: 200" /delay/200 200 150 1000

# keep-alive survives our own 502 and 504
out=$("$HC" -t 3000 "127.0.0.1:$P_GW" \
    'send=GET /dead/a HTTP/1.1\r\nHost: x\r\n\r\n' 'expect=HTTP/1.1 502' 'expect=\n502 Bad Gateway\n' \
    'send=GET /hole/a HTTP/1.1\r\nHost: x\r\n\r\n' 'expect=HTTP/1.1 504' \
    'send=GET /fine HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' 'expect=o /fine' read 2>&1)
expect_eq "one connection: 502 (refused), then 504 (connect timeout), then 200" 0 "$?"

# ---- an origin stalling mid-body ------------------------------------------------------------------
t0=$(now_ms)
res=$(hget -o "$T/stall.bin" -w '%{http_code} %{size_download}' "$U/stall/10000")
rc=$?
ms=$(($(now_ms) - t0))
if [ "$res" = "200 10000" ] && [ $rc -ne 0 ] && [ $ms -ge 400 ] && [ $ms -le 2000 ]; then
    ok "an origin stalling mid-body: the client gets what came, then the close after read_timeout"
else
    not_ok "an origin stalling mid-body: the client gets what came, then the close after read_timeout" \
        "curl exit $rc, '$res' after $ms ms"
fi
check "the stalled body so far is intact" \
    test "$(sha256sum <"$T/stall.bin" | cut -d' ' -f1)" = "$(pattern_sha 10000)"

check "the worker survived (same pid)" test "$(gw_pid_worker)" = "$w"
check "a normal request still works" http_served "$U/last" "o /last"
