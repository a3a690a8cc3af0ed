#!/usr/bin/env bash
# http_forward CONNECT: "200 Connection established" once the origin is
# connected, then a tunnel (curl -p, 1 MB both ways byte for byte, bytes
# the client pipelined behind its CONNECT head not lost, half-close passed
# on, idle_timeout); refused: 502; a connect that hangs: 504 after
# connect_timeout; a bad authority: 400; one access log line per tunnel
# with the bytes each way.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_O P_E P_DEAD P_BH < <(ports 5)
origin o "127.0.0.1:$P_O"
backend echo echo "127.0.0.1:$P_E"
spawn bh "$BK/blackhole" "127.0.0.1:$P_BH"
wait_log "$T/bh.out" '^ready' 3000 || bail "blackhole starts" "$(cat "$T/bh.out")"
write_conf <<EOF
$MAIN
listener fwd {
    listen 127.0.0.1:$P_GW;
    handler http_forward;
    connect_timeout 500ms;
    idle_timeout 700ms;
    access_log $T/access.log;
}
EOF
gw_start "$P_GW"
W0=$(gw_pid_worker)
X="http://127.0.0.1:$P_GW"
A="127.0.0.1:$P_GW"
OK200='HTTP/1.1 200 Connection established'

# ---- curl -p: CONNECT, then HTTP inside the tunnel ----------------------------------------
out=$(hget -p -x "$X" "http://127.0.0.1:$P_O/inside")
expect_eq "curl -p: a request through the tunnel" "o /inside" "$out"
r=$(last_req o)
if [[ "$r" == *'via=[-]'* && "$r" == *'xff=[-]'* ]]; then
    ok "the tunnel carries the client's bytes untouched (no Via, no X-Forwarded-For)"
else
    not_ok "the tunnel carries the client's bytes untouched (no Via, no X-Forwarded-For)" "$r"
