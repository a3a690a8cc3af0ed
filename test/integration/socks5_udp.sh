#!/usr/bin/env bash
# socks5 UDP ASSOCIATE: datagrams to a UDP echo server by IP and by name
# come back with the header naming their source; several in a row; one
# byte at a time handshake and a pipelined one; fragments (FRAG != 0) are
# dropped; the association ends when its TCP connection closes and after
# idle_timeout; deny_to drops datagrams to a refused destination; the
# access log counts payload bytes.
. "$(dirname "$0")/lib.sh"

read -r P_S P_U P_DENY < <(udp_ports 3)
udp_backend echo -m echo "127.0.0.1:$P_U"
write_conf <<EOF2
$MAIN
listener socks {
    listen 127.0.0.1:$P_S;
    handler socks5;
    idle_timeout 1s;
    access_log $T/access.log;
}
listener fenced {
    listen 127.0.0.1:$P_DENY;
    handler socks5;
    deny_to 127.0.0.1;
    access_log $T/access.log;
}
EOF2
gw_start "$P_S" "$P_DENY"
W0=$(gw_pid_worker)
S5="$BK/socks5_client"
A="127.0.0.1:$P_S"

out=$("$S5" -t 3000 "$A" udp 127.0.0.1 "$P_U" hello 2>&1)
rc=$?
expect_eq "UDP ASSOCIATE by IP: the reply from the echo server, named in its header" \
    "0 udp-reply 127.0.0.1:$P_U 7 hello-1" "$rc $(grep '^udp-reply' <<<"$out")"
check "... the relay is on the address the client reached" grep -qE '^reply 00 127\.0\.0\.1:[0-9]+$' <<<"$out"
out=$("$S5" -t 3000 "$A" udp localhost "$P_U" byname 5 2>&1)
expect_eq "UDP ASSOCIATE by name (localhost): five round trips" "0 5" "$? $(grep -c '^udp-reply 127.0.0.1' <<<"$out")"
out=$("$S5" -t 3000 -p "$A" udp 127.0.0.1 "$P_U" piped 2>&1)
check "pipelined ASSOCIATE request" test $? -eq 0
out=$("$S5" -t 5000 -s 1 "$A" udp 127.0.0.1 "$P_U" slow 2>&1)
check "the ASSOCIATE request one byte at a time" test $? -eq 0
out=$("$S5" -t 800 -F "$A" udp 127.0.0.1 "$P_U" frag 3 2>&1)
check "fragments (FRAG 1) are dropped" test $? -eq 0
big=$(head -c 1400 /dev/zero | tr '\0' 'x')
out=$("$S5" -t 3000 "$A" udp 127.0.0.1 "$P_U" "$big" 2>&1)
check "a 1400-byte datagram both ways" test $? -eq 0
wait_until 3000 has_line "$T/access.log" '"UDP_ASSOCIATE 0\.0\.0\.0:0" 200 14[0-9][0-9] 14[0-9][0-9] '
line=$(grep -E '"UDP_ASSOCIATE 0\.0\.0\.0:0" 200 14' "$T/access.log" | tail -n 1)
if [[ "$line" =~ \"UDP_ASSOCIATE\ 0\.0\.0\.0:0\"\ 200\ ([0-9]+)\ ([0-9]+)\  ]] \
    && [ "${BASH_REMATCH[1]}" -ge 1402 ] && [ "${BASH_REMATCH[2]}" -ge 1402 ]; then
    ok "access log: the association's payload bytes each way, reply 00"
else
    not_ok "access log: the association's payload bytes each way, reply 00" "$line"
fi

# the association ends with its TCP connection, or when idle
n=$(count_lines "$T/access.log")
"$S5" -t 300 "$A" udp 127.0.0.1 "$P_U" gone >/dev/null 2>&1
check "closing the TCP connection ends the association at once" \
    wait_until 500 lines_over "$T/access.log" "$n"
t0=$(now_ms)
out=$("$S5" -t 3000 "$A" raw '\x05\x01\x00\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00' 2>&1)
rc=$?
ms=$(($(now_ms) - t0))
if [ $rc -eq 0 ] && [ $ms -ge 900 ] && [ $ms -lt 2500 ]; then
    ok "an association without datagrams ends after idle_timeout"
else
    not_ok "an association without datagrams ends after idle_timeout" "rc $rc after $ms ms: $out"
fi

# destination rules apply to each datagram
before=$(udp_stats "127.0.0.1:$P_U" | awk '{print $2}')
out=$("$S5" -t 800 "127.0.0.1:$P_DENY" udp 127.0.0.1 "$P_U" fenced 2>&1)
check "deny_to: a datagram to a refused destination gets no answer" test $? -ne 0
expect_eq "... and never reached it" "$before" "$(udp_stats "127.0.0.1:$P_U" | awk '{print $2}')"

expect_eq "the worker never died" "$W0" "$(gw_pid_worker)"
