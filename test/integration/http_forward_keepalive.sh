#!/usr/bin/env bash
# http_forward keep-alive: one client connection carries requests to two
# origins, one after the other and pipelined in one write, answered in
# order; origin connections are pooled per origin (a second request to an
# origin reuses its connection); a slow origin's answer is not overtaken
# by a fast one pipelined behind it; a CONNECT after keep-alive requests
# on the same connection; keepalive_timeout closes an idle client.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_A P_B < <(ports 3)
origin a "127.0.0.1:$P_A"
origin b "127.0.0.1:$P_B"
write_conf <<EOF
$MAIN
listener fwd {
    listen 127.0.0.1:$P_GW;
    handler http_forward;
    keepalive_timeout 1s;
    access_log $T/access.log;
}
EOF
gw_start "$P_GW"
W0=$(gw_pid_worker)
X="http://127.0.0.1:$P_GW"
A="127.0.0.1:$P_GW"
UA="http://127.0.0.1:$P_A"
UB="http://127.0.0.1:$P_B"

# ---- curl: four requests, two origins, one client connection ----------------------------
out=$(curl -s -m 10 -x "$X" -w '%{http_code} %{num_connects} %{local_port}\n' \
    "$UA/1" "$UB/2" "$UA/3" "$UB/4")
expect_eq "curl: four answers in order from two origins" "a /1|b /2|a /3|b /4" \
    "$(grep -E '^[ab] /' <<<"$out" | paste -sd'|')"
stats=$(grep -E '^[0-9]{3} ' <<<"$out")
expect_eq "curl: one connect in all" 1 "$(awk '{ s += $2 } END { print s }' <<<"$stats")"
expect_eq "curl: one local port" 1 "$(awk '{ print $3 }' <<<"$stats" | sort -u | wc -l)"
expect_eq "origin a: one connection for its two requests (pooled)" 1 "$(origin_ports a)"
expect_eq "origin b: one connection for its two requests (pooled)" 1 "$(origin_ports b)"
wait_until 3000 lines_over "$T/access.log" 3
expect_eq "access log: four lines from one client port" "4 1" \
    "$(count_lines "$T/access.log") $(awk '{ print $1 }' "$T/access.log" | sort -u | wc -l)"

# ---- pipelined in one write -------------------------------------------------------------------
REQS="GET $UA/p1 HTTP/1.1\r\nHost: x\r\n\r\n"
REQS+="GET $UB/p2 HTTP/1.1\r\nHost: x\r\n\r\n"
REQS+="POST $UA/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
REQS+="GET $UB/p4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
out=$("$HC" -t 5000 "$A" "send=$REQS" read 2>&1)
rc=$?
order=$(tr -d '\r' <<<"$out" | grep -oE '^(a /p1|b /p2|hello|b /p4)' | paste -sd'|')
expect_eq "pipelined to two origins: answered in order, then closed" "0 a /p1|b /p2|hello|b /p4" "$rc $order"

# a slow answer first: the fast one behind it waits its turn
REQS="GET $UA/delay/400 HTTP/1.1\r\nHost: x\r\n\r\n"
REQS+="GET $UB/fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
out=$("$HC" -t 5000 "$A" "send=$REQS" read 2>&1)
order=$(tr -d '\r' <<<"$out" | grep -oE '^(delayed|b /fast)' | paste -sd'|')
expect_eq "a slow origin's answer is not overtaken" "delayed|b /fast" "$order"

# one byte at a time, two origins
REQS="GET $UA/s1 HTTP/1.1\r\nHost: x\r\n\r\nGET $UB/s2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
out=$("$HC" -t 8000 "$A" "slow=1:$REQS" read 2>&1)
expect_eq "two requests one byte at a time: both answered" "a /s1|b /s2" \
    "$(tr -d '\r' <<<"$out" | grep -oE '^(a /s1|b /s2)' | paste -sd'|')"

# ---- requests, then CONNECT on the same connection ---------------------------------------------
out=$("$HC" -t 5000 "$A" "send=GET $UA/before HTTP/1.1\r\nHost: x\r\n\r\n" 'expect=a /before' \
    "send=CONNECT 127.0.0.1:$P_B HTTP/1.1\r\n\r\n" 'expect=established\r\n\r\n' \
    'send=GET /inside HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' read 2>&1)
if [[ "$out" == *"a /before"*"200 Connection established"*"b /inside"* ]]; then
    ok "a request, then CONNECT on the same client connection"
else
    not_ok "a request, then CONNECT on the same client connection" "$(tr '\r\n' '||' <<<"$out" | head -c 400)"
fi

# ---- HTTP/1.0 and Proxy-Connection ----------------------------------------------------------------
t0=$(now_ms)
out=$("$HC" -t 3000 "$A" "send=GET $UA/ten HTTP/1.0\r\n\r\n" read 2>&1)
ms=$(($(now_ms) - t0))
if [[ "$out" == *"a /ten"* ]] && [ $ms -lt 900 ]; then
    ok "HTTP/1.0 without keep-alive: answered, then closed"
else
    not_ok "HTTP/1.0 without keep-alive: answered, then closed" "after $ms ms: $(tr '\r\n' '||' <<<"$out")"
fi

# ---- keepalive_timeout -----------------------------------------------------------------------------
t0=$(now_ms)
out=$("$HC" -t 5000 "$A" "send=GET $UA/idle HTTP/1.1\r\nHost: x\r\n\r\n" 'expect=a /idle' idle=4000 2>&1)
rc=$?
ms=$(($(now_ms) - t0))
if [ $rc -eq 0 ] && [ $ms -ge 900 ] && [ $ms -le 2500 ]; then
    ok "an idle keep-alive client is closed after keepalive_timeout"
else
    not_ok "an idle keep-alive client is closed after keepalive_timeout" "rc $rc after $ms ms"
fi

expect_eq "the worker never died" "$W0" "$(gw_pid_worker)"
