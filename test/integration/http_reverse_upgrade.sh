#!/usr/bin/env bash
# http_reverse Upgrade (WebSocket style): GET with Upgrade: websocket and
# Connection: Upgrade reaches the origin with both, its 101 reaches the
# client, then bytes go both ways (small messages, 1 MiB echoed back
# whole); with idle_timeout set on the listener (a second gateway), the
# tunnel is closed after it without traffic and not while traffic flows;
# Upgrade without Connection: upgrade is dropped (hop-by-hop outside an
# upgrade); a 101 nobody asked for is a 502.
. "$(dirname "$0")/lib.sh"

read -r P_GW P_IDLE P_O < <(ports 3)
origin o "127.0.0.1:$P_O"
write_conf <<EOF
$MAIN
listener web {
    listen 127.0.0.1:$P_GW;
    handler http_reverse;
    proxy_pass 127.0.0.1:$P_O;
    access_log $T/access.log;
}
EOF
gw_start "$P_GW"
A="127.0.0.1:$P_GW"
UP='GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'

"$HC" -t 3000 "$A" "send=$UP" 'expect=\r\n\r\n' \
    'send=ping-1' 'expect=ping-1' 'send=ping-2\n' 'expect=ping-2\n' \
    'send=x\0y\xff' 'expect=x\0y\xff' >"$T/ws.out" 2>&1
rc=$?
head101=$(sed -n '1,/^\r$/p' "$T/ws.out" | tr -d '\r')
check "101 Switching Protocols reaches the client" grep -q '^HTTP/1.1 101' <<<"$head101"
check "the 101 carries Upgrade: websocket" grep -qi '^upgrade: websocket' <<<"$head101"
check "the 101 carries Connection: upgrade" grep -qi '^connection: upgrade' <<<"$head101"
expect_eq "bytes both ways through the tunnel (text, NUL, 0xff)" 0 "$rc"
r=$(grep '"GET /ws' "$T/o.out" | tail -n 1)
check "the origin got Upgrade: websocket" grep -q 'upgrade=\[websocket\]' <<<"$r"
check "the origin got Connection: upgrade" grep -qi 'connection=\[upgrade\]' <<<"$r"
check "the origin got the WebSocket fields" grep -q 'sec-websocket-key' <<<"$r"

# 1 MiB through the tunnel, echoed whole
head -c 1048576 /dev/urandom >"$T/mb.bin"
want=$(sha256sum <"$T/mb.bin" | cut -d' ' -f1)
"$HC" -t 5000 "$A" "send=$UP" 'expect=\r\n\r\n' "file=$T/mb.bin" sleep=300 shut read \
    >"$T/tunnel.out" 2>"$T/tunnel.err"
rc=$?
# the echo is what follows the 101's head
got=$(sed '1,/^\r$/d' "$T/tunnel.out" | head -c 1048576 | sha256sum | cut -d' ' -f1)
size=$(($(wc -c <"$T/tunnel.out") - $(sed -n '1,/^\r$/p' "$T/tunnel.out" | wc -c)))
expect_eq "1 MiB echoed through the tunnel: size" 1048576 "$size"
expect_eq "1 MiB echoed through the tunnel: intact" "$want" "$got"
expect_eq "the tunnel ends when the client half-closes and the origin closes" 0 "$rc"

# ---- idle_timeout ---------------------------------------------------------------------------
# a second gateway whose listener sets idle_timeout (the tunnel's idle limit)
write_conf "$T/idle.conf" <<EOF
worker_processes 1;
error_log $T/error_idle.log info;
pid $T/gw_idle.pid;
listener idle {
    listen 127.0.0.1:$P_IDLE;
    handler http_reverse;
    proxy_pass 127.0.0.1:$P_O;
    idle_timeout 1s;
}
EOF
if msg=$("$GW" -t -c "$T/idle.conf" 2>&1); then
    ok "idle_timeout is accepted in an http_reverse listener"
    MAIN_PID=$GW_PID
    gw_start "$T/idle.conf" "$P_IDLE"
    GW_PID=$MAIN_PID
    IDLE_A="127.0.0.1:$P_IDLE"
else
    not_ok "idle_timeout is accepted in an http_reverse listener" "$msg"
    IDLE_A=""
fi
if [ -n "$IDLE_A" ]; then
    t0=$(now_ms)
    out=$("$HC" -t 3000 "$IDLE_A" "send=$UP" 'expect=\r\n\r\n' 'send=hi' 'expect=hi' idle=4000 2>&1)
    rc=$?
    ms=$(($(now_ms) - t0))
    if [ $rc -eq 0 ] && [ $ms -ge 900 ] && [ $ms -le 2500 ]; then
        ok "an idle tunnel is closed after idle_timeout"
    else
        not_ok "an idle tunnel is closed after idle_timeout" \
            "rc $rc after $ms ms (wanted 900..2500): $(tail -n 1 <<<"$out")"
    fi
    # traffic every 400 ms for 2 s keeps it open
    out=$("$HC" -t 3000 "$IDLE_A" "send=$UP" 'expect=\r\n\r\n' \
        'send=a' sleep=400 'send=b' sleep=400 'send=c' sleep=400 'send=d' sleep=400 \
        'send=e' sleep=400 'send=f' 'expect=abcdef' 2>&1)
    expect_eq "a tunnel with traffic every 400 ms outlives idle_timeout" 0 "$?"
fi
wait_log "$T/access.log" '"GET /ws HTTP/1.1" 101 ' 3000
check "access log: the tunnel logged with 101" has_line "$T/access.log" '"GET /ws HTTP/1.1" 101 '

# ---- no upgrade without Connection: upgrade ----------------------------------------------------
out=$("$HC" -t 3000 "$A" 'send=GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: close\r\n\r\n' read 2>&1)
r=$(last_req o)
check "Upgrade without Connection: upgrade is not passed" grep -q 'upgrade=\[-\]' <<<"$r"
check "... and the origin's answer (no 101) comes back" grep -q '^HTTP/1.1 400' <<<"$out"

# ---- a 101 nobody asked for ----------------------------------------------------------------------
out=$("$HC" -t 3000 "$A" 'send=GET /status/101 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' read 2>&1)
check "a 101 the client did not ask for: 502" grep -q '^HTTP/1.1 502' <<<"$out"
