#!/usr/bin/env bash
# socks5 CONNECT with curl (--socks5 by IPv4 and IPv6, --socks5-hostname by
# name) and raw bytes: requests and 1 MB both ways through the tunnel, the
# greeting, request and first payload bytes in one write, half-close
# passed on, idle_timeout; failures mapped to reply codes: refused 0x05,
# no such name 0x04, a connect that hangs 0x06 after connect_timeout, an
# unknown command 0x07, an unknown address type 0x08; one access log line
# per session with the command, destination, bytes, user and reply code.
. "$(dirname "$0")/lib.sh"

read -r P_S P_O P_O6 P_C P_DEAD P_BH P_F < <(ports 7)
origin o "127.0.0.1:$P_O"
origin o6 "[::1]:$P_O6"
backend count count "127.0.0.1:$P_C"
spawn bh "$BK/blackhole" "127.0.0.1:$P_BH"
wait_log "$T/bh.out" '^ready' 3000 || bail "blackhole starts" "$(cat "$T/bh.out")"
write_conf <<EOF
$MAIN
listener socks {
    listen 127.0.0.1:$P_S;
    listen [::1]:$P_S;
    handler socks5;
    connect_timeout 500ms;
    idle_timeout 700ms;
    access_log $T/access.log;
}
listener fenced {
    listen 127.0.0.1:$P_F;
    handler socks5;
    deny_to 127.0.0.0/8;
    deny_to ::1;
    access_log $T/access.log;
}
EOF
gw_start "$P_S" "$P_F"
W0=$(gw_pid_worker)
A="127.0.0.1:$P_S"

# \xHH\xHH of a port, for raw requests
port_bytes() {
    printf '\\x%02x\\x%02x' $(($1 >> 8)) $(($1 & 255))
}
GREET='\x05\x01\x00'
req_v4() {      # PORT: CONNECT 127.0.0.1:PORT
    printf '\\x05\\x01\\x00\\x01\\x7f\\x00\\x00\\x01%s' "$(port_bytes "$1")"
}
# rep LOG_REGEX: the reply code of the last access log line matching it
rep_of() {
    grep -E "$1" "$T/access.log" | tail -n 1 | awk '{ print $NF }'
}

