#!/usr/bin/env bash
# udp_responses: a session ends after N replies. With 1, the access log line
# comes right after the reply (not at idle_timeout) and the client's next
# datagram opens a new session with a new upstream socket; with 2 and a
# server that replies 3 times, the client gets exactly 2; with the default
# (0, any), all 3.
. "$(dirname "$0")/lib.sh"

read -r P_ONE P_TWO P_ANY P_UP P_UP3 P_CLI < <(udp_ports 6)
udp_backend up -m echo "127.0.0.1:$P_UP"
udp_backend up3 -m echo -r 3 "127.0.0.1:$P_UP3"
write_conf <<EOF
$MAIN
listener one {
    listen 127.0.0.1:$P_ONE;
    handler udp;
    proxy_pass 127.0.0.1:$P_UP;
    udp_responses 1;
    access_log $T/one.log;
}
listener two {
    listen 127.0.0.1:$P_TWO;
    handler udp;
    proxy_pass 127.0.0.1:$P_UP3;
    udp_responses 2;
    access_log $T/two.log;
}
listener any {
    listen 127.0.0.1:$P_ANY;
    handler udp;
    proxy_pass 127.0.0.1:$P_UP3;
    idle_timeout 300ms;
}
EOF
gw_start_udp "127.0.0.1:$P_ONE"
wait_log "$T/one.log" . 1000 || not_ok "the probe's session ends at its reply" "no access log line"
base=$(udp_sources up)

# udp_responses 1
out=$("$UC" -p "$P_CLI" send "127.0.0.1:$P_ONE" first 2>&1)
t0=$(now_ms)
expect_eq "udp_responses 1: the reply arrives" "first" "$out"
if wait_log "$T/one.log" "^127\.0\.0\.1:$P_CLI " 500; then
    ok "udp_responses 1: the session is logged right after the reply ($(($(now_ms) - t0)) ms; idle_timeout is 60s)"
else
    not_ok "udp_responses 1: the session is logged right after the reply" "no line within 500 ms"
fi
line=$(grep "^127\.0\.0\.1:$P_CLI " "$T/one.log")
re=" one udp \"127\.0\.0\.1:$P_UP\" 200 5 5 0\.[0-9]{3} 127\.0\.0\.1:$P_UP 1 1\$"
[[ "$line" =~ $re ]] && ok "udp_responses 1: access log line: 200, 1 datagram each way" \
    || not_ok "udp_responses 1: access log line: 200, 1 datagram each way" "line: $line"

out=$("$UC" -p "$P_CLI" send "127.0.0.1:$P_ONE" second 2>&1)
expect_eq "udp_responses 1: the same client's next datagram is answered" "second" "$out"
expect_eq "udp_responses 1: ... through a new session (new upstream source port)" \
    $((base + 2)) "$(udp_sources up)"
two_lines() { [ "$(grep -c "^127\.0\.0\.1:$P_CLI " "$T/one.log")" -eq 2 ]; }
check "udp_responses 1: ... which is logged on its own" wait_until 500 two_lines

# one socket, 5 datagrams in a row: 5 sessions, each answered
out=$("$UC" send "127.0.0.1:$P_ONE" 1 2 3 4 5 2>&1)
expect_eq "udp_responses 1: 5 datagrams in a row from one socket, 5 replies" \
    "1 2 3 4 5" "$(echo $out)"
expect_eq "udp_responses 1: ... over 5 sessions" $((base + 7)) "$(udp_sources up)"

# udp_responses 2, the server replies 3 times at once
out=$("$UC" collect "127.0.0.1:$P_TWO" 300 x 2>&1)
expect_eq "udp_responses 2 with 3 replies from the server: exactly 2 reach the client" \
    "x
x
replies 2" "$out"
if wait_log "$T/two.log" . 500; then
    line=$(last_line "$T/two.log")
    re=" two udp \"127\.0\.0\.1:$P_UP3\" 200 2 1 [0-9.]+ 127\.0\.0\.1:$P_UP3 2 1\$"
    [[ "$line" =~ $re ]] && ok "udp_responses 2: access log: 2 datagrams to the client, 1 from it" \
        || not_ok "udp_responses 2: access log: 2 datagrams to the client, 1 from it" "line: $line"
else
    not_ok "udp_responses 2: the session ends after its second reply" "no access log line"
fi

# default: every reply
out=$("$UC" collect "127.0.0.1:$P_ANY" 300 y 2>&1)
expect_eq "no udp_responses: all 3 replies reach the client" "y
y
y
replies 3" "$out"