fi
wait_log "$T/access.log" '"CONNECT ' 3000
line=$(grep '"CONNECT ' "$T/access.log" | tail -n 1)
if [[ "$line" =~ \ fwd\ http_forward\ \"CONNECT\ 127\.0\.0\.1:$P_O\ HTTP/1\.1\"\ 200\ ([0-9]+)\ ([0-9]+)\ [0-9.]+\ 127\.0\.0\.1:$P_O ]] \
    && [ "${BASH_REMATCH[1]}" -gt 39 ] && [ "${BASH_REMATCH[2]}" -gt 60 ]; then
    ok "one access log line for the tunnel, with the bytes each way and the origin"
else
    not_ok "one access log line for the tunnel, with the bytes each way and the origin" "$line"
fi

# ---- bytes pipelined behind the CONNECT head ----------------------------------------------------
out=$("$HC" -t 3000 "$A" "send=CONNECT 127.0.0.1:$P_E HTTP/1.1\r\nHost: 127.0.0.1:$P_E\r\n\r\nearly-bytes" \
    'expect=early-bytes' 2>&1)
rc=$?
if [ $rc -eq 0 ] && [[ "$out" == "$OK200"$'\r\n\r\n'early-bytes* ]]; then
    ok "bytes sent with the CONNECT head: the 200 first, then they come back through the tunnel"
else
    not_ok "bytes sent with the CONNECT head: the 200 first, then they come back through the tunnel" \
        "rc $rc: $(head -c 300 <<<"$out" | tr '\r\n' '||')"
fi
out=$("$HC" -t 3000 "$A" "send=CONNECT 127.0.0.1:$P_O HTTP/1.1\r\n\r\nGET /pipelined HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" \
    read 2>&1)
if [[ "$out" == "$OK200"* && "$out" == *"o /pipelined"* ]]; then
    ok "a request pipelined behind CONNECT reaches the origin through the tunnel"
else
    not_ok "a request pipelined behind CONNECT reaches the origin through the tunnel" \
        "$(head -c 300 <<<"$out" | tr '\r\n' '||')"
fi
# the CONNECT head and its bytes one at a time
out=$("$HC" -t 5000 "$A" "slow=1:CONNECT 127.0.0.1:$P_E HTTP/1.1\r\n\r\nxyz" 'expect=xyz' 2>&1)
check "CONNECT sent one byte at a time" test $? -eq 0

# ---- bulk both ways, half-close --------------------------------------------------------------------
head -c 1000000 /dev/urandom >"$T/mb.bin"
want=$(sha256sum <"$T/mb.bin" | cut -d' ' -f1)
"$HC" -t 10000 "$A" "send=CONNECT 127.0.0.1:$P_E HTTP/1.1\r\n\r\n" "expect=\r\n\r\n" \
    "file=$T/mb.bin" shut read >"$T/tun.out" 2>"$T/tun.err"
rc=$?
got=$(tail -c +40 "$T/tun.out" | sha256sum | cut -d' ' -f1)
if [ $rc -eq 0 ] && [ "$got" = "$want" ] && [ "$(head -c 39 "$T/tun.out" | tr -d '\r\n')" = "$OK200" ]; then
    ok "1 MB through the tunnel and back, byte for byte; the FIN passed on, then closed"
else
    not_ok "1 MB through the tunnel and back, byte for byte; the FIN passed on, then closed" \
        "rc $rc, $(stat -c %s "$T/tun.out") bytes back: $(cat "$T/tun.err")"
fi
# a download: the 1 MB body of the origin through curl -p
got=$(hget -p -x "$X" "http://127.0.0.1:$P_O/len/1000000" | sha256sum | cut -d' ' -f1)
expect_eq "curl -p: a 1 MB download through the tunnel" "$(pattern_sha 1000000)" "$got"

# ---- idle_timeout ---------------------------------------------------------------------------------------
t0=$(now_ms)
out=$("$HC" -t 5000 "$A" "send=CONNECT 127.0.0.1:$P_E HTTP/1.1\r\n\r\nping" 'expect=ping' idle=3000 2>&1)
rc=$?
ms=$(($(now_ms) - t0))
if [ $rc -eq 0 ] && [ $ms -ge 600 ] && [ $ms -le 2500 ]; then
    ok "an idle tunnel is closed after idle_timeout"
else
    not_ok "an idle tunnel is closed after idle_timeout" "rc $rc after $ms ms: $(tail -n 1 <<<"$out")"
fi

# ---- failures ----------------------------------------------------------------------------------------------
status_of() {
    "$HC" -t 5000 "$A" "send=$1" read 2>/dev/null | head -n 1 | awk '{print $2}'
}
t0=$(now_ms)
code=$(status_of "CONNECT 127.0.0.1:$P_DEAD HTTP/1.1\r\n\r\nbytes-for-the-tunnel")
ms=$(($(now_ms) - t0))
expect_eq "CONNECT to a closed port: 502" 502 "$code"
check "... and the connection closes (what follows was the tunnel's)" test "$ms" -lt 1000
check "... logged with the refusal" wait_log "$T/error.log" "connect\(\) failed \(111: Connection refused\)" 2000
t0=$(now_ms)
code=$(status_of "CONNECT 127.0.0.1:$P_BH HTTP/1.1\r\n\r\n")
ms=$(($(now_ms) - t0))
if [ "$code" = 504 ] && [ $ms -ge 450 ] && [ $ms -le 2500 ]; then
    ok "CONNECT to an address that never answers: 504 after connect_timeout"
else
    not_ok "CONNECT to an address that never answers: 504 after connect_timeout" "$code after $ms ms"
fi
t0=$(now_ms)
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -x "$X" "http://127.0.0.1:$P_BH/")
ms=$(($(now_ms) - t0))
if [ "$code" = 504 ] && [ $ms -le 2500 ]; then
    ok "GET to an address that never answers: 504 after connect_timeout"
else
    not_ok "GET to an address that never answers: 504 after connect_timeout" "$code after $ms ms"
fi
expect_eq "CONNECT without a port: 400" 400 "$(status_of 'CONNECT 127.0.0.1 HTTP/1.1\r\n\r\n')"
expect_eq "CONNECT to a URI: 400" 400 "$(status_of "CONNECT http://127.0.0.1:$P_O/ HTTP/1.1\r\n\r\n")"
expect_eq "CONNECT with userinfo: 400" 400 "$(status_of "CONNECT u@127.0.0.1:$P_O HTTP/1.1\r\n\r\n")"
expect_eq "CONNECT to port 0: 400" 400 "$(status_of 'CONNECT 127.0.0.1:0 HTTP/1.1\r\n\r\n')"

# a client that gives up while the connect hangs is not waited for
t0=$(now_ms)
"$HC" -t 200 "$A" "send=GET http://127.0.0.1:$P_BH/gave-up HTTP/1.1\r\n\r\n" read >/dev/null 2>&1
wait_log "$T/access.log" "gave-up HTTP/1\.1\" 499 " 3000
ms=$(($(now_ms) - t0))
if has_line "$T/access.log" "gave-up HTTP/1\.1\" 499 " && [ $ms -lt 450 ]; then
    ok "a client that leaves during a hanging connect: 499 at once"
else
    not_ok "a client that leaves during a hanging connect: 499 at once" "after $ms ms: $(last_line "$T/access.log")"
fi
# a CONNECT client's FIN is a half-close: the connect goes on, the tunnel
# gets the FIN, and the refusal ends it
out=$("$HC" -t 3000 "$A" "send=CONNECT 127.0.0.1:$P_E HTTP/1.1\r\n\r\nhalf" shut read 2>&1)
if [[ "$out" == "$OK200"*half ]]; then
    ok "CONNECT, bytes and a FIN at once: the tunnel opens, the bytes come back, then the close"
else
    not_ok "CONNECT, bytes and a FIN at once: the tunnel opens, the bytes come back, then the close" \
        "$(tr '\r\n' '||' <<<"$out")"
fi
out=$(hget -p -x "$X" "http://127.0.0.1:$P_O/after")
expect_eq "served after all that" "o /after" "$out"

expect_eq "the worker never died" "$W0" "$(gw_pid_worker)"
