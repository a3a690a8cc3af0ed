#!/usr/bin/env bash
# udp on wildcard listeners (*:PORT and [::]:PORT): the reply leaves from
# the exact address the client sent to (IP_PKTINFO / IPV6_PKTINFO), so a
# client that sent to 127.0.0.2 hears from 127.0.0.2; one client address
# talking to two of our addresses has two sessions; a specific address
# replies from itself, and next to a wildcard on the same port it gets the
# datagrams sent to it.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_SPEC P_UP P_ID P_CLI < <(udp_ports 5)
udp_backend up -m echo "127.0.0.1:$P_UP"
udp_backend special -m id "127.0.0.1:$P_ID"
write_conf <<EOF
$MAIN
listener wild {
    listen *:$P_GW;
    listen [::]:$P_GW;
    handler udp;
    proxy_pass 127.0.0.1:$P_UP;
    idle_timeout 500ms;
    access_log $T/access.log;
}
listener spec {
    listen 127.0.0.2:$P_SPEC;
    handler udp;
    proxy_pass 127.0.0.1:$P_UP;
}
listener same_port {
    listen 127.0.0.4:$P_GW;
    handler udp;
    proxy_pass 127.0.0.1:$P_ID;
}
EOF
gw_start
wait_until 3000 udp_answers "127.0.0.1:$P_GW" || bail "the wildcard listener answers"

# from TO: the source address of the reply to a datagram sent to TO
from() { "$UC" -t 2000 from "$1" hi 2>&1; }

for a in 127.0.0.1 127.0.0.2 127.0.0.3 127.1.2.3; do
    expect_eq "*:PORT, a client sends to $a: the reply comes from $a" \
        "$a:$P_GW" "$(from "$a:$P_GW")"
done
expect_eq "[::]:PORT, a client sends to ::1: the reply comes from ::1" \
    "[::1]:$P_GW" "$(from "[::1]:$P_GW")"
expect_eq "a specific 127.0.0.2:PORT: the reply comes from it" \
    "127.0.0.2:$P_SPEC" "$(from "127.0.0.2:$P_SPEC")"

out=$("$UC" -t 2000 send "127.0.0.4:$P_GW" x 2>&1)
expect_eq "127.0.0.4:PORT next to *:PORT: datagrams to 127.0.0.4 go to its own listener" \
    "special" "$out"

# one client address, two of our addresses: two sessions, each replying
# from its own address (the client checks that the reply comes from
# where it sent)
base=$(udp_sources up)
out1=$("$UC" -p "$P_CLI" send "127.0.0.1:$P_GW" one 2>&1)
out2=$("$UC" -p "$P_CLI" send "127.0.0.2:$P_GW" two 2>&1)
out3=$("$UC" -p "$P_CLI" send "127.0.0.1:$P_GW" three 2>&1)
expect_eq "one client address to 127.0.0.1, 127.0.0.2, 127.0.0.1: each reply from where it went" \
    "one two three" "$(echo $out1 $out2 $out3)"
expect_eq "... two sessions (one per local address), two upstream sockets" \
    $((base + 2)) "$(udp_sources up)"
two_lines() { [ "$(grep -c "^127\.0\.0\.1:$P_CLI " "$T/access.log")" -eq 2 ]; }
if wait_until 2000 two_lines; then
    ok "... two access log lines for that client address"
    if grep "^127\.0\.0\.1:$P_CLI " "$T/access.log" | grep -q ' 200 8 8 .* 2 2$' \
        && grep "^127\.0\.0\.1:$P_CLI " "$T/access.log" | grep -q ' 200 3 3 .* 1 1$'; then
        ok "... with 2 datagrams for 127.0.0.1 and 1 for 127.0.0.2"
    else
        not_ok "... with 2 datagrams for 127.0.0.1 and 1 for 127.0.0.2" \
            "$(grep "^127\.0\.0\.1:$P_CLI " "$T/access.log")"
    fi
else
    not_ok "... two access log lines for that client address" \
        "$(grep "^127\.0\.0\.1:$P_CLI " "$T/access.log")"
fi

# big datagrams and many in flight keep their source address too
out=$("$UC" -w 4 echo "127.0.0.2:$P_GW" 65507 1400x20 0 2>&1)
expect_eq "to 127.0.0.2: 22 datagrams up to 65,507 bytes, all replies from 127.0.0.2" \
    "echo: 22 ok" "$out"
out=$("$UC" -w 4 echo "[::1]:$P_GW" 65507 1400x20 0 2>&1)
expect_eq "to [::1]: 22 datagrams up to 65,507 bytes, all replies from ::1" \
    "echo: 22 ok" "$out"
