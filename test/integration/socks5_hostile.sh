#!/usr/bin/env bash
# socks5 against hostile clients: garbage at each stage of the handshake
# (another version, no methods, a bad auth version, an empty user, a
# request of another version, a zero-length or NUL-holding name, an
# unknown address type), truncated handshakes, a handshake that stops
# halfway (closed by header_timeout), a client that sends the whole
# handshake and never reads, and bursts of all of it: each connection is
# closed on its own, a tunnel opened before keeps working, new clients are
# served, the worker never dies.
. "$(dirname "$0")/lib.sh"

read -r P_S P_A P_E < <(ports 3)
backend echo echo "127.0.0.1:$P_E"
write_conf <<EOF2
$MAIN
listener socks {
    listen 127.0.0.1:$P_S;
    handler socks5;
    header_timeout 1s;
    access_log $T/access.log;
}
listener locked {
    listen 127.0.0.1:$P_A;
    handler socks5;
    header_timeout 1s;
    auth u:p;
}
EOF2
gw_start "$P_S" "$P_A"
W0=$(gw_pid_worker)
S5="$BK/socks5_client"
A="127.0.0.1:$P_S"
PB=$(printf '\\x%02x\\x%02x' $((P_E >> 8)) $((P_E & 255)))

spawn steady "$S5" -t 15000 "$A" connect 127.0.0.1 "$P_E" echo=100 sleep=5000 echo=100

# raw PORT TEXT: what came back (hex) and how it ended
raw() {
    "$S5" -t 2000 "127.0.0.1:$1" raw "$2" 2>&1 | tr '\n' ' '
}
expect_eq "version 4 greeting: closed, nothing sent" "raw 0" "$(raw "$P_S" '\x04\x01\x00\x50\x7f\x00\x00\x01\x00'; echo $?)"
expect_eq "no methods: closed" "raw 0" "$(raw "$P_S" '\x05\x00'; echo $?)"
expect_eq "request of version 4: reply 01, closed" "raw 050005010001000000000000 0" \
    "$(raw "$P_S" '\x05\x01\x00\x04\x01\x00\x01\x7f\x00\x00\x01\x00\x50' | sed 's/ $//'; echo " $?")"
expect_eq "a zero-length name: reply 01" "raw 050005010001000000000000 0" \
    "$(raw "$P_S" '\x05\x01\x00\x05\x01\x00\x03\x00\x00\x50' | sed 's/ $//'; echo " $?")"
expect_eq "a name holding a NUL: reply 01" "raw 050005010001000000000000 0" \
    "$(raw "$P_S" '\x05\x01\x00\x05\x01\x00\x03\x03a\x00b\x00\x50' | sed 's/ $//'; echo " $?")"
expect_eq "an unknown address type: reply 08" "raw 050005080001000000000000 0" \
    "$(raw "$P_S" '\x05\x01\x00\x05\x01\x00\x09\x7f\x00\x00\x01\x00\x50' | sed 's/ $//'; echo " $?")"
expect_eq "auth of version 2: closed after the method" "raw 0502 0" \
    "$(raw "$P_A" '\x05\x01\x02\x02\x01u\x01p' | sed 's/ $//'; echo " $?")"
expect_eq "auth with an empty user: closed" "raw 0502 0" \
    "$(raw "$P_A" '\x05\x01\x02\x01\x00\x01p' | sed 's/ $//'; echo " $?")"
check "every garbage case is logged 400" test "$(grep -c '" 400 ' "$T/access.log")" -ge 5

# a handshake that stops halfway: closed by header_timeout
for half in '\x05' '\x05\x02\x00' '\x05\x01\x00\x05\x01\x00\x03\x10abc'; do
    t0=$(now_ms)
    out=$("$S5" -t 3000 "$A" raw "$half" 2>&1)
    rc=$?
    ms=$(($(now_ms) - t0))
    if [ $rc -eq 0 ] && [ $ms -ge 900 ] && [ $ms -lt 2500 ]; then
        ok "a handshake stopped halfway ($half): closed by header_timeout"
    else
        not_ok "a handshake stopped halfway ($half): closed by header_timeout" "rc $rc after $ms ms"
    fi
done
check "... logged 408" grep -q '" 408 ' "$T/access.log"

# bursts: garbage, truncation, early closes, a client that never reads
for i in $(seq 30); do
    burst=()
    "$S5" -t 200 "$A" raw '\x05\x01\x00\x05\x01\x00\x01\x7f' >/dev/null 2>&1 &
    burst+=($!)
    "$S5" -t 200 "$A" raw "$(head -c 40 /dev/urandom | od -An -tx1 | tr -d ' \n' | sed 's/../\\x&/g')" >/dev/null 2>&1 &
    burst+=($!)
    "$HC" -t 200 "$A" "send=\\x05\\x01\\x00\\x05\\x01\\x00\\x01\\x7f\\x00\\x00\\x01$PB$(head -c 3000 /dev/zero | tr '\0' 'z')" >/dev/null 2>&1 &
    burst+=($!)
    wait "${burst[@]}"
done
ok "90 hostile connections sent"

out=$("$S5" -t 3000 "$A" connect 127.0.0.1 "$P_E" echo=5000 2>&1)
check "a new client is served after all that" test $? -eq 0
wait_gone "${PID[steady]}" 10000
wait "${PID[steady]}"
check "a tunnel opened before it all still works after it" test $? -eq 0
expect_eq "the worker never died" "$W0" "$(gw_pid_worker)"