# ---- curl ---------------------------------------------------------------------------------
out=$(hget --socks5 "$A" "http://127.0.0.1:$P_O/v4")
expect_eq "curl --socks5: CONNECT by IPv4" "o /v4" "$out"
out=$(hget --socks5-hostname "$A" "http://localhost:$P_O/name")
expect_eq "curl --socks5-hostname: CONNECT by name (/etc/hosts)" "o /name" "$out"
out=$(hget --socks5 "$A" "http://[::1]:$P_O6/v6")
expect_eq "curl --socks5: CONNECT by IPv6" "o6 /v6" "$out"
out=$(hget --socks5-hostname "[::1]:$P_S" "http://localhost:$P_O/over6")
expect_eq "a client on the IPv6 listen address" "o /over6" "$out"
wait_until 2000 lines_over "$T/access.log" 3
line=$(grep 'CONNECT localhost' "$T/access.log" | head -n 1)
if [[ "$line" =~ ^127\.0\.0\.1:[0-9]+\ \[.*\]\ socks\ socks5\ \"CONNECT\ localhost:$P_O\"\ 200\ [0-9]+\ [0-9]+\ [0-9.]+\ 127\.0\.0\.1:$P_O\ -\ 00$ ]]; then
    ok "access log: command, destination, bytes, origin, no user, reply 00"
else
    not_ok "access log: command, destination, bytes, origin, no user, reply 00" "$line"
fi
check "access log: an IPv6 destination in brackets" grep -q "\"CONNECT \[::1\]:$P_O6\" 200 " "$T/access.log"

want=$(pattern_sha 1000000)
got=$(hget --socks5 "$A" "http://127.0.0.1:$P_O/len/1000000" | sha256sum | cut -d' ' -f1)
expect_eq "1 MB download through the tunnel" "$want" "$got"
head -c 300000 /dev/urandom >"$T/up.bin"
want=$(sha256sum <"$T/up.bin" | cut -d' ' -f1)
got=$(hget --socks5 "$A" --data-binary @"$T/up.bin" "http://127.0.0.1:$P_O/echo" | sha256sum | cut -d' ' -f1)
expect_eq "300 kB upload echoed through the tunnel" "$want" "$got"

# ---- raw: everything in one write, half-close -----------------------------------------------
out=$("$HC" -t 3000 "$A" "send=$GREET$(req_v4 "$P_C")hello" shut read 2>/dev/null | od -An -tx1 | tr -d ' \n')
# 05 00 (method), 05 00 00 01 127.0.0.1 PORT (reply: the upstream socket's
# address), then "5\n" from the count backend
if [[ "$out" =~ ^0500050000017f000001[0-9a-f]{4}350a$ ]]; then
    ok "greeting, request and payload in one write, then a FIN: method 00, reply 00, the payload and FIN passed on"
else
    not_ok "greeting, request and payload in one write, then a FIN: method 00, reply 00, the payload and FIN passed on" "$out"
fi
out=$("$HC" -t 5000 "$A" "slow=1:$GREET$(req_v4 "$P_C")abc" shut read 2>/dev/null | tail -c 2)
expect_eq "the same one byte at a time" "3" "$(tr -d '\n' <<<"$out")"

# ---- idle_timeout ------------------------------------------------------------------------------
t0=$(now_ms)
"$HC" -t 5000 "$A" "send=$GREET$(req_v4 "$P_O")" idle=3000 >/dev/null 2>&1
ms=$(($(now_ms) - t0))
if [ $ms -ge 600 ] && [ $ms -le 2500 ]; then
    ok "an idle tunnel is closed after idle_timeout"
else
    not_ok "an idle tunnel is closed after idle_timeout" "after $ms ms"
fi

# ---- failures --------------------------------------------------------------------------------------
# raw_reply REQUEST_BYTES: the reply bytes (after the method answer), hex
raw_reply() {
    "$HC" -t 3000 "$A" "send=$GREET$1" read 2>/dev/null | od -An -tx1 | tr -d ' \n' | cut -c5-
}
got=$(raw_reply "$(req_v4 "$P_DEAD")")
expect_eq "refused: reply 05" "0505000100000000" "${got:0:16}"
check "refused: logged 502 with reply 05" test "$(rep_of "CONNECT 127.0.0.1:$P_DEAD\" 502 ")" = 05
t0=$(now_ms)
got=$(raw_reply "$(req_v4 "$P_BH")")
ms=$(($(now_ms) - t0))
if [ "${got:0:4}" = 0506 ] && [ $ms -ge 450 ] && [ $ms -lt 2500 ]; then
    ok "a connect that hangs: reply 06 after connect_timeout"
else
    not_ok "a connect that hangs: reply 06 after connect_timeout" "$got after $ms ms"
fi
check "... logged 504 with reply 06" test "$(rep_of "CONNECT 127.0.0.1:$P_BH\" 504 ")" = 06
out=$(curl -s -m 5 --socks5-hostname "$A" "http://no-such-name.invalid/" -o /dev/null -w '%{http_code}')
check "no such name: reply 04 in the log" test "$(rep_of 'no-such-name\.invalid')" = 04
got=$(raw_reply "\\x05\\x09\\x00\\x01\\x7f\\x00\\x00\\x01$(port_bytes "$P_O")")
expect_eq "an unknown command: reply 07" 0507 "${got:0:4}"
got=$(raw_reply '\x05\x01\x00\x07\x7f\x00\x00\x01\x00\x50')
expect_eq "an unknown address type: reply 08" 0508 "${got:0:4}"
check "unknown command and type: logged 400" test "$(grep -c '" 400 ' "$T/access.log")" -ge 2

# destination rules
conns=$(origin_conns o)
out=$("$BK/socks5_client" -t 3000 "127.0.0.1:$P_F" connect 127.0.0.1 "$P_O" 2>&1)
expect_eq "deny_to: a refused destination gets reply 02" "reply 02 0.0.0.0:0" "$(grep '^reply' <<<"$out")"
out=$("$BK/socks5_client" -t 3000 "127.0.0.1:$P_F" connect localhost "$P_O" 2>&1)
expect_eq "deny_to: a name whose every address is refused: reply 02" "reply 02 0.0.0.0:0" "$(grep '^reply' <<<"$out")"
check "... logged 403 with reply 02" test "$(grep -c '" 403 .* 02$' "$T/access.log")" -eq 2
expect_eq "... nothing reached the origin" "$conns" "$(origin_conns o)"

expect_eq "the worker never died" "$W0" "$(gw_pid_worker)"
