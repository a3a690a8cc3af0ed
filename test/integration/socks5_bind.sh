#!/usr/bin/env bash
# socks5 BIND: the first reply names a port on the address the client
# reached us on, the second the peer once it connects, then bytes go both
# ways; a request naming an address takes only a peer from it (a peer
# from 127.0.0.2 is closed and the wait goes on); a peer that never comes:
# reply 06 after connect_timeout; pipelined and byte-at-a-time BIND
# requests; no slot is left behind.
. "$(dirname "$0")/lib.sh"

read -r P_S < <(ports 1)
write_conf <<EOF2
$MAIN
worker_connections 16;
listener socks {
    listen 127.0.0.1:$P_S;
    handler socks5;
    connect_timeout 1s;
    access_log $T/access.log;
}
EOF2
gw_start "$P_S"
W0=$(gw_pid_worker)
S5="$BK/socks5_client"
A="127.0.0.1:$P_S"

out=$("$S5" -t 3000 "$A" bind 2>&1)
rc=$?
if [ $rc -eq 0 ] && [[ "$out" =~ reply\ 00\ 127\.0\.0\.1:[0-9]+ ]] && [[ "$out" =~ reply2\ 00\ 127\.0\.0\.1:[0-9]+ ]]; then
    ok "BIND: a port on our address, then the peer's address, then bytes both ways"
else
    not_ok "BIND: a port on our address, then the peer's address, then bytes both ways" "rc $rc: $(tr '\n' '|' <<<"$out")"
fi
port1=$(sed -nE 's/^reply 00 127\.0\.0\.1:([0-9]+)$/\1/p' <<<"$out")
check "BIND: the port is not the listener's" test "${port1:-0}" != "$P_S"
wait_log "$T/access.log" '"BIND 0\.0\.0\.0:0" 200 ' 2000
check "BIND: logged with reply 00 and the bytes" \
    grep -qE '"BIND 0\.0\.0\.0:0" 200 [0-9]+ [0-9]+ [0-9.]+ .* - 00$' "$T/access.log"

out=$("$S5" -t 3000 "$A" bind 127.0.0.1 0 2>&1)
check "BIND naming 127.0.0.1: a peer from 127.0.0.1 is taken" test $? -eq 0
out=$("$S5" -t 3000 -p "$A" bind 2>&1)
check "BIND pipelined with the greeting" test $? -eq 0
out=$("$S5" -t 5000 -s 1 "$A" bind 2>&1)
check "BIND one byte at a time" test $? -eq 0

# a peer from another address: closed, and the wait goes on until the timeout
t0=$(now_ms)
out=$("$S5" -t 3000 "$A" bind 127.0.0.1 0 -P 127.0.0.2 2>&1)
rc=$?
ms=$(($(now_ms) - t0))
if [ $rc -ne 0 ] && [[ "$out" == *"reply2 06"* ]] && [ $ms -ge 900 ]; then
    ok "BIND naming 127.0.0.1: a peer from 127.0.0.2 is refused; reply 06 at connect_timeout"
else
    not_ok "BIND naming 127.0.0.1: a peer from 127.0.0.2 is refused; reply 06 at connect_timeout" \
        "rc $rc after $ms ms: $(tr '\n' '|' <<<"$out")"
fi
check "... the refused peer is in the error log" has_line "$T/error.log" "BIND: connection from 127\.0\.0\.2"
check "... logged 504 with reply 06" grep -qE '"BIND 127\.0\.0\.1:0" 504 .* 06$' "$T/access.log"

# 20 BINDs in a row: no slot leaks (worker_connections 16 would run out)
good=0
for i in $(seq 20); do
    "$S5" -t 3000 "$A" bind >/dev/null 2>&1 && good=$((good + 1))
done
expect_eq "20 BINDs in a row" 20 "$good"
out=$("$S5" -t 3000 "$A" connect 127.0.0.1 "$P_S" 2>&1 | head -n 2 | tail -n 1)
check "a CONNECT after them (to ourselves)" grep -q '^reply 00' <<<"$out"

expect_eq "the worker never died" "$W0" "$(gw_pid_worker)"
